"""The thread's HTML, built in one flat loop.

Why not a template: Django's template engine spends about 0.3 ms resolving names and
filters for each comment, which made a 1,000-comment thread take ~400 ms to render
(benchmarks/post_page.py). This loop builds the same markup at a small fraction of that.
Every value that comes from a comment goes through ``html.escape`` (quotes included) or
through ``comment_text``, which escapes before it links URLs, so the rule "escape
everything a commenter writes" holds here exactly as in a template.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS

from comments.templatetags.comment_tags import comment_text

if TYPE_CHECKING:
    from comments.selectors import Thread, ThreadEntry

PLACEHOLDERS = {
    "removed": '<p class="comment-placeholder">This comment was removed.</p>\n',
    "missing": (
        '<p class="comment-placeholder">This comment is missing from the archived page.</p>\n'
    ),
}
PENDING_NOTICE = '<p class="comment-awaiting-moderation">Your comment is awaiting moderation.</p>\n'


def render_thread(
    thread: Thread, *, page_url: str, comments_open: bool, moderation=None, own_editable=None
) -> str:
    """``moderation``, for a moderator's page only, adds its markup to each comment
    (comments.inplace). ``own_editable``: {id: when its edit window closes} for the
    viewer's own comments (comments.edit_window); never given for a thread cached for
    everyone."""
    if not thread.entries:
        return ""
    months = {number: str(name) for number, name in MONTHS.items()}
    parts = ['<ol class="comment-list">\n']
    for index, entry in enumerate(thread.entries):
        if entry.opens:
            parts.append('<ol class="children">\n')
        elif index:
            parts.append("</li>\n" + "</ol></li>\n" * len(entry.closes))
        parts.append(render_entry(entry, months, page_url, comments_open, moderation))
        if own_editable and entry.comment.id in own_editable:
            parts[-1] = with_own_actions(parts[-1], entry.comment.id, own_editable)
    parts.append("</li>\n" + "</ol></li>\n" * len(thread.final_closes) + "</ol>\n")
    return "".join(parts)


def render_entry(
    entry: ThreadEntry, months, page_url: str, comments_open: bool, moderation=None
) -> str:
    comment = entry.comment
    classes = f"comment depth-{comment.level + 1}"
    if entry.capped:
        classes += " depth-capped"
    if comment.user_id:
        classes += " by-team"
    opening = f'<li id="comment-{comment.id}" class="{classes}">\n'
    # A placeholder shows none of its comment's text (rendered for nobody).
    if entry.kind in PLACEHOLDERS:
        return opening + PLACEHOLDERS[entry.kind]
    name = escape(comment.author_name)
    author = name
    if comment.author_url:
        url = escape(comment.author_url)
        author = f'<a href="{url}" rel="external nofollow ugc noopener">{name}</a>'
    badge = ' <span class="team-badge">Blog team</span>' if comment.user_id else ""
    created = timezone.localtime(comment.created_at)
    parts = [
        opening,
        f'<article class="comment-body" aria-label="Comment by {name}">\n',
        f'<footer class="comment-meta"><b class="comment-author">{author}</b>{badge} '
        f'<a class="comment-permalink" href="#comment-{comment.id}">'
        f'<time datetime="{iso(created)}">{long_date(created, months)} at '
        f"{created:%H:%M}</time></a></footer>\n",
    ]
    if entry.kind == "pending" and moderation is None:
        parts.append(PENDING_NOTICE)
    parts.append(f'<div class="comment-content">{comment_text(comment.body)}</div>\n')
    if comment.edited_at:
        edited = timezone.localtime(comment.edited_at)
        parts.append(
            f'<p class="comment-edited">Edited by the blog team on <time datetime='
            f'"{iso(edited)}">{long_date(edited, months)}</time>.</p>\n'
        )
    if entry.kind == "comment" and comments_open:
        parts.append(
            f'<p class="reply"><a class="comment-reply-link" rel="nofollow" '
            f'href="{escape(page_url)}?replytocom={comment.id}#respond" '
            f'data-comment-id="{comment.id}" data-author="{name}" '
            f'aria-label="Reply to {name}">Reply</a></p>\n'
        )
    if moderation is not None:
        parts.append(moderation(entry))
    parts.append("</article>\n")
    return "".join(parts)


def iso(moment) -> str:
    """A datetime attribute HTML accepts: to the second (HTML allows at most milliseconds)."""
    return moment.isoformat(timespec="seconds")


def long_date(moment, months) -> str:
    return f"{moment.day} {months[moment.month]} {moment.year}"


def with_own_actions(entry_html: str, comment_id: int, own_editable) -> str:
    """Add the author's Edit and Delete links to their comment's markup, before its end."""
    closes = timezone.localtime(own_editable[comment_id])
    links = (
        f'<p class="own-actions"><a href="{reverse("comments:edit", args=[comment_id])}">'
        f'Edit</a> <a href="{reverse("comments:delete", args=[comment_id])}">Delete</a> '
        f'<span class="own-actions-until">(until <time datetime="{iso(closes)}">'
        f"{closes:%H:%M}</time>)</span></p>\n"
    )
    head, found, end = entry_html.rpartition("</article>")
    return f"{head}{links}</article>{end}" if found else entry_html
