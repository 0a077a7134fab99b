// The theme a person chose in the header (light, dark or the system's), remembered in
// this browser. Loaded synchronously in <head> so data-theme is set before the first
// paint: no flash of the other theme. Without a stored choice the CSS follows the system.
(function () {
  "use strict";
  var KEY = "gantry-theme";
  var root = document.documentElement;

  function stored() {
    try {
      var choice = window.localStorage.getItem(KEY);
      return choice === "light" || choice === "dark" ? choice : "system";
    } catch (e) {
      return "system"; // storage refused (privacy settings): follow the system
    }
  }

  function apply(choice) {
    if (choice === "system") root.removeAttribute("data-theme");
    else root.setAttribute("data-theme", choice);
    document.querySelectorAll("[data-theme-choice]").forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.dataset.themeChoice === choice));
    });
  }

  function choose(choice) {
    try {
      if (choice === "system") window.localStorage.removeItem(KEY);
      else window.localStorage.setItem(KEY, choice);
    } catch (e) {
      // Not remembered, but this page still changes.
    }
    apply(choice);
  }

  apply(stored());

  document.addEventListener("DOMContentLoaded", function () {
    var group = document.getElementById("theme-toggle");
    if (!group) return;
    group.hidden = false; // the buttons do nothing without this script
    group.addEventListener("click", function (event) {
      var button = event.target.closest("[data-theme-choice]");
      if (button) choose(button.dataset.themeChoice);
    });
    apply(stored());
  });
  // Another tab of this site changed the theme.
  window.addEventListener("storage", function (event) {
    if (event.key === KEY || event.key === null) apply(stored());
  });
})();
