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

  // Animations (gifv: a silent loop) play by themselves, muted, with a button to pause
  // them; not by themselves when the reader asked for reduced motion. Without this file
  // they keep the browser's controls. Posts that live.js adds later are set up too.
  var calm = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)");

  function label(button, video) {
    button.textContent = video.paused ? button.dataset.play : button.dataset.pause;
  }

  function animate(video) {
    if (video.dataset.ready) return;
    video.dataset.ready = "1";
    var button = video.parentNode.querySelector("[data-gifv-toggle]");
    if (!button) return;
    video.removeAttribute("controls");
    button.hidden = false;
    video.addEventListener("play", function () { label(button, video); });
    video.addEventListener("pause", function () { label(button, video); });
    if (!(calm && calm.matches)) {
      video.preload = "auto";
      var started = video.play();
      if (started && started.catch) started.catch(function () { label(button, video); });
    }
    label(button, video);
  }

  function animateIn(root) {
    if (!root.querySelectorAll) return;
    if (root.matches && root.matches("video[data-gifv]")) animate(root);
    root.querySelectorAll("video[data-gifv]").forEach(animate);
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    var button = target.closest && target.closest("[data-gifv-toggle]");
    var video = button ? button.parentNode.querySelector("video[data-gifv]")
      : (target.matches && target.matches("video[data-gifv][data-ready]") ? target : null);
    if (!video) return;
    if (video.paused) video.play(); else video.pause();
  });

  function start() {
    animateIn(document);
    new MutationObserver(function (changes) {
      changes.forEach(function (change) { change.addedNodes.forEach(animateIn); });
    }).observe(document.body, { childList: true, subtree: true });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
