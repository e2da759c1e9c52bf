/* Reply in place, like WordPress's comment-reply.js: "Reply" moves the comment form
   under the comment being answered, "Cancel reply" puts it back. Without JavaScript the
   same links work through ?replytocom=ID. No dependencies, no inline script (CSP). */
(function () {
  "use strict";

  var respond = document.getElementById("respond");
  if (!respond) {
    return;
  }
  // A refused comment: its errors are read out and focused (autofocus does it without
  // JavaScript, but a browser skips autofocus when the address has a #fragment).
  var errors = document.getElementById("comment-errors");
  if (errors && document.activeElement !== errors) {
    errors.focus();
  }
  var form = respond.querySelector("form");
  var parentInput = form && form.querySelector("input[name=parent]");
  var cancel = document.getElementById("cancel-comment-reply-link");
  var replyTo = respond.querySelector(".reply-to");
  // The excerpt of the comment a ?replytocom= page answers: beside the comment itself
  // once the form moves, so it goes.
  var context = document.getElementById("reply-context");
  if (!form || !parentInput || !cancel || !replyTo) {
    return;
  }
  // Marks where the form lives so "Cancel reply" can put it back.
  var home = document.createElement("div");
  home.id = "comment-form-home";
  home.hidden = true;
  respond.parentNode.insertBefore(home, respond);

  function focusTextarea() {
    var text = form.querySelector("textarea");
    if (text) {
      text.focus();
    }
  }

  function moveUnder(link) {
    var item = document.getElementById("comment-" + link.dataset.commentId);
    var body = item && item.querySelector(".comment-body");
    if (!body) {
      return false;
    }
    body.parentNode.insertBefore(respond, body.nextSibling);
    parentInput.value = link.dataset.commentId;
    replyTo.textContent = " to " + link.dataset.author;
    if (context) {
      context.hidden = true;
    }
    cancel.hidden = false;
    respond.classList.add("is-replying");
    focusTextarea();
    return true;
  }

  function moveHome() {
    home.parentNode.insertBefore(respond, home.nextSibling);
    parentInput.value = "";
    replyTo.textContent = "";
    if (context) {
      context.hidden = true;
    }
    cancel.hidden = true;
    respond.classList.remove("is-replying");
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".comment-reply-link");
    if (link && link.dataset.commentId && moveUnder(link)) {
      event.preventDefault();
      return;
    }
    if (event.target === cancel) {
      event.preventDefault();
      moveHome();
      var title = document.getElementById("comments-title");
      if (title) {
        title.scrollIntoView();
      }
    }
  });
})();
