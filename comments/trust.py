"""Trust that is earned: whose comments are published without waiting, and the signed
links that prove a commenter owns their email address.

Typing an address proves nothing, so an address alone never publishes a comment. A
commenter is trusted once they have confirmed their address through the link we mail them
(on their first approved comment under ``COMMENTS_MODERATION=known``, or when a moderator
chooses "Approve & trust") and either has an approved comment (``known``) or a moderator
trusts them (``known`` and ``all``).
"""

import datetime

from django.conf import settings
from django.core import signing
from django.utils import timezone
from django.utils.translation import gettext

from comments.models import Comment, Commenter

CONFIRM_SALT = "comments.confirm-email"
CONFIRM_MAX_AGE = datetime.timedelta(days=14)


def normalized_email(email: str) -> str:
    return email.strip().lower()


def trusted_reason(email: str) -> str | None:
    """Why comments from ``email`` may be published at once, or None."""
    if not email:
        return None
    commenter = Commenter.objects.filter(
        email=normalized_email(email), confirmed_at__isnull=False
    ).first()
    if commenter is None:
        return None
    if commenter.trusted_at is not None:
        return gettext("trusted by a moderator; email confirmed")
    if settings.COMMENTS_MODERATION == "known" and Comment.objects.known_author(email):
        return gettext("author has an earlier approved comment and confirmed their email")
    return None


def wants_confirmation(comment: Comment) -> bool:
    """Whether approving ``comment`` should offer its author the confirmation link: under
    the ``known`` policy, to a reader (not the team) whose address is not confirmed yet."""
    if settings.COMMENTS_MODERATION != "known" or not comment.author_email or comment.user_id:
        return False
    return not Commenter.objects.filter(
        email=normalized_email(comment.author_email), confirmed_at__isnull=False
    ).exists()


def confirmation_token(email: str) -> str:
    return signing.dumps(normalized_email(email), salt=CONFIRM_SALT)


def email_from_token(token: str) -> str | None:
    """The address a confirmation link was made for, or None if forged or expired."""
    try:
        return signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except signing.BadSignature:
        return None


def resend_cutoff() -> datetime.datetime:
    """A link sent before this has expired, so the next approval may send another."""
    return timezone.now() - CONFIRM_MAX_AGE
