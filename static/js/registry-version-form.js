// The version form: choosing a runtime fills in its preset's image, port and health
// path. A value the user typed is kept; only what the previous preset filled in
// (or an empty field) is replaced, so an override survives a change of mind.
(function () {
  "use strict";
  var presets = JSON.parse(document.getElementById("runtime-presets").textContent);
  var runtime = document.getElementById("id_runtime");
  var note = document.getElementById("preset-note");
  var names = ["image", "port", "health_path"];
  if (!runtime) return;
  var previous = runtime.value;

  function text(value) {
    return value === undefined || value === null ? "" : String(value);
  }

  runtime.addEventListener("change", function () {
    var before = presets[previous] || {};
    var after = presets[runtime.value] || {};
    var filled = [];
    names.forEach(function (name) {
      var input = document.getElementById("id_" + name);
      if (!input) return;
      if (input.value === "" || input.value === text(before[name])) {
        input.value = text(after[name]);
        filled.push(input.labels.length ? input.labels[0].textContent.replace(/:$/, "") : name);
      }
      input.placeholder = text(after[name]);
    });
    previous = runtime.value;
    var label = runtime.options[runtime.selectedIndex].text;
    if (note) {
      note.textContent = filled.length
        ? "Filled in from the " + label + " preset: " + filled.join(", ") + "."
        : "Kept the values you typed; the " + label + " preset's are shown as placeholders.";
    }
  });
})();
