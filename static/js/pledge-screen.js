/* Ikrar serentak big screen: fetch the page again every few seconds and swap in its <main>, so
   the tally moves without a full reload (and without a timed meta refresh, which screen readers
   and keyboards cannot stop). The pause button stops and restarts it. Without JavaScript the
   <noscript> meta refresh in the head does the same job. */
(function () {
  "use strict";
  var seconds = parseInt(document.body.getAttribute("data-refresh"), 10) || 10;
  var timer = null;

  function swap() {
    fetch(window.location.href, { headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("main");
        var current = document.querySelector("main");
        if (fresh && current) { current.replaceWith(fresh); bindPause(); }
      })
      .catch(function () { /* a missed refresh is retried at the next tick */ });
  }

  function start() { timer = window.setInterval(swap, seconds * 1000); }

  function bindPause() {
    var button = document.querySelector("[data-pause]");
    if (!button) { return; }
    button.hidden = false;
    button.setAttribute("aria-pressed", timer === null ? "true" : "false");
    button.textContent = timer === null ? button.getAttribute("data-resume-label") : button.getAttribute("data-pause-label");
    button.onclick = function () {
      if (timer === null) { start(); swap(); } else { window.clearInterval(timer); timer = null; }
      bindPause();
    };
  }

  start();
  bindPause();
})();
