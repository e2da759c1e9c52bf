"""Moderation policy: what happens to a new comment, decided from settings.

The policy is data (settings with documented defaults, see README "Moderating"); the
services consult it, nothing else does.
"""

import datetime
import ipaddress
import re
import unicodedata
from dataclasses import dataclass

import regex
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from comments.models import BlockedSender, Comment
from comments.trust import trusted_reason

LINK_RE = re.compile(r"https?://|\bwww\.", re.IGNORECASE)
# Bidirectional overrides can make a name read as someone else's; no name needs them.
BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Text that shows nothing: white space, Unicode's default-ignorable code points (zero-width
# spaces and joiners, word joiner, BOM, soft hyphen, Hangul fillers, variation selectors,
# tags …), control characters, and the blank Braille pattern that fonts draw as nothing.
INVISIBLE = regex.compile(r"[\p{White_Space}\p{Default_Ignorable_Code_Point}\p{Cc}\u2800]*")


@dataclass(frozen=True)
class Verdict:
    status: str
    reason: str


def count_links(text: str) -> int:
    return len(LINK_RE.findall(text))


def word_pattern(words) -> re.Pattern | None:
    """One case-insensitive pattern matching any listed word or phrase as a whole word."""
    words = [w.strip() for w in words if w.strip()]
    if not words:
        return None
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def first_match(words, *fields: str) -> str | None:
    pattern = word_pattern(words)
    if pattern is None:
        return None
    for text in fields:
        match = pattern.search(text or "")
        if match:
            return match[0]
    return None


def moderation_verdict(
    *, author_name: str, author_email: str, author_url: str, body: str, ip_address, user=None
) -> Verdict:
    """Decide a new comment's status and why, the way WordPress's discussion rules do."""
    if user is not None and user.is_staff:
        return Verdict(Comment.Status.APPROVED, gettext("written by the blog team"))
    fields = (author_name, author_email, author_url, body, str(ip_address or ""))
    blocked = first_match(settings.COMMENTS_BLOCK_WORDS, *fields)
    if blocked:
        return Verdict(Comment.Status.SPAM, block_list_reason(repr(blocked)))
    if listed := block_list_match(author_email=author_email, ip_address=ip_address, fields=fields):
        return Verdict(Comment.Status.SPAM, block_list_reason(listed))
    links = count_links(body)
    limit = settings.COMMENTS_HOLD_LINK_COUNT
    if limit and links >= limit:
        reason = gettext("contains %(links)s links (hold at %(limit)s)")
        return Verdict(Comment.Status.PENDING, reason % {"links": links, "limit": limit})
    held_word = first_match(settings.COMMENTS_MODERATION_WORDS, *fields)
    if held_word:
        reason = gettext("matches the moderation list (%(word)s)") % {"word": repr(held_word)}
        return Verdict(Comment.Status.PENDING, reason)
    policy = settings.COMMENTS_MODERATION
    if policy == "none":
        return Verdict(Comment.Status.APPROVED, gettext("no rule held it"))
    if trusted := trusted_reason(author_email):
        return Verdict(Comment.Status.APPROVED, trusted)
    if policy == "all":
        return Verdict(Comment.Status.PENDING, gettext("every new comment is held for moderation"))
    if author_email and Comment.objects.known_author(author_email):
        return Verdict(Comment.Status.PENDING, gettext("author has not confirmed their email yet"))
    return Verdict(Comment.Status.PENDING, gettext("first comment from this author"))


def block_list_reason(what: str) -> str:
    return gettext("matches the block list (%(what)s)") % {"what": what}


def normalized_ip(value) -> str | None:
    """An IP address as the block list stores it, or None if it is not one."""
    try:
        return str(ipaddress.ip_address(str(value).strip()))
    except ValueError:
        return None


def block_list_match(*, author_email: str, ip_address, fields) -> str | None:
    """What on the moderators' block list refuses this comment, or None (one query)."""
    entries = list(
        BlockedSender.objects.matching(
            email=author_email, ip_address=normalized_ip(ip_address) if ip_address else None
        ).values_list("kind", "value")
    )
    for kind, value in entries:
        if kind != BlockedSender.Kind.WORD:
            return f"{kind} {value}"
    word = first_match([value for _, value in entries], *fields)
    return repr(word) if word else None


