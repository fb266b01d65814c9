// Pnyx image pickers: a preview of the chosen image (profile pictures, a post's images) and,
// for a post's images, a visible prompt while an image has no description. The forms work
// without this file: the server shows what was saved, and the prompt is only encouragement.
"use strict";
(function () {
  function preview(input) {
    var img = document.getElementById(input.getAttribute("data-preview"));
    if (!img || !input.files || !input.files[0] || !window.URL) return;
    if (img.dataset.objectUrl) URL.revokeObjectURL(img.dataset.objectUrl);
    img.dataset.objectUrl = URL.createObjectURL(input.files[0]);
    img.src = img.dataset.objectUrl;
    img.alt = img.getAttribute("data-preview-alt") || "";
    img.hidden = false;
  }

  function altPrompt(row) {
    var file = row.querySelector("input[type=file]");
    var alt = row.querySelector("[data-alt]");
    var prompt = row.querySelector("[data-alt-missing]");
    if (!file || !alt || !prompt) return;
    var missing = file.files && file.files.length > 0 && !alt.value.trim();
    prompt.hidden = !missing;
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.matches && input.matches("input[type=file][data-preview]")) preview(input);
    var row = input.closest && input.closest("[data-media-row]");
    if (row) altPrompt(row);
  });
  document.addEventListener("input", function (event) {
    var row = event.target.closest && event.target.closest("[data-media-row]");
    if (row) altPrompt(row);
  });
})();
