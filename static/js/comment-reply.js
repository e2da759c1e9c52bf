/* Reply in place, like WordPress's comment-reply.js: "Reply" moves the comment form
   under the comment being answered, "Cancel reply" puts it back; "Quote" does what Reply
   does and puts the quoted comment's own words in the form, as a <blockquote> in the
   markup commenters type. Without JavaScript the same links work through ?replytocom=ID
   (and &quote=1, where the server fills the form the same way: comments/markup.py,
   quote_markup). No dependencies, no inline script (CSP). */
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
    // The words come from the page, in its language ({name} marks where the name goes).
    var words = replyTo.dataset.template || " to {name}";
    // A function, so a "$&" in a name is not read as a replacement pattern.
    replyTo.textContent = words.replace("{name}", function () {
      return link.dataset.author;
    });
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

  // The markup a commenter would type for a comment's HTML (the allowed tags only; its
  // own quotes left out), as comments/markup.py's as_markup writes it.
  var INLINE = ["em", "i", "strong", "b", "code"];

  function escapeHtml(text) {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#x27;");
  }

  function showsItsAddress(text, href) {
    var address = /^https?:\/\//i.test(text) ? text : "http://" + text;
    var decoded = href;
    try {
      decoded = decodeURI(href);
    } catch (error) {
      decoded = href;
    }
    return text !== "" && (href === address || decoded === address);
  }

  function markupOf(node) {
    var out = "";
    node.childNodes.forEach(function (child) {
      if (child.nodeType === Node.TEXT_NODE) {
        out += child.nodeValue.replace(/\n/g, "");
        return;
      }
      if (child.nodeType !== Node.ELEMENT_NODE) {
        return;
      }
      var name = child.tagName.toLowerCase();
      if (name === "br") {
        out += "\n";
      } else if (name === "p") {
        out += "\n\n" + markupOf(child) + "\n\n";
      } else if (name === "a") {
        var text = markupOf(child);
        var href = child.getAttribute("href") || "";
        if (showsItsAddress(text, href)) {
          out += text;
        } else {
          var title = child.getAttribute("title");
          out += '<a href="' + escapeHtml(href) + '"' +
            (title ? ' title="' + escapeHtml(title) + '"' : "") + ">" + text + "</a>";
        }
      } else if (INLINE.indexOf(name) >= 0) {
        out += "<" + name + ">" + markupOf(child) + "</" + name + ">";
      } else if (name !== "blockquote") {
        out += markupOf(child);
      }
    });
    return out;
  }

  function tidy(text) {
    return text.replace(/[ \t]*\n[ \t]*/g, "\n").replace(/\n{3,}/g, "\n\n").trim();
  }

  function quote(link) {
    var item = document.getElementById("comment-" + link.dataset.commentId);
    var content = item && item.querySelector(".comment-content");
    var words = content ? tidy(markupOf(content)) : "";
    var text = form.querySelector("textarea");
    if (!words || !text) {
      return;
    }
    var before = text.value.replace(/\s+$/, "");
    text.value = (before ? before + "\n\n" : "") + "<blockquote>" + words + "</blockquote>\n\n";
    text.focus();
    text.setSelectionRange(text.value.length, text.value.length);
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest &&
      event.target.closest(".comment-reply-link, .comment-quote-link");
    if (link && link.dataset.commentId && moveUnder(link)) {
      event.preventDefault();
      if (link.classList.contains("comment-quote-link")) {
        quote(link);
      }
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
