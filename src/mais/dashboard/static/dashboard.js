/* MAIS dashboards: small conveniences on top of pages that work without script —
   copy buttons, confirmations before destructive posts, the live branding preview. */
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) { return; }
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) { return; }
    var value = source.value !== undefined ? source.value : source.textContent;
    var done = function () {
      var label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(value).then(done, function () { source.select && source.select(); });
    } else if (source.select) {
      source.select();
      document.execCommand("copy");
      done();
    }
  });

  document.addEventListener("submit", function (event) {
    var button = event.submitter || event.target.querySelector("[data-confirm]");
    var message = button && button.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  });

  // Branding: colour pickers and text fields stay in step; the preview follows both.
  var preview = document.getElementById("branding-preview");
  if (preview) {
    var fonts = JSON.parse(preview.getAttribute("data-fonts") || "{}");
    var update = function () {
      var value = function (name) {
        var input = document.getElementById("f-" + name);
        return input ? input.value : "";
      };
      var hex = /^#[0-9a-fA-F]{6}$/;
      var set = function (prop, name) {
        var v = value(name);
        if (hex.test(v)) { preview.style.setProperty(prop, v); }
      };
      set("--p-primary", "primary_color");
      set("--p-secondary", "secondary_color");
      set("--p-accent", "accent_color");
      set("--p-background", "background_color");
      var font = fonts[value("font_family")];
      if (font) { preview.style.setProperty("--p-font", font); }
    };
    document.querySelectorAll("[data-color-for]").forEach(function (picker) {
      var field = document.getElementById(picker.getAttribute("data-color-for"));
      picker.addEventListener("input", function () { field.value = picker.value.toUpperCase(); update(); });
      field.addEventListener("input", function () {
        if (/^#[0-9a-fA-F]{6}$/.test(field.value)) { picker.value = field.value.toLowerCase(); }
        update();
      });
    });
    var fontField = document.getElementById("f-font_family");
    if (fontField) { fontField.addEventListener("change", update); }
    update();
  }
})();
