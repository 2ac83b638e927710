/* Live countdowns of the service promises (no library).

   Markup: <span data-countdown data-due-at="2026-03-02T06:00:00Z" data-warn-at="…">
             <span class="countdown-text">3 h 59 min left</span>
           </span>
   inside an optional container <… data-sla-level="" | "at_risk" | "breached"
   data-sla-kind="row" | "card" | "bar"> that the server coloured from the live clock. Every
   second the text is rewritten, and when a countdown passes its warning or its deadline the
   badge and its container turn warning / danger (never back: the server knows about
   promises already broken). The clock follows the server's (data-server-now), not the
   phone's. Words come from this script tag's data attributes (translated by the page):
   the countdown's patterns ("%(duration)s overdue" → "超时 %(duration)s", …) are those of
   core/durations.py, so the text reads "超时 132 小时 4 分" / "132 h 4 min overdue" as the
   server's first paint did; whole minutes, so the words change once a minute.

   Forms marked data-once disable their buttons once sent: a double tap sends one request
   (the server's idempotency key makes a resent form harmless anyway). In the step form,
   fields marked data-show-for="<event type>" show only for that type of step. */
(function () {
  "use strict";

  var script = document.currentScript;
  var words = (script && script.dataset) || {};
  var LEVELS = { "": 0, at_risk: 1, breached: 2 };
  var NAMES = ["", "at_risk", "breached"];
  var BADGE = ["text-bg-light", "text-bg-warning", "text-bg-danger"];
  var CONTAINER = {
    row: ["", "table-warning", "table-danger"],
    card: ["", "border-warning", "border-danger"],
    bar: ["", "", ""]
  };
  var STATE_WORDS = [words.onTime || "on time", words.atRisk || "at risk", words.breached || "breached"];
  var offset = 0; // server clock minus this device's clock, in ms

  function syncClock() {
    var marker = document.querySelector("[data-server-now]");
    if (marker) {
      var server = Date.parse(marker.getAttribute("data-server-now"));
      if (!isNaN(server)) offset = server - Date.now();
    }
  }

  function fill(pattern, values) {
    return pattern.replace(/%\((\w+)\)s/g, function (match, name) {
      return name in values ? String(values[name]) : match;
    });
  }

  /* What core.durations.countdown_words says for the same time: whole minutes rounded
     down, hours never folded into days, "59 min" under an hour, "3 h" on the hour. */
  function format(ms) {
    var totalMinutes = Math.floor(Math.floor(Math.abs(ms) / 1000) / 60);
    var hours = Math.floor(totalMinutes / 60);
    var minutes = totalMinutes % 60;
    var duration;
    if (!hours) duration = fill(words.countdownMinutes || "%(minutes)s min", { minutes: minutes });
    else if (!minutes) duration = fill(words.countdownHours || "%(hours)s h", { hours: hours });
    else
      duration = fill(words.countdownHoursMinutes || "%(hours)s h %(minutes)s min", {
        hours: hours,
        minutes: minutes
      });
    var pattern =
      ms < 0 ? words.countdownOverdue || "%(duration)s overdue" : words.countdownLeft || "%(duration)s left";
    return fill(pattern, { duration: duration });
  }
  // For the browser tests: the script's wording of a time left (ms; negative when overdue).
  window.medserviceCountdownText = format;

  function swapClass(element, classes, level) {
    classes.forEach(function (name) {
      if (name) element.classList.remove(name);
    });
    if (classes[level]) element.classList.add(classes[level]);
  }

  function tick() {
    var now = Date.now() + offset;
    document.querySelectorAll("[data-countdown]").forEach(function (badge) {
      var due = Date.parse(badge.getAttribute("data-due-at"));
      if (isNaN(due)) return;
      var warnText = badge.getAttribute("data-warn-at");
      var warn = warnText ? Date.parse(warnText) : NaN;
      var left = due - now;
      var text = badge.querySelector(".countdown-text");
      if (text) {
        var wording = format(left);
        if (text.textContent !== wording) text.textContent = wording;
      }

      var level = left < 0 ? 2 : !isNaN(warn) && now >= warn ? 1 : 0;
      swapClass(badge, BADGE, level);

      var container = badge.closest("[data-sla-level]");
      if (!container) return;
      var shown = LEVELS[container.getAttribute("data-sla-level")] || 0;
      if (level <= shown) return;
      container.setAttribute("data-sla-level", NAMES[level]);
      swapClass(container, CONTAINER[container.getAttribute("data-sla-kind")] || CONTAINER.bar, level);
      container.querySelectorAll("[data-sla-state]").forEach(function (state) {
        state.textContent = STATE_WORDS[level];
        swapClass(state, BADGE, level);
      });
    });
  }

  function once(event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-once")) return;
    if (form.dataset.sent) {
      event.preventDefault();
      return;
    }
    form.dataset.sent = "1";
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.disabled = true;
      });
    }, 0);
  }

  /* The step form: show the pause reason for a pause, engineers and parts for a dispatch. */
  function showStepFields(form) {
    var type = form.querySelector("select[name=type]");
    if (!type) return;
    form.querySelectorAll("[data-show-for]").forEach(function (input) {
      var wrapper = input.closest("fieldset, .mb-3");
      var kinds = input.getAttribute("data-show-for").split(" ");
      if (wrapper) wrapper.hidden = kinds.indexOf(type.value) < 0;
    });
  }

  document.querySelectorAll("form").forEach(showStepFields);
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("select[name=type]")) {
      showStepFields(event.target.form);
    }
  });

  syncClock();
  tick();
  window.setInterval(tick, 1000);
  document.addEventListener("submit", once);
  document.addEventListener("htmx:afterSettle", function () {
    syncClock();
    tick();
  });
  // A page restored from the back/forward cache: forms may be sent again (new keys are
  // only on a fresh page, so a resend is still recorded once).
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-once]").forEach(function (form) {
      delete form.dataset.sent;
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.disabled = false;
      });
    });
  });
})();
