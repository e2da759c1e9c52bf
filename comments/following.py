"""Following a discussion: every new approved comment on a post, by email, one email per
comment or a daily digest, for anyone who confirmed their address.

* Double opt-in: asking (the follow page, or the comment form's choice) stores an
  unconfirmed Subscription and emails a signed link; only its owner's click on the
  button behind that link confirms it, or changes how often they hear. Asking again for
  the same address sends at most one email an hour, so the form cannot flood a stranger.
* "New" means approved for the first time: a comment restored after removal, or
  imported, is not news (judged from its audit trail, CommentEvent).
* One email per comment: queued when a comment is approved (services.after_status_change)
  and sent by a task to each confirmed "each" follower but its author (and but the
  author of the comment it answers, when that one gets a reply notice anyway).
* A daily digest: `manage.py send_comment_digests`, run once a day by cron or a systemd
  timer, queues one task per "daily" follower; each sends the comments first approved
  since its last digest and moves its cursor (Subscription.digest_sent_until). A digest
  that fails to send puts the cursor back, so the next run sends those comments.
* Every email has a signed one-click unsubscribe link (also List-Unsubscribe with
  RFC 8058's POST), like the reply notices.
"""

import datetime
import hashlib
import logging

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext, pgettext_lazy

from comments import services, tasks
from comments.delivery import send_once
from comments.models import Comment, CommentEvent, Subscription
from comments.notifications import absolute, subject

logger = logging.getLogger(__name__)

Mode = Subscription.Mode
CONFIRM_SALT = "comments.follow-confirm"
STOP_SALT = "comments.follow-stop"
CONFIRM_MAX_AGE = 7 * 24 * 60 * 60
RESEND_AFTER = datetime.timedelta(hours=1)
# How often, as the emails and pages say it after "Email" ("Email each new comment on …").
MODE_WORDS = {
    Mode.EACH: pgettext_lazy("how often, after 'Email'", "each new comment"),
    Mode.DAILY: pgettext_lazy("how often, after 'Email'", "a daily digest"),
}
# What makes a comment readable for the first time: written published, approved, or
# restored; an import brings old comments, not news.
APPROVING_ACTIONS = (
    CommentEvent.Action.CREATED,
    CommentEvent.Action.APPROVED,
    CommentEvent.Action.RESTORED,
    CommentEvent.Action.IMPORTED,
)


# --- asking, confirming, stopping -----------------------------------------------------


def subscription_request(*, post, email: str, mode: str) -> Subscription:
    """Ask to follow ``post`` at ``email``: a confirmation email, nothing else yet."""
    email = email.strip()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": gettext("Enter a valid email address.")}) from None
    if mode not in Mode.values:
        raise ValidationError({"mode": gettext("Choose each new comment or a daily digest.")})
    with transaction.atomic():
        subscription = (
            Subscription.objects.select_for_update().filter(post=post, email__iexact=email).first()
        )
        if subscription is None:
            subscription = Subscription.objects.create(post=post, email=email, mode=mode)
        now = timezone.now()
        sent = subscription.confirmation_sent_at
        if sent is not None and now - sent < RESEND_AFTER:
            return subscription  # one email an hour at most, whoever asks
        Subscription.objects.filter(pk=subscription.pk).update(confirmation_sent_at=now)
        token = confirm_token(subscription, mode=mode)
        services.enqueue_on_commit(tasks.send_follow_confirmation, subscription.pk, token)
    return subscription


def mode_words(mode: str) -> str:
    return str(MODE_WORDS[Mode(mode)])


def confirm_token(subscription: Subscription, *, mode: str) -> str:
    return signing.dumps({"s": subscription.pk, "m": mode}, salt=CONFIRM_SALT)


def subscription_from_confirm_token(token: str) -> tuple[Subscription, str] | None:
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("m") not in Mode.values:
        return None
    subscription = Subscription.objects.select_related("post").filter(pk=data.get("s")).first()
    return (subscription, data["m"]) if subscription else None


def subscription_confirm(*, subscription: Subscription, mode: str) -> None:
    """The owner of the address said yes: follow, at the rhythm they asked for."""
    now = timezone.now()
    changes = {"mode": mode}
    if subscription.confirmed_at is None:
        changes["confirmed_at"] = now
    if subscription.confirmed_at is None or mode != subscription.mode:
        # A digest covers what is approved from now on, not the discussion so far.
        changes["digest_sent_until"] = now
    Subscription.objects.filter(pk=subscription.pk).update(**changes)
    for name, value in changes.items():
        setattr(subscription, name, value)


def stop_token(subscription: Subscription) -> str:
    return signing.dumps(subscription.pk, salt=STOP_SALT)


def subscription_from_stop_token(token: str) -> Subscription | None:
    try:
        subscription_id = signing.loads(token, salt=STOP_SALT)
    except signing.BadSignature:
        return None
    return Subscription.objects.select_related("post").filter(pk=subscription_id).first()


def subscription_cancel(*, subscription: Subscription) -> None:
    Subscription.objects.filter(pk=subscription.pk).delete()


def subscriptions_erase(*, email: str) -> int:
    """Forget an address's subscriptions (erasure of a commenter's personal data)."""
    return Subscription.objects.filter(email__iexact=email).delete()[0] if email else 0


# --- which comments are news ----------------------------------------------------------


def approval_events():
    """Events that made a comment readable."""
    return CommentEvent.objects.filter(
        status_after=Comment.Status.APPROVED, action__in=APPROVING_ACTIONS
    ).exclude(status_before=Comment.Status.APPROVED)


