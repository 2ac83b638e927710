/* The signature pad of the sign pages (templates/_signature_pad.html). Load it after
   vendor/signature_pad/signature_pad.umd.min.js and before the page's own scripts.

   Markup (one pad a page; the ids are the ones the browser tests use):
     <div data-signature-field data-input="id_signature" data-empty-message="Please sign…"
          [data-optional]>
       <div class="signature-box" id="signature-box">
         <canvas id="signature-canvas"></canvas><span class="hint">…</span>
       </div>
       <input type="hidden" name="signature" id="id_signature">
       <div id="signature-error"></div>
       <button type="button" id="signature-clear">…</button>  (or elsewhere on the page)
     </div>

   The canvas is drawn at the screen's pixel density and redrawn when the phone turns; a
   drawing sent back with a form error is shown again. When the form that owns the hidden
   input is submitted with the pad shown, the drawing goes into the input as a PNG data URL;
   an empty pad stops the submit with data-empty-message, or, with data-optional, sends
   nothing. A page's own submit listeners run after this one: they check
   event.defaultPrevented. A pad hidden at first is sized by window.signatureField.resize()
   once the page shows it. */
(function () {
  "use strict";
  var root = document.querySelector("[data-signature-field]");
  if (!root) return;
  var canvas = document.getElementById("signature-canvas");
  var pad = new SignaturePad(canvas, { minWidth: 1, maxWidth: 3, penColor: "#000" });
  var hint = document.querySelector("#signature-box .hint");
  var field = document.getElementById(root.dataset.input);
  var error = document.getElementById("signature-error");
  var optional = root.hasAttribute("data-optional");
  var restored = false;

  function resize() {
    if (!canvas.offsetWidth) return; // hidden: sized when shown
    var ratio = Math.max(window.devicePixelRatio || 1, 1);
    var strokes = pad.toData();
    canvas.width = canvas.offsetWidth * ratio;
    canvas.height = canvas.offsetHeight * ratio;
    canvas.getContext("2d").scale(ratio, ratio);
    pad.clear();
    pad.fromData(strokes);
    // The page came back with an error (say, a missing name): keep what was drawn.
    if (!restored && field.value) {
      restored = true;
      pad.fromDataURL(field.value, { width: canvas.offsetWidth, height: canvas.offsetHeight });
      hint.hidden = true;
    }
  }

  // Puts the drawing in the form; false (with the message) when a required pad is empty.
  function collect() {
    if (pad.isEmpty()) {
      if (optional) {
        field.value = "";
        return true;
      }
      if (field.value) return true; // drawn before a resize wiped the canvas
      error.textContent = root.dataset.emptyMessage || "";
      return false;
    }
    field.value = pad.toDataURL("image/png");
    return true;
  }

  window.addEventListener("resize", resize);
  resize();
  pad.addEventListener("beginStroke", function () { hint.hidden = true; error.textContent = ""; });
  document.getElementById("signature-clear").addEventListener("click", function () {
    pad.clear(); field.value = ""; hint.hidden = false;
  });
  if (field.form) {
    field.form.addEventListener("submit", function (event) {
      if (!canvas.offsetWidth) return; // a hidden pad is not being signed
      if (!collect()) event.preventDefault();
    });
  }
  window.signatureField = { resize: resize };
})();
