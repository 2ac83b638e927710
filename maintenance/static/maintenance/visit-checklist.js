/* The visit checklist (maintenance/visit_checklist.html): live hints on failing items,
   the signing part shown for "sign now", one request per double tap. */
(function () {
  "use strict";
  var form = document.getElementById("checklist-form");
  var signNow = document.getElementById("sign-now");
  var submit = document.getElementById("complete-submit");

  // Live hints only: the server decides what is out of limits and what may raise a request.
  function failing(item) {
    var type = item.getAttribute("data-type");
    if (type === "pass_fail") {
      var fail = item.querySelector("input[type=radio][value=fail]");
      return !!(fail && fail.checked);
    }
    if (type === "number") {
      var input = item.querySelector("input[data-min], input[data-max]");
      if (!input || input.value.trim() === "") return false;
      var value = parseFloat(input.value.replace(",", "."));
      if (isNaN(value)) return false;
      var low = input.getAttribute("data-min"), high = input.getAttribute("data-max");
      return (low !== null && value < parseFloat(low)) || (high !== null && value > parseFloat(high));
    }
    return false;
  }
  function refresh(item) {
    var bad = failing(item);
    item.classList.toggle("is-failing", bad);
    var number = item.querySelector("input[data-min], input[data-max]");
    if (number) number.classList.toggle("is-invalid", bad);
    var note = item.querySelector(".out-of-limits");
    if (note) note.hidden = !bad;
    var hint = item.querySelector(".failed-hint");
    if (hint) hint.hidden = !bad;
    var raise = item.querySelector(".raise-request");
    if (raise) {
      if (!bad) raise.querySelector("input").checked = false;
      raise.hidden = !bad;
    }
  }
  document.querySelectorAll(".checklist-item").forEach(function (item) {
    var raise = item.querySelector(".raise-request");
    if (raise) raise.hidden = !failing(item) && !raise.querySelector("input").checked;
    var hint = item.querySelector(".failed-hint");
    if (hint) hint.hidden = !failing(item);
    item.addEventListener("input", function () { refresh(item); });
    item.addEventListener("change", function () { refresh(item); });
  });

  function showSigning() {
    var now = document.querySelector("input[name=sign_mode][value=" + form.dataset.signNow + "]");
    signNow.hidden = !(now && now.checked);
    if (!signNow.hidden && window.signatureField) window.signatureField.resize();
  }
  document.querySelectorAll("input[name=sign_mode]").forEach(function (radio) {
    radio.addEventListener("change", showSigning);
  });
  showSigning();

  form.addEventListener("submit", function (event) {
    if (event.defaultPrevented) { // signing now, nothing drawn
      signNow.scrollIntoView();
      return;
    }
    // A double tap sends one request (and the server completes a visit only once anyway).
    setTimeout(function () { submit.disabled = true; }, 0);
  });
})();
