"""What the blog stores about one commenter, for access and erasure requests.

A commenter's name, email, website and IP address live in their comments' own columns,
and copies of them can land beside those comments: a hold reason quoting a moderation
list entry that matched their email or IP, the same reason in the comment's history, and
Django's admin log. Erasure clears the columns (comments.services.commenter_erase) and
rewrites each of these copies (``erase_copies``); README "Privacy" lists every place.
"""

import json
import re
from urllib.parse import urlsplit

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils.translation import gettext

from comments.models import Comment, Commenter, CommentEvent, ModerationBatch, Subscription

ERASED = "[erased]"
NO_NAME = "Anonymous"  # what a comment without a name shows: nobody's personal data

COMMENT_FIELDS = (
    "id",
    "author_name",
    "author_email",
    "author_url",
    "ip_address",
    "body",
    "status",
    "created_at",
    "edited_at",
    "notify_replies",
    "moderation_reason",
)


def shown_name(name: str) -> str:
    """A commenter's name as readers see it: NO_NAME, stored in English whatever the
    site's language (the duplicate and erasure checks compare it), in the reader's."""
    return gettext("Anonymous") if name == NO_NAME else name


def commenter_data(email: str) -> dict:
    """Every comment written with this email, with its history (earlier texts included),
    the discussions the address follows and whether it was confirmed and trusted."""
    comments = list(Comment.objects.by_author_email(email).select_related("post").order_by("pk"))
    events = CommentEvent.objects.filter(comment__in=comments).order_by(
        "comment", "created_at", "pk"
    )
    history: dict[int, list] = {}
    for event in events:
        history.setdefault(event.comment_id, []).append(
            {
                "at": event.created_at,
                "action": event.action,
                "status_before": event.status_before,
                "status_after": event.status_after,
                "text_before": event.body_before,
                "text_after": event.body_after,
                "reason": event.reason,
            }
        )
    return {
        "email": email,
        "email_confirmation": trust_record(email),
        "following": [
            {
                "post": {"title": sub.post.title, "url": sub.post.get_absolute_url()},
                "mode": sub.mode,
                "asked_at": sub.created_at,
                "confirmed_at": sub.confirmed_at,
            }
            for sub in Subscription.objects.filter(email__iexact=email).select_related("post")
        ],
        "comments": [
            {
                **{name: getattr(comment, name) for name in COMMENT_FIELDS},
                "post": {"title": comment.post.title, "url": comment.post.get_absolute_url()},
                "in_reply_to": comment.parent_id,
                "history": history.get(comment.pk, []),
            }
            for comment in comments
        ],
    }


def trust_record(email: str) -> dict | None:
    """Whether the address was confirmed by its owner and trusted by a moderator."""
    record = Commenter.objects.filter(email__iexact=email.strip()).first()
    if record is None:
        return None
    fields = ("confirmation_sent_at", "confirmed_at", "trusted_at")
    return {name: getattr(record, name) for name in fields}


PERSONAL_FIELDS = frozenset({"author_name", "author_email", "author_url", "ip_address"})


def without_erased_fields(comment_id: int, changes: dict) -> dict:
    """The ``changes`` an import would make to a comment, less its author's personal data
    if that was erased: importing the same source again never undoes an erasure. Asks
    the database only when such a change is proposed."""
    if not PERSONAL_FIELDS & changes.keys():
        return changes
    erased = CommentEvent.objects.filter(comment_id=comment_id, action=CommentEvent.Action.ERASED)
    if not erased.exists():
        return changes
    return {name: value for name, value in changes.items() if name not in PERSONAL_FIELDS}


def personal_values(comment: Comment) -> list[str]:
    """The commenter's values as they could have been copied elsewhere, longest first."""
    host = urlsplit(comment.author_url).hostname or ""
    values = {comment.author_email, comment.author_url, host, str(comment.ip_address or "")}
    if comment.author_name != NO_NAME:
        values.add(comment.author_name)
    return sorted((value for value in values if value), key=len, reverse=True)


def without_personal_data(text: str, values: list[str]) -> str:
    """``text`` with each of ``values`` (ignoring case, as a whole word) replaced."""
    for value in values:
        text = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", ERASED, text, flags=re.IGNORECASE)
    return text


def erase_copies(comment: Comment, values: list[str]) -> None:
    """Rewrite what is kept beside ``comment`` that may hold its author's ``values``: the
    reasons in its history, the summaries of moderators' actions on it and its admin log
    entries. Runs in the erasing transaction."""
    for event in CommentEvent.objects.filter(comment=comment):
        reasons = {
            "reason": without_personal_data(event.reason, values),
            "reason_before": without_personal_data(event.reason_before, values),
        }
        if reasons != {"reason": event.reason, "reason_before": event.reason_before}:
            CommentEvent.objects.filter(pk=event.pk).update(**reasons)
    touched = Q(comment=comment) | Q(events__comment=comment)
    for batch in ModerationBatch.objects.filter(touched).distinct():
        summary = without_personal_data(batch.summary, values)
        if summary != batch.summary:
            ModerationBatch.objects.filter(pk=batch.pk).update(summary=summary)
    content_type = ContentType.objects.get_for_model(Comment)
    for entry in LogEntry.objects.filter(content_type=content_type, object_id=str(comment.pk)):
        entry.object_repr = str(comment)[:200]
        entry.change_message = change_message_without(entry.change_message, values)
        entry.save(update_fields=["object_repr", "change_message"])


def change_message_without(message: str, values: list[str]) -> str:
    """An admin log message without ``values``. Django stores it as JSON, where a name can
    be escaped (\\u00eb), so its strings are rewritten one by one."""
    try:
        data = json.loads(message)
    except ValueError:
        return without_personal_data(message, values)

    def rewrite(node):
        if isinstance(node, str):
            return without_personal_data(node, values)
        if isinstance(node, list):
            return [rewrite(item) for item in node]
        if isinstance(node, dict):
            return {key: rewrite(item) for key, item in node.items()}
        return node

    return json.dumps(rewrite(data))
