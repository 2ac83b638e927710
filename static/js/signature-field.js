/* The signature pad of the sign pages (templates/_signature_pad.html). Load it after
   vendor/signature_pad/signature_pad.umd.min.js and before the page's own scripts.

   Markup (one pad a page; the ids are the ones the browser tests use):
     <div data-signature-field data-input="id_signature" data-empty-message="Please sign…"
          [data-optional] [data-refused] [data-ready-check]>
       <div data-sign-missing hidden>… <ul data-missing-list></ul></div>  (with data-ready-check)
       <div data-pad>
         <div class="signature-box" id="signature-box">
           <canvas id="signature-canvas"></canvas><span class="hint">…</span>
         </div>
         <input type="hidden" name="signature" id="id_signature">
         <div id="signature-error"></div>
         <button type="button" id="signature-clear">…</button>  (or elsewhere on the page)
       </div>
     </div>

   Kept, never thrown away: a drawing sent back with a refused submit (a missing name, an
   incomplete document) is put back into the pad and stays there when the window resizes
   (a phone's keyboard, a turn); strokes drawn since go on top of it. Only a drawing the
   server refused itself (data-refused: empty, unreadable) is dropped.

   Ready to sign (data-ready-check): while an element of the page marked
   [data-required-to-sign] (an input, or a fieldset of radios and inputs, named by its
   data-label) is empty, the pad is not offered and [data-sign-missing] lists what is
   missing; it is offered as soon as everything is there.

   When the form that owns the hidden input is submitted with the pad shown, the drawing goes
   into the input as a PNG data URL; an empty pad stops the submit with data-empty-message,
   or, with data-optional, sends nothing. A page's own submit listeners run after this one:
   they check event.defaultPrevented. A pad hidden at first is sized by
   window.signatureField.resize() once the page shows it. */
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
  var padBlock = root.querySelector("[data-pad]");
  var missingBox = root.querySelector("[data-sign-missing]");
  // The drawing of a refused submit: put back once the pad is shown, then the pad's base image.
  var kept = root.hasAttribute("data-refused") ? "" : field.value;
  var base = "";
  var sized = { width: 0, height: 0 };

  if (!kept) field.value = ""; // a refused drawing is not sent again

  function resize() {
    var width = canvas.offsetWidth, height = canvas.offsetHeight;
    if (!width) return; // hidden: sized when shown
    // A window resize that leaves the box as it is (a phone's keyboard) changes nothing.
    if (width === sized.width && height === sized.height) return;
    sized = { width: width, height: height };
    var ratio = Math.max(window.devicePixelRatio || 1, 1);
    canvas.width = width * ratio;
    canvas.height = height * ratio;
    canvas.getContext("2d").scale(ratio, ratio);
    if (kept) {
      pad.fromDataURL(kept, { width: width, height: height });
      base = kept;
      kept = "";
      hint.hidden = true;
    } else {
      pad.redraw(); // the base image (if any) and every stroke, at the new size
    }
  }

  function filled(element) {
    if (element.matches("input, select, textarea")) return element.value.trim() !== "";
    var checked = element.querySelector("input[type=radio]:checked, input[type=checkbox]:checked");
    if (checked) return true;
    var inputs = element.querySelectorAll(
      "input:not([type=radio]):not([type=checkbox]):not([type=hidden]), select, textarea"
    );
    return Array.prototype.some.call(inputs, function (input) {
      return !input.closest("details") && input.value.trim() !== "";
    });
  }

  // What the document still lacks before anyone may sign it (data-ready-check).
  function checkReady() {
    if (!root.hasAttribute("data-ready-check") || !missingBox) return;
    var missing = Array.prototype.filter.call(
      document.querySelectorAll("[data-required-to-sign]"),
      function (element) { return !filled(element); }
    );
    var list = missingBox.querySelector("[data-missing-list]");
    list.textContent = "";
    missing.forEach(function (element) {
      var item = document.createElement("li");
      item.textContent = element.getAttribute("data-label") || element.name || "";
      list.appendChild(item);
    });
    missingBox.hidden = missing.length === 0;
    padBlock.hidden = missing.length > 0;
    if (!padBlock.hidden) resize();
  }

  // Puts the drawing in the form; false (with the message) when a required pad is empty.
  function collect() {
    if (base && pad.toData().length === 0) {
      field.value = base; // nothing added: the kept drawing as it came (it may still be loading)
      return true;
    }
    if (pad.isEmpty()) {
      if (optional) {
        field.value = "";
        return true;
      }
      if (field.value) return true; // the kept drawing, not redrawn yet
      error.textContent = root.dataset.emptyMessage || "";
      return false;
    }
    field.value = pad.toDataURL("image/png");
    return true;
  }

  window.addEventListener("resize", resize);
  checkReady();
  resize();
  if (root.hasAttribute("data-ready-check")) {
    document.addEventListener("input", checkReady);
    document.addEventListener("change", checkReady);
  }
  pad.addEventListener("beginStroke", function () { hint.hidden = true; error.textContent = ""; });
  document.getElementById("signature-clear").addEventListener("click", function () {
    pad.clear(); field.value = ""; kept = ""; base = ""; hint.hidden = false;
  });
  if (field.form) {
    field.form.addEventListener("submit", function (event) {
      if (!canvas.offsetWidth) return; // a hidden pad is not being signed
      if (!collect()) event.preventDefault();
    });
  }
  window.signatureField = { resize: resize, checkReady: checkReady };
})();
