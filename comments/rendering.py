"""The thread's HTML, built in one flat loop over plain rows.

Why not a template: Django's template engine spends about 0.3 ms resolving names and
filters for each comment, which made a 1,000-comment thread take ~400 ms to render
(benchmarks/post_page.py). Why not model instances: building them costs more than
drawing the comment. A comment's text is stored as HTML when it is written
(``Comment.body_html``, escaped, linked and sanitised by comments.markup), so drawing it
is a string join; every other value from a comment goes through ``html.escape`` (quotes
included), and its author's website is a link only when it is an http(s) address.

What one reader alone sees (a moderator's buttons, the edit link on one's own comment)
is not drawn here: pass ``addition``, a small function of the row and its kind that
returns HTML to add inside that comment, and the thread is then not cached.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable
from html import escape
from typing import TYPE_CHECKING, NamedTuple

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language, gettext, gettext_lazy, pgettext

from comments.links import is_web_address
from comments.privacy import shown_name

if TYPE_CHECKING:
    from comments.selectors import Thread

# A thread row: a plain tuple of these columns, in this order (comments.selectors reads
# them; the first five are also the layout of its lighter paging rows).
THREAD_FIELDS = (
    "id",
    "parent_id",
    "level",
    "status",
    "placeholder",
    "author_name",
    "author_url",
    "user_id",
    "created_at",
    "edited_at",
    "body_html",
)
ID, PARENT, LEVEL, STATUS, PLACEHOLDER, NAME, URL, USER, CREATED, EDITED, HTML = range(11)

PLACEHOLDERS = {
    "removed": gettext_lazy("This comment was removed."),
    "missing": gettext_lazy("This comment is missing from the archived page."),
}
PENDING_NOTICE = gettext_lazy("Your comment is awaiting moderation.")

Addition = Callable[[tuple, str], str]  # (row, kind) -> HTML inside that comment


def render_thread(
    thread: Thread,
    *,
    page_url: str,
    comments_open: bool,
    addition: Addition | None = None,
    pending_notice: bool = True,
) -> str:
    """``pending_notice``: tell the reader a pending comment is theirs, awaiting moderation
    (a moderator's page marks pending comments its own way, comments.inplace)."""
    if not thread.rows:
        return ""
    draw = EntryDrawer(
        page_url=page_url,
        comments_open=comments_open,
        addition=addition,
        pending_notice=pending_notice,
    )
    parts = ['<ol class="comment-list">\n']
    previous = None
    for row, kind in zip(thread.rows, thread.kinds, strict=True):
        level = row[LEVEL]
        if previous is None:
            pass
        elif level > previous:
            parts.append('<ol class="children">\n')
        else:
            parts.append("</li>\n" + "</ol></li>\n" * (previous - level))
        parts.append(draw(row, kind))
        previous = level
    parts.append("</li>\n" + "</ol></li>\n" * previous + "</ol>\n")
    return "".join(parts)


class EntryDrawer:
    """Draws one comment. What is the same for every comment is worked out once, and what
    repeats (an author's name and link, a day's date) once per thread: a long thread is
    mostly a few regulars over a few days."""

    def __init__(
        self,
        *,
        page_url: str,
        comments_open: bool,
        addition: Addition | None,
        pending_notice: bool = True,
    ):
        self.page_url = escape(page_url)
        self.comments_open = comments_open
        self.addition = addition
        self.pending_notice = (
            f'<p class="comment-awaiting-moderation">{escape(PENDING_NOTICE)}</p>\n'
            if pending_notice
            else ""
        )
        self.placeholders = {
            kind: f'<p class="comment-placeholder">{escape(text)}</p>\n'
            for kind, text in PLACEHOLDERS.items()
        }
        self.cap = settings.COMMENTS_MAX_VISUAL_DEPTH
        self.zone = timezone.get_current_timezone()
        # The words in the current language, escaped, once per thread rather than per
        # comment; what goes into their %(…)s is escaped already.
        self.words = {
            key: escape(words)
            for key, words in {
                "comment_by": gettext("Comment by %(name)s"),
                "date_at": gettext("%(date)s at %(time)s"),
                "team": gettext("Blog team"),
                "edited": gettext("Edited by the blog team on %(date)s."),
                "reply_to": gettext("Reply to %(name)s"),
                "reply": pgettext("link under a comment", "Reply"),
                "quote_name": gettext("Quote %(name)s"),
                "quote": pgettext("link under a comment", "Quote"),
            }.items()
        }
        self.authors: dict[tuple, Byline] = {}
        self.language = get_language()

    def __call__(self, row: tuple, kind: str) -> str:
        comment_id, level = row[ID], row[LEVEL]
        classes = f"comment depth-{level + 1}"
        if level >= self.cap:
            classes += " depth-capped"
        if row[USER]:
            classes += " by-team"
        extra = self.addition(row, kind) if self.addition else ""
        opening = f'<li id="comment-{comment_id}" class="{classes}">\n'
        # A placeholder shows none of its comment's text (rendered for nobody).
        if kind in self.placeholders:
            return opening + self.placeholders[kind] + extra
        byline = self.author(row)
        created = row[CREATED].astimezone(self.zone)
        notice = self.pending_notice if kind == "pending" else ""
        edited = self.edited(row[EDITED]) if row[EDITED] else ""
        reply = (
            self.reply_links(comment_id, byline) if kind == "comment" and self.comments_open else ""
        )
        when = self.words["date_at"] % {
            "date": self.long_date(created),
            "time": f"{created.hour:02d}:{created.minute:02d}",
        }
        return (
            f'{opening}<article class="comment-body" aria-label="{byline.label}">\n'
            f'<footer class="comment-meta">{byline.html} '
            f'<a class="comment-permalink" href="#comment-{comment_id}">'
            f'<time datetime="{created.isoformat(timespec="seconds")}">{when}</time></a>'
            f'</footer>\n{notice}<div class="comment-content">{row[HTML]}</div>\n'
            f"{edited}{reply}{extra}</article>\n"
        )

    def author(self, row: tuple) -> Byline:
        """What names the author, escaped: their byline (a link only to http(s)), and the
        labels of their comment and its links."""
        key = (row[NAME], row[URL], bool(row[USER]))
        if key not in self.authors:
            name = escape(shown_name(row[NAME]))
            author = name
            if row[URL] and is_web_address(row[URL]):
                url = escape(row[URL])
                author = f'<a href="{url}" rel="external nofollow ugc noopener">{name}</a>'
            badge = f' <span class="team-badge">{self.words["team"]}</span>' if row[USER] else ""
            words, named = self.words, {"name": name}
            self.authors[key] = Byline(
                name=name,
                html=f'<b class="comment-author">{author}</b>{badge}',
                label=words["comment_by"] % named,
                reply_to=words["reply_to"] % named,
                quote=words["quote_name"] % named,
            )
        return self.authors[key]

    def edited(self, moment) -> str:
        edited = moment.astimezone(self.zone)
        date = (
            f'<time datetime="{edited.isoformat(timespec="seconds")}">'
            f"{self.long_date(edited)}</time>"
        )
        return f'<p class="comment-edited">{self.words["edited"] % {"date": date}}</p>\n'

    def reply_links(self, comment_id: int, byline: Byline) -> str:
        # Without JavaScript both work through ?replytocom= (quote=1 fills the form with
        # the quoted comment); comment-reply.js answers them in place.
        target = f"{self.page_url}?replytocom={comment_id}"
        data = f'data-comment-id="{comment_id}" data-author="{byline.name}"'
        words = self.words
        return (
            f'<p class="reply"><a class="comment-reply-link" rel="nofollow" '
            f'href="{target}#respond" {data} aria-label="{byline.reply_to}">{words["reply"]}</a> '
            f'<a class="comment-quote-link" rel="nofollow" href="{target}&amp;quote=1#respond" '
            f'{data} aria-label="{byline.quote}">{words["quote"]}</a></p>\n'
        )

    def long_date(self, moment) -> str:
        return long_date(self.language, moment.year, moment.month, moment.day)


class Byline(NamedTuple):
    name: str
    html: str
    label: str
    reply_to: str
    quote: str


@functools.lru_cache(maxsize=8192)
def long_date(language: str, year: int, month: int, day: int) -> str:
    """A day as the language writes it, escaped: Django's date formatting takes some 30 µs,
    and a thread's comments fall on the same few days, read again at every cold page."""
    return escape(date_format(datetime.date(year, month, day), "DATE_FORMAT"))
