// The deployment page: polling that pauses while the browser tab is hidden, copy
// buttons, confirmations before destructive actions, and the charts htmx loads.
(function () {
  "use strict";

  function visible() {
    return document.visibilityState === "visible";
  }

  // Polled fragments carry data-poll; their requests are dropped while the tab is
  // hidden, and one is made at once when it shows again.
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.hasAttribute("data-poll") && (!visible() || elt.hasAttribute("data-stopped"))) {
      event.preventDefault();
    }
  });
  document.addEventListener("visibilitychange", function () {
    if (!visible()) return;
    document.querySelectorAll("[data-poll]").forEach(function (elt) {
      window.htmx.trigger(elt, "poll-now");
    });
  });
  // A deployment that is gone (404) has nothing more to poll.
  document.body.addEventListener("htmx:responseError", function (event) {
    var elt = event.detail.elt;
    if (elt && elt.hasAttribute("data-poll") && event.detail.xhr.status === 404) {
      elt.setAttribute("data-stopped", "");
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-copy]");
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) return;
    var text = "value" in source && source.tagName !== "PRE" ? source.value : source.textContent;
    var done = function () {
      button.textContent = "Copied";
      window.setTimeout(function () { button.textContent = "Copy"; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done);
    } else {
      // Plain-HTTP pages have no clipboard API: select the text for Ctrl+C instead.
      if (source.select) { source.select(); } else {
        var range = document.createRange();
        range.selectNodeContents(source);
        window.getSelection().removeAllRanges();
        window.getSelection().addRange(range);
      }
      document.execCommand("copy");
      done();
    }
  });

  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });

  function drawCharts(root) {
    if (!window.Plotly) return;
    var config = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["lasso2d", "select2d"] };
    root.querySelectorAll("[data-figure]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-figure"));
      if (!source || el.hasAttribute("data-drawn")) return;
      var figure = JSON.parse(source.textContent);
      window.Plotly.newPlot(el, figure.data || [], figure.layout || {}, config);
      el.setAttribute("data-drawn", "");
    });
  }

  function keepLogAtBottom() {
    var box = document.querySelector("#log-box[data-follow] pre.log");
    if (box) box.scrollTop = box.scrollHeight;
  }

  document.body.addEventListener("htmx:afterSettle", function (event) {
    drawCharts(event.detail.elt.parentNode || document);
    keepLogAtBottom();
  });
  keepLogAtBottom();
})();
