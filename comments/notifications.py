"""Emails about comments. Called by their tasks (comments.tasks) after the transaction
commits (see services), each sent once through comments.delivery.

A mail server that fails or times out is logged and raised to the task, which the worker
runs again later (comments.worker); the comment is already safely stored, and the
reader's request never waits for mail.
"""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import EmailMessage
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from comments import trust
from comments.delivery import send_once
from comments.links import is_web_address
from comments.markup import plain_text
from comments.models import Comment, Commenter
from comments.roles import MODERATORS_GROUP
from msblog.siteurl import absolute_url as absolute

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "comments.unsubscribe"


def unsubscribe_token(comment: Comment) -> str:
    return signing.dumps(comment.pk, salt=UNSUBSCRIBE_SALT)


def comment_from_unsubscribe_token(token: str) -> Comment | None:
    try:
        comment_id = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return Comment.objects.filter(pk=comment_id).first()


def subject(words: str) -> str:
    """An email's subject: the site's name in brackets, then ``words``."""
    return f"[{settings.SITE_NAME}] {words}"


def title_of(comment: Comment) -> dict:
    return {"title": comment.post.title}


def moderator_emails() -> list[str]:
    if settings.COMMENTS_MODERATOR_EMAILS:
        return list(settings.COMMENTS_MODERATOR_EMAILS)
    moderators = get_user_model().objects.filter(
        Q(is_superuser=True) | Q(groups__name=MODERATORS_GROUP), is_active=True
    )
    return sorted(set(moderators.exclude(email="").values_list("email", flat=True)))


def notify_moderators(comment_id: int, *, sender: str = "") -> None:
    """Tell moderators a comment is waiting, with a direct link to it in the admin.
    ``sender`` names the task sending it (comments.delivery)."""
    comment = Comment.objects.select_related("post").filter(pk=comment_id).first()
    if comment is None or comment.status != Comment.Status.PENDING:
        return
    if not settings.COMMENTS_NOTIFY_MODERATORS:
        return
    recipients = moderator_emails()
    if not recipients:
        logger.warning(
            "comment %s awaits moderation, but no moderator has an email address "
            "(give one to a superuser or a Moderator, or set COMMENTS_MODERATOR_EMAILS)",
            comment.pk,
        )
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
    message = EmailMessage(
        subject=subject(gettext("Please moderate a comment on “%(title)s”") % title_of(comment)),
        body=render_to_string("comments/email/moderation_notice.txt", context),
        to=recipients,
    )
    # Once each time the comment enters the queue: held, or put back there by a restore.
    queued = comment.events.filter(status_after=Comment.Status.PENDING).order_by("-pk").first()
    send_once(f"moderators:{comment.pk}:{queued.pk if queued else 0}", message, sender=sender)


def website_line(url: str) -> str:
    if not url:
        return gettext("(none)")
    if is_web_address(url):
        return url
    return gettext("%(url)s (not an http or https address: never linked)") % {"url": url}


def notify_parent_author(reply_id: int, *, sender: str = "") -> None:
    """Tell a commenter who asked for it that a reply to their comment was approved.
    ``sender`` names the task sending it (comments.delivery)."""
    reply = Comment.objects.select_related("post", "parent").filter(pk=reply_id).first()
    if reply is None or reply.status != Comment.Status.APPROVED or reply.parent is None:
        return
    parent = reply.parent
    wants_mail = parent.notify_replies and parent.author_email
    if not wants_mail or parent.author_email.lower() == reply.author_email.lower():
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
        subject=subject(gettext("New reply to your comment on “%(title)s”") % title_of(reply)),
        body=render_to_string("comments/email/reply_notification.txt", context),
        to=[parent.author_email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    # Once per reply, even when two approvals race or a worker dies mid-send.
    if send_once(f"reply:{reply.pk}", message, sender=sender):
        Comment.objects.filter(pk=reply.pk).update(parent_notified=True)


def offer_email_confirmation(comment_id: int, *, sender: str = "") -> None:
    """Mail the author of an approved comment a signed link that confirms their address,
    at most once per link lifetime: the first approval claims the lifetime
    (``confirmation_sent_at``) and the mail is keyed on it, so a second approval racing
    this one, or this task run again after its worker died, sends nothing more."""
    comment = Comment.objects.select_related("post").filter(pk=comment_id).first()
    if comment is None or comment.status != Comment.Status.APPROVED or not comment.author_email:
        return
    email = trust.normalized_email(comment.author_email)
    commenter, _ = Commenter.objects.get_or_create(email=email)
    if commenter.confirmed_at is not None:
        return
    Commenter.objects.filter(pk=commenter.pk, confirmed_at=None).filter(
        Q(confirmation_sent_at=None) | Q(confirmation_sent_at__lt=trust.resend_cutoff())
    ).update(confirmation_sent_at=timezone.now())
    commenter.refresh_from_db()
    if commenter.confirmed_at is not None or commenter.confirmation_sent_at is None:
        return
    token = trust.confirmation_token(email)
    context = {
        "comment": comment,
        "site_name": settings.SITE_NAME,
        "confirm_url": absolute(reverse("comments:confirm-email", args=[token])),
        "comment_url": absolute(comment.get_absolute_url()),
        "days": trust.CONFIRM_MAX_AGE.days,
    }
    message = EmailMessage(
        subject=subject(gettext("Please confirm your email address")),
        body=render_to_string("comments/email/confirm_email.txt", context),
        to=[comment.author_email],
    )
    lifetime = commenter.confirmation_sent_at.isoformat()
    send_once(f"confirm:{commenter.pk}:{lifetime}", message, sender=sender)
