// Pnyx: live timelines. A timeline page (<section class="timeline" data-stream="...">) listens
// for new posts with Server-Sent Events (/live/<stream>) and offers them behind a
// "N new posts" button. Nothing is inserted until the reader asks, so the page never moves
// under their eyes; once they ask, the posts go on top and focus moves to the first of them.
// Without this file, or without EventSource, the page is complete as it is.
"use strict";
(function () {
  var MAX_WAITING = 200;
  var section = document.querySelector("section.timeline[data-stream]");
  if (!section || !section.getAttribute("data-stream") || !window.EventSource) return;
  // An older page (?max_id=...): posts newer than its top do not belong on it.
  if (/[?&]max_id=/.test(window.location.search)) return;

  var labels = { one: "1 new post", other: "%(num)s new posts" };
  var waiting = []; // {id, html}, in arrival order: oldest first
  var source = null;

  var bar = document.createElement("div");
  bar.className = "live-bar more";
  bar.setAttribute("aria-live", "polite");
  var button = document.createElement("button");
  button.type = "button";
  button.hidden = true;
  bar.appendChild(button);
  section.insertBefore(bar, section.firstChild);

  function onPage(id) {
    return document.getElementById("status-" + id) !== null;
  }

  function isWaiting(id) {
    for (var i = 0; i < waiting.length; i++) if (waiting[i].id === id) return true;
    return false;
  }

  function newestOnPage() {
    var article = section.querySelector("article[data-id]");
    return article ? article.getAttribute("data-id") : "";
  }

  function showCount() {
    var n = waiting.length;
    button.hidden = n === 0;
    button.textContent = n === 1 ? labels.one : labels.other.replace("%(num)s", String(n));
  }

  function connect() {
    var url =
      "/live/" + encodeURIComponent(section.getAttribute("data-stream")) +
      "?since=" + encodeURIComponent(newestOnPage());
    source = new EventSource(url);
    source.addEventListener("labels", function (event) {
      try {
        labels = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      showCount();
    });
    source.addEventListener("update", function (event) {
      var post;
      try {
        post = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      if (!post || !post.id || !post.html || onPage(post.id) || isWaiting(post.id)) return;
      waiting.push(post);
      if (waiting.length >= MAX_WAITING) {
        // Enough for one look: stop here, and start again from the top once they are shown.
        source.close();
        source = null;
      }
      showCount();
    });
  }

  function reveal() {
    var holder = document.createElement("template");
    var anchor = bar.nextSibling;
    var first = null;
    for (var i = waiting.length - 1; i >= 0; i--) {
      if (onPage(waiting[i].id)) continue;
      holder.innerHTML = waiting[i].html; // rendered and escaped by the server's template
      var article = holder.content.firstElementChild;
      if (!article) continue;
      section.insertBefore(article, anchor);
      if (first === null) first = article;
    }
    waiting = [];
    showCount();
    if (first !== null) {
      var empty = section.querySelector(".empty");
      if (empty) empty.parentNode.removeChild(empty);
      first.setAttribute("tabindex", "-1");
      first.focus();
    }
    if (source === null) connect();
  }

  button.addEventListener("click", reveal);
  connect();
})();
