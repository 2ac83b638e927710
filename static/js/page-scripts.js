/* The page's scripts after its first paint (issue 12 §6).

   On a slow network every request waits its round trip and shares the bandwidth: scripts
   fetched alongside the style sheets make the first paint wait for their bytes too. So
   base.html keeps the page's scripts (Bootstrap, htmx, app.js and the page's own, in their
   order) inside <template id="page-scripts">, where the browser neither fetches nor runs
   them, and loads this file last in the body: it runs once the style sheets are in (a
   script waits for them) and starts those scripts in their order (async = false). They
   still delay the window's load event, so "loaded" still means "ready".

   They run after DOMContentLoaded, as a rule. Our scripts and Bootstrap check
   document.readyState; htmx instead waits for a DOMContentLoaded it has missed (unless the
   document is complete), so when htmx ran after that event, the event is announced once
   more after the last script: the listeners that hear it are the ones added since (a
   script's load event fires right after it ran, so it tells when htmx ran). */
(function () {
  "use strict";
  var template = document.getElementById("page-scripts");
  if (!template) return;
  var domReady = false;
  document.addEventListener("DOMContentLoaded", function () { domReady = true; });
  var originals = template.content.querySelectorAll("script[src]");
  if (!originals.length) return;
  var htmxSeen = false;
  var htmxMissedReady = false;
  originals.forEach(function (original, index) {
    var script = document.createElement("script");
    Array.prototype.forEach.call(original.attributes, function (attribute) {
      script.setAttribute(attribute.name, attribute.value);
    });
    script.async = false;
    script.addEventListener("load", function () {
      if (window.htmx && !htmxSeen) { // the script that just ran brought htmx
        htmxSeen = true;
        htmxMissedReady = domReady && document.readyState !== "complete";
      }
      if (index === originals.length - 1 && htmxMissedReady) {
        document.dispatchEvent(new Event("DOMContentLoaded", { bubbles: true }));
      }
    });
    document.body.appendChild(script);
  });
})();