def approvals(*, since=None, until=None):
    """The outer comment's approval events within (since, until], for Exists()."""
    events = approval_events().filter(comment=OuterRef("pk"))
    if since is not None:
        events = events.filter(created_at__gt=since)
    if until is not None:
        events = events.filter(created_at__lte=until)
    return events


def first_approved_between(comments, *, since, until):
    """Of ``comments``, those first made readable within (since, until]."""
    return comments.filter(Exists(approvals(since=since, until=until))).exclude(
        Exists(approvals(until=since))
    )


def is_news(comment: Comment) -> bool:
    """Whether ``comment``'s approval just now is its first one."""
    return approval_events().filter(comment=comment.pk).count() == 1


# --- the emails -----------------------------------------------------------------------


def unsubscribe_headers(url: str) -> dict:
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def send_follow_confirmation(subscription_id: int, token: str, *, sender: str = "") -> None:
    """``sender`` names the task sending it (comments.delivery): once per link."""
    subscription = Subscription.objects.select_related("post").filter(pk=subscription_id).first()
    if subscription is None:
        return
    mode = signing.loads(token, salt=CONFIRM_SALT)["m"]
    context = {
        "subscription": subscription,
        "post": subscription.post,
        "mode": mode_words(mode),
        "site_name": settings.SITE_NAME,
        "confirm_url": absolute(reverse("comments:follow-confirm", args=[token])),
        "post_url": absolute(subscription.post.get_absolute_url()),
    }
    message = EmailMessage(
        subject=subject(
            gettext("Confirm: follow the discussion on “%(title)s”")
            % {"title": subscription.post.title}
        ),
        body=render_to_string("comments/email/follow_confirm.txt", context),
        to=[subscription.email],
    )
    link = hashlib.sha256(token.encode()).hexdigest()[:32]
    send_once(f"follow-confirm:{subscription.pk}:{link}", message, sender=sender)


def notify_followers(comment_id: int, *, sender: str = "") -> None:
    """One email to each confirmed "each" follower of the comment's post, each sent once
    (comments.delivery): a run again after a failure sends only what is left."""
    comment = Comment.objects.readable().select_related("post", "parent").filter(pk=comment_id)
    comment = comment.first()
    if comment is None or not is_news(comment):
        return
    skip = {comment.author_email.lower()}
    parent = comment.parent
    if parent is not None and parent.notify_replies and parent.author_email:
        skip.add(parent.author_email.lower())  # the reply notice tells them already
    followers = Subscription.objects.filter(
        post=comment.post, mode=Mode.EACH, confirmed_at__isnull=False
    ).order_by("pk")
    for subscription in followers:
        if subscription.email.lower() in skip:
            continue
        stop_url = absolute(reverse("comments:follow-stop", args=[stop_token(subscription)]))
        context = {
            "comment": comment,
            "post": comment.post,
            "site_name": settings.SITE_NAME,
            "comment_url": absolute(comment.get_absolute_url()),
            "stop_url": stop_url,
        }
        message = EmailMessage(
            subject=subject(gettext("New comment on “%(title)s”") % {"title": comment.post.title}),
            body=render_to_string("comments/email/follow_comment.txt", context),
            to=[subscription.email],
            headers=unsubscribe_headers(stop_url),
        )
        send_once(f"follow:{comment.pk}:{subscription.pk}", message, sender=sender)


def due_digests():
    """The confirmed daily subscriptions: each one's digest task decides if it has news."""
    return Subscription.objects.filter(mode=Mode.DAILY, confirmed_at__isnull=False)


def send_digest(subscription_id: int, until_iso: str, *, sender: str = "") -> bool:
    """Send one follower the comments first approved since their last digest, up to
    ``until``, then move their cursor; returns whether an email was sent now.

    The period's email is sent once (comments.delivery, keyed on the period), and the
    cursor moves only after it: a send that fails leaves the cursor for the task's next
    try or the next day's run, and a task run again after its worker died finds the
    email recorded and only moves the cursor.
    """
    until = datetime.datetime.fromisoformat(until_iso)
    subscription = Subscription.objects.select_related("post").filter(pk=subscription_id).first()
    if subscription is None or subscription.confirmed_at is None:
        return False
    cursor = subscription.digest_sent_until
    since = cursor or subscription.confirmed_at
    if since >= until:
        return False
    comments = list(
        first_approved_between(
            Comment.objects.readable().filter(post=subscription.post), since=since, until=until
        )
        .exclude(author_email__iexact=subscription.email)
        .order_by("created_at", "pk")
    )
    sent = bool(comments) and send_once(
        f"digest:{subscription.pk}:{until_iso}",
        digest_message(subscription, comments),
        sender=sender,
    )
    Subscription.objects.filter(pk=subscription.pk, digest_sent_until=cursor).update(
        digest_sent_until=until
    )
    return sent


def digest_message(subscription: Subscription, comments: list[Comment]) -> EmailMessage:
    stop_url = absolute(reverse("comments:follow-stop", args=[stop_token(subscription)]))
    count = len(comments)
    context = {
        "comments": [(c, absolute(c.get_absolute_url())) for c in comments],
        "post": subscription.post,
        "count": count,
        "site_name": settings.SITE_NAME,
        "post_url": absolute(subscription.post.get_absolute_url()),
        "stop_url": stop_url,
    }
    return EmailMessage(
        subject=subject(
            ngettext(
                "%(count)s new comment on “%(title)s”",
                "%(count)s new comments on “%(title)s”",
                count,
            )
            % {"count": count, "title": subscription.post.title}
        ),
        body=render_to_string("comments/email/follow_digest.txt", context),
        to=[subscription.email],
        headers=unsubscribe_headers(stop_url),
    )
