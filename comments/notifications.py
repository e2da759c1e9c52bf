"""Emails about comments. Called after the transaction commits (see services).

A mail server that fails or times out is logged and never raised: the comment is already
safely stored, and the reader's request must not fail because of mail.
"""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import EmailMessage
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse

from comments.links import is_web_address
from comments.markup import plain_text
from comments.models import Comment
from comments.roles import MODERATORS_GROUP

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "comments.unsubscribe"


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def unsubscribe_token(comment: Comment) -> str:
    return signing.dumps(comment.pk, salt=UNSUBSCRIBE_SALT)


def comment_from_unsubscribe_token(token: str) -> Comment | None:
    try:
        comment_id = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return Comment.objects.filter(pk=comment_id).first()


def moderator_emails() -> list[str]:
    if settings.COMMENTS_MODERATOR_EMAILS:
        return list(settings.COMMENTS_MODERATOR_EMAILS)
    moderators = get_user_model().objects.filter(
        Q(is_superuser=True) | Q(groups__name=MODERATORS_GROUP), is_active=True
    )
    return sorted(set(moderators.exclude(email="").values_list("email", flat=True)))


def send(message: EmailMessage) -> bool:
    try:
        message.send()
    except Exception:
        logger.exception("could not send %r to %s", message.subject, message.to)
        return False
    return True


def notify_moderators(comment_id: int) -> None:
    """Tell moderators a comment is waiting, with a direct link to it in the admin."""
    comment = Comment.objects.select_related("post").filter(pk=comment_id).first()
    if comment is None or comment.status != Comment.Status.PENDING:
        return
    recipients = moderator_emails() if settings.COMMENTS_NOTIFY_MODERATORS else []
    if not recipients:
        return
    context = {
        "comment": comment,
        "website": website_line(comment.author_url),
        "site_name": settings.SITE_NAME,
        "admin_url": absolute(reverse("admin:comments_comment_change", args=[comment.pk])),
        "queue_url": absolute(
            reverse("admin:comments_comment_changelist") + "?status__exact=pending"
        ),
        "post_url": absolute(comment.post.get_absolute_url()),
    }
    send(
        EmailMessage(
            subject=f"[{settings.SITE_NAME}] Please moderate a comment on “{comment.post.title}”",
            body=render_to_string("comments/email/moderation_notice.txt", context),
            to=recipients,
        )
    )


def website_line(url: str) -> str:
    if not url:
        return "(none)"
    return url if is_web_address(url) else f"{url} (not an http or https address: never linked)"


def notify_parent_author(reply_id: int) -> None:
    """Tell a commenter who asked for it that a reply to their comment was approved."""
    reply = Comment.objects.select_related("post", "parent").filter(pk=reply_id).first()
    if reply is None or reply.status != Comment.Status.APPROVED or reply.parent is None:
        return
    parent = reply.parent
    wants_mail = parent.notify_replies and parent.author_email
    if not wants_mail or parent.author_email.lower() == reply.author_email.lower():
        return
    # Claim the notification so two approvals racing each other send it once.
    if not Comment.objects.filter(pk=reply.pk, parent_notified=False).update(parent_notified=True):
        return
    unsubscribe_url = absolute(reverse("comments:unsubscribe", args=[unsubscribe_token(parent)]))
    context = {
        "reply": reply,
        # As readers see it, in plain text: quotes marked "> ", links with their address.
        "reply_text": plain_text(reply.body_html, quotes="mark", links=True),
        "parent": parent,
        "site_name": settings.SITE_NAME,
        "reply_url": absolute(reply.get_absolute_url()),
        "unsubscribe_url": unsubscribe_url,
    }
    message = EmailMessage(
        subject=f"[{settings.SITE_NAME}] New reply to your comment on “{reply.post.title}”",
        body=render_to_string("comments/email/reply_notification.txt", context),
        to=[parent.author_email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    if not send(message):
        Comment.objects.filter(pk=reply.pk).update(parent_notified=False)