# What the comment form says under each policy: (policy, holds links, holds words).
FORM_NOTICES = {
    ("known", False, False): _(
        "Your first comment is held for moderation; once one is approved and you have "
        "confirmed your email address through the link we send you, your later comments with "
        "it appear at once."
    ),
    ("known", True, False): _(
        "Your first comment is held for moderation; once one is approved and you have "
        "confirmed your email address through the link we send you, your later comments with "
        "it appear at once, except those with %(limit)s or more links, which are held for "
        "moderation too."
    ),
    ("known", False, True): _(
        "Your first comment is held for moderation; once one is approved and you have "
        "confirmed your email address through the link we send you, your later comments with "
        "it appear at once, except a few that are held for moderation."
    ),
    ("known", True, True): _(
        "Your first comment is held for moderation; once one is approved and you have "
        "confirmed your email address through the link we send you, your later comments with "
        "it appear at once, except those with %(limit)s or more links and a few others, which "
        "are held for moderation too."
    ),
    ("none", False, False): _("Comments appear at once."),
    ("none", True, False): _(
        "Comments appear at once, except those with %(limit)s or more links, which are held "
        "for moderation."
    ),
    ("none", False, True): _("Comments appear at once, except a few that are held for moderation."),
    ("none", True, True): _(
        "Comments appear at once, except those with %(limit)s or more links and a few others, "
        "which are held for moderation."
    ),
}


def form_notice(user=None) -> str:
    """What the comment form tells its writer will happen, from the same settings
    ``moderation_verdict`` reads. Block-list matches are not announced (no hint for
    spammers). Only staff get their own sentence: their pages are never cached."""
    if user is not None and user.is_staff:
        return gettext(
            "You are signed in as a member of the blog team: your comments are published at once."
        )
    policy = settings.COMMENTS_MODERATION
    if policy == "all":
        return gettext("Comments are held for moderation before they appear.")
    limit = settings.COMMENTS_HOLD_LINK_COUNT
    words = word_pattern(settings.COMMENTS_MODERATION_WORDS) is not None
    return str(FORM_NOTICES[policy, bool(limit), words]) % {"limit": limit}


def closed_reason(post) -> str | None:
    """Why a post takes no new comments, or None when it does."""
    if not post.is_published:
        return gettext("This post does not accept comments.")
    if not post.comments_open:
        return gettext("Comments are closed on this post.")
    days = settings.COMMENTS_CLOSE_AFTER_DAYS
    if days and post.published_at < timezone.now() - datetime.timedelta(days=days):
        return ngettext(
            "Comments close %(days)s day after a post is published.",
            "Comments close %(days)s days after a post is published.",
            days,
        ) % {"days": days}
    return None


def forbidden_character(text: str, *, allow_newlines: bool) -> str | None:
    allowed = "\n\r\t" if allow_newlines else ""
    for char in text:
        if char in allowed:
            continue
        if unicodedata.category(char) == "Cc" or (not allow_newlines and char in BIDI_CONTROLS):
            return f"U+{ord(char):04X}"
    return None


def is_blank(text: str) -> bool:
    """Whether ``text`` would show nothing at all: empty as far as a reader can tell."""
    return INVISIBLE.fullmatch(text) is not None


def body_problem(body: str) -> str | None:
    """What is wrong with a comment's text, for a new comment and an edit alike."""
    if is_blank(body):
        return gettext("Please type a comment.")
    if len(body) > settings.COMMENTS_MAX_LENGTH:
        return gettext(
            "Please keep your comment under %(limit)s characters (it has %(length)s)."
        ) % {"limit": settings.COMMENTS_MAX_LENGTH, "length": len(body)}
    if bad := forbidden_character(body, allow_newlines=True):
        return gettext(
            "The comment contains a control character (%(character)s); please remove it."
        ) % {"character": bad}
    return None


def validate_content(*, author_name: str, author_email: str, body: str) -> None:
    """Rules every comment obeys, whoever writes it; raises ValidationError by field."""
    errors = {}
    if problem := body_problem(body):
        errors["body"] = problem
    if bad := forbidden_character(author_name, allow_newlines=False):
        errors["author_name"] = gettext(
            "Names cannot contain control characters (%(character)s)."
        ) % {"character": bad}
    elif author_name and is_blank(author_name):
        errors["author_name"] = (
            gettext("A name needs at least one visible character.")
            if settings.COMMENTS_REQUIRE_NAME_EMAIL
            else gettext(
                "A name needs at least one visible character. Leave it empty to post as "
                "“Anonymous”."
            )
        )
    if settings.COMMENTS_REQUIRE_NAME_EMAIL:
        if not author_name.strip():
            errors["author_name"] = gettext("Please give your name.")
        if not author_email.strip():
            errors["author_email"] = gettext(
                "Please give your email address (it is never published)."
            )
    if errors:
        raise ValidationError(errors)
