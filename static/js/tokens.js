// The copy button beside a token that is shown only once.
(function () {
  "use strict";
  var button = document.getElementById("copy-token");
  if (!button) return;
  var field = document.getElementById(button.getAttribute("data-copy"));
  var status = document.getElementById("copy-status");
  button.addEventListener("click", function () {
    field.select();
    var done = function () { status.textContent = "Copied."; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, function () {
        status.textContent = "Select the token and copy it with Ctrl+C.";
      });
    } else {
      document.execCommand("copy");
      done();
    }
  });
})();
