/* Small behaviours of every page, declared in the markup with data attributes.

   The Content-Security-Policy runs only scripts from our own static files: no inline
   <script>, no onclick="…", no eval (htmx's hx-on, "js:" values and [filters] included).
   So pages say what they want with attributes, and this file, loaded by base.html on every
   page, does it. Listeners sit on the document, so content swapped in by htmx works too.

     <form data-confirm="Revoke it?">            asks before sending; Cancel sends nothing
     <form data-disable-on-submit>               its submit buttons are disabled once it is
                                                 sent (unless another listener stopped it)
     <select data-submit-on-change>              sends its form when changed
     <button data-copy-from="new-token-secret">  copies that input's value to the clipboard
     <button data-print>                         prints the page
     <input type="checkbox" data-select-all=".device-check">  (un)ticks every match
     <input type="search" data-filter-checks>    hides the .form-check rows of the next
                                                 element that do not contain the text typed
     <input data-enter-moves-to="id_a id_b">     Enter (a barcode scanner's last key) moves
                                                 to the first of those fields on the page
     <select data-shows-fields="engineer hospital">  shows the field named like the chosen
                                                 value (its .mb-3 block), hides the others
     <fieldset data-parts> … [data-parts-add], <template data-parts-empty>, [data-parts-list]
                                                 adds a row to a Django formset
     <div hx-get=… data-poll-pauses-while="details[open]">  skips its polling while it
                                                 contains a match (an opened row)
     <div hx-get=… data-include-as="at=#id_reported_at">  sends that field's value as "at"
     <select hx-get=… hx-target="this" data-keep-picked>  an option picked while its new
                                                 options were on their way stays picked
                                                 when it is still among them
*/
(function () {
  "use strict";

  function closest(target, selector) {
    return target instanceof Element ? target.closest(selector) : null;
  }

  // Capture: the question comes before any other listener may disable the buttons.
  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-confirm")) return;
      if (!window.confirm(form.getAttribute("data-confirm"))) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    },
    true
  );

  // Bubble: runs after the form's own listeners (the signature pad stops an empty submit).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-disable-on-submit")) return;
    if (event.defaultPrevented) return;
    // After this turn, so the pressed button's name and value are still sent.
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit], input[type=submit]").forEach(function (button) {
        button.disabled = true;
      });
    }, 0);
  });

  // A page restored from the back/forward cache may be sent again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-disable-on-submit]").forEach(function (form) {
      form.querySelectorAll("button[type=submit], input[type=submit]").forEach(function (button) {
        button.disabled = false;
      });
    });
  });

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (closest(target, "select[data-submit-on-change]") && target.form) {
      if (target.form.requestSubmit) target.form.requestSubmit();
      else target.form.submit();
    }
    var all = closest(target, "input[data-select-all]");
    if (all) {
      document.querySelectorAll(all.getAttribute("data-select-all")).forEach(function (box) {
        box.checked = all.checked;
      });
    }
    var chooser = closest(target, "select[data-shows-fields]");
    if (chooser) showChosenField(chooser);
  });

  document.addEventListener("click", function (event) {
    var copy = closest(event.target, "[data-copy-from]");
    if (copy) {
      var source = document.getElementById(copy.getAttribute("data-copy-from"));
      if (source && navigator.clipboard) navigator.clipboard.writeText(source.value);
    }
    if (closest(event.target, "[data-print]")) window.print();
    var add = closest(event.target, "[data-parts-add]");
    if (add) addFormsetRow(add.closest("[data-parts]"));
  });

  document.addEventListener("input", function (event) {
    var filter = closest(event.target, "input[data-filter-checks]");
    if (!filter || !filter.nextElementSibling) return;
    var query = filter.value.toLowerCase();
    filter.nextElementSibling.querySelectorAll(".form-check").forEach(function (row) {
      row.hidden = !!query && row.textContent.toLowerCase().indexOf(query) < 0;
    });
  });

  document.addEventListener("keydown", function (event) {
    var input = closest(event.target, "[data-enter-moves-to]");
    if (!input || event.key !== "Enter") return;
    event.preventDefault();
    var ids = input.getAttribute("data-enter-moves-to").split(" ");
    for (var i = 0; i < ids.length; i++) {
      var next = document.getElementById(ids[i]);
      if (next) {
        next.focus();
        return;
      }
    }
  });

  function showChosenField(chooser) {
    var form = chooser.form || document;
    chooser
      .getAttribute("data-shows-fields")
      .split(" ")
      .forEach(function (name) {
        var field = form.querySelector("[name='" + name + "']");
        var block = field && field.closest(".mb-3");
        if (block) block.hidden = chooser.value !== name;
      });
  }

  function addFormsetRow(box) {
    if (!box) return;
    var total = box.querySelector("input[name$='-TOTAL_FORMS']");
    var html = box.querySelector("[data-parts-empty]").innerHTML.replace(/__prefix__/g, total.value);
    box.querySelector("[data-parts-list]").insertAdjacentHTML("beforeend", html);
    total.value = String(Number(total.value) + 1);
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var poller = event.detail && event.detail.elt;
    if (!(poller instanceof Element) || !poller.hasAttribute("data-poll-pauses-while")) return;
    if (poller.querySelector(poller.getAttribute("data-poll-pauses-while"))) event.preventDefault();
  });

  document.addEventListener("htmx:configRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (!(elt instanceof Element) || !elt.hasAttribute("data-include-as")) return;
    elt
      .getAttribute("data-include-as")
      .split(" ")
      .forEach(function (pair) {
        var parts = pair.split("=");
        var field = document.querySelector(parts[1]);
        event.detail.parameters[parts[0]] = (field && field.value) || "";
      });
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    var select = event.target;
    if (select instanceof HTMLSelectElement && select.hasAttribute("data-keep-picked")) {
      select.dataset.picked = select.value;
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var select = event.target;
    if (!(select instanceof HTMLSelectElement) || !select.hasAttribute("data-keep-picked")) return;
    var picked = select.dataset.picked;
    var still = Array.prototype.some.call(select.options, function (option) {
      return option.value && option.value === picked;
    });
    if (still) select.value = picked;
  });

  function init() {
    document.querySelectorAll("select[data-shows-fields]").forEach(showChosenField);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
