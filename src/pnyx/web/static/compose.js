// Pnyx compose form enhancements: a live character counter and a tidier poll editor.
// The form works without this file (the server checks the length and ignores empty options).
"use strict";
(function () {
  // The same count as the server (pnyx.core.text.status_length): text normalized to NFC, each
  // link counts as 23 characters, "@user@domain" counts as "@user", in code points.
  var URL_LENGTH = 23;
  var URL = /https?:\/\/[^\s<>"'`]+/g;
  var REMOTE_MENTION =
    /(^|[^\p{L}\p{N}_\/@])@([A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_])?)@[\p{L}\p{N}_.\-]*[\p{L}\p{N}_]/gu;

  function trimUrl(url) {
    while (url) {
      var last = url.charAt(url.length - 1);
      var opens = function (c) { return url.split(c).length - 1; };
      if (".,;:!?'\"*".indexOf(last) >= 0 ||
          (last === ")" && opens("(") < opens(")")) ||
          (last === "]" && opens("[") < opens("]"))) {
        url = url.slice(0, -1);
      } else {
        break;
      }
    }
    return url;
  }

  function codePoints(text) {
    return Array.from(text).length;
  }

  function statusLength(text) {
    var source = (text || "").replace(/\r\n/g, "\n");
    if (source.normalize) source = source.normalize("NFC");
    source = source.replace(URL, function (url) {
      var kept = trimUrl(url);
      return new Array(URL_LENGTH + 1).join("x") + url.slice(kept.length);
    });
    source = source.replace(REMOTE_MENTION, function (all, before, user) {
      return before + "@" + user;
    });
    return codePoints(source);
  }

  function setUpCounter(form) {
    var max = parseInt(form.getAttribute("data-max-chars"), 10);
    var text = form.querySelector("textarea[name=status]");
    var warning = form.querySelector("input[name=spoiler_text]");
    var shown = form.querySelector("[data-counter]");
    var live = form.querySelector("[data-counter-live]");
    if (!max || !text || !shown || !live) return;
    var timer = null;
    function message() {
      var used = statusLength(text.value) + (warning ? codePoints(warning.value.trim()) : 0);
      var left = max - used;
      var template = left >= 0 ? form.getAttribute("data-left") : form.getAttribute("data-over");
      return { over: left < 0, text: (template || "{n}").replace("{n}", String(Math.abs(left))) };
    }
    function update() {
      var now = message();
      shown.textContent = now.text;
      shown.classList.toggle("over", now.over);
      // Screen readers hear the count once typing pauses, not at every key.
      if (timer) clearTimeout(timer);
      timer = setTimeout(function () { live.textContent = message().text; }, 700);
    }
    shown.hidden = false;
    shown.textContent = message().text;
    text.addEventListener("input", update);
    if (warning) warning.addEventListener("input", update);
  }

  function setUpPoll(form) {
    var options = Array.prototype.slice.call(form.querySelectorAll("[data-poll-option]"));
    var add = form.querySelector("[data-add-option]");
    if (!add || options.length <= 2) return;
    function input(option) { return option.querySelector("input"); }
    // Keep the first two options and every filled one; hide the empty extra ones.
    var lastFilled = 1;
    options.forEach(function (option, i) { if (input(option).value.trim()) lastFilled = Math.max(lastFilled, i); });
    options.forEach(function (option, i) { option.hidden = i > lastFilled; });
    function refresh() {
      add.hidden = !options.some(function (option) { return option.hidden; });
    }
    add.addEventListener("click", function () {
      var next = options.filter(function (option) { return option.hidden; })[0];
      if (!next) return;
      next.hidden = false;
      refresh();
      input(next).focus();
    });
    refresh();
  }

  function init() {
    var forms = document.querySelectorAll("form.compose");
    for (var i = 0; i < forms.length; i++) {
      setUpCounter(forms[i]);
      setUpPoll(forms[i]);
    }
  }

  if (typeof document !== "undefined") {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", init);
    } else {
      init();
    }
  }
  // For the tests, which check this count against the server's under Node.
  if (typeof module === "object" && module.exports) module.exports = { statusLength: statusLength };
})();
