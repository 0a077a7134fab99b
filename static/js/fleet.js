// The deployments list: "/" focuses the search, empty filters stay out of the URL, and
// the visible rows refresh every 10 s while the tab is visible (paused when hidden).
(function () {
  "use strict";
  var REFRESH_MS = 10000;
  var timer = null;

  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(document.activeElement)) return;
    var search = document.getElementById("filter-name");
    if (!search) return;
    event.preventDefault();
    search.focus();
    search.select();
  });

  // A bookmarked view should read ?state=running, not ?name=&team=&state=running.
  document.body.addEventListener("htmx:configRequest", function (event) {
    var data = event.detail.formData;
    if (!data || event.detail.verb !== "get") return;
    var empty = [];
    data.forEach(function (value, key) { if (value === "") empty.push(key); });
    empty.forEach(function (key) { data.delete(key); });
  });

  function refresh() {
    var table = document.getElementById("fleet-table");
    if (!table || !window.htmx) return;
    // Someone tabbing through the rows keeps their place: skip this round.
    if (table.contains(document.activeElement)) return;
    window.htmx.ajax("GET", table.getAttribute("data-refresh-url"), {
      target: "#fleet-table",
      swap: "outerHTML",
    });
  }

  function start() {
    if (timer === null) timer = window.setInterval(refresh, REFRESH_MS);
  }

  function stop() {
    if (timer !== null) window.clearInterval(timer);
    timer = null;
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      refresh();
      start();
    } else {
      stop();
    }
  });
  if (document.visibilityState === "visible") start();
})();
