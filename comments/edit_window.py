"""The author's edit window, as in Isso and Remark42: for COMMENTS_EDIT_MINUTES after
posting, the browser that posted a comment may edit or delete it, until someone replies.

Which comments a browser wrote is a signed cookie, like the pending one
(comments.pending); when each window closes is read from the comment itself. A browser
holding the cookie gets private pages (posts.pagecache), so its Edit and Delete links
never reach a page cached for others.

The writes reuse the services: the text through ``services.comment_edit`` (which keeps
the original in the audit trail), a deletion through ``services.comment_set_status``
(a removal, which a moderator can restore). An edit of a held comment stays held; an
edit of a published one is judged by the moderation rules as a new comment is, and may
be held.
"""

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from comments import services
from comments.models import Comment, CommentEvent
from comments.moderation import moderation_verdict, validate_content
from comments.rendering import ID
from posts.caching import content_changed

COOKIE_NAME = "msblog_edit"
SALT = "comments.edit"
MAX_REMEMBERED = 20
Status = Comment.Status
EDITABLE_STATUSES = (Status.PENDING, Status.APPROVED)
CLOSED_MESSAGE = _(
    "This comment can no longer be changed from here: its author's time to edit it has "
    "passed, someone has replied to it, or it was not written in this browser."
)


def window() -> datetime.timedelta:
    return datetime.timedelta(minutes=settings.COMMENTS_EDIT_MINUTES)


def own_ids(request) -> list[int]:
    """The comments this browser posted within the window (as its signed cookie says)."""
    if not settings.COMMENTS_EDIT_MINUTES:
        return []
    value = request.get_signed_cookie(
        COOKIE_NAME, default="", salt=SALT, max_age=window().total_seconds()
    )
    return [int(part) for part in value.split(",") if part.isdigit()]


def grant(request, response, comment: Comment) -> None:
    """Let this browser edit ``comment`` for the window (a spam verdict gets no window)."""
    if not settings.COMMENTS_EDIT_MINUTES or comment.status not in EDITABLE_STATUSES:
        return
    ids = [*own_ids(request), comment.pk][-MAX_REMEMBERED:]
    set_cookie(response, ids)


def revoke(request, response, comment: Comment) -> None:
    ids = [pk for pk in own_ids(request) if pk != comment.pk]
    if ids:
        set_cookie(response, ids)
    else:
        response.delete_cookie(COOKIE_NAME, samesite="Lax")


def set_cookie(response, ids: list[int]) -> None:
    response.set_signed_cookie(
        COOKIE_NAME,
        ",".join(map(str, ids)),
        salt=SALT,
        max_age=int(window().total_seconds()),
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def editable(comments):
    """Those of ``comments`` still in their window: not binned, not replied to."""
    replies = Comment.objects.filter(parent=OuterRef("pk"))
    return comments.filter(
        status__in=EDITABLE_STATUSES, created_at__gt=timezone.now() - window()
    ).exclude(Exists(replies))


def editable_ids(request, post) -> dict[int, datetime.datetime]:
    """{id: when its window closes} for the comments on ``post`` this browser may still
    change; one query when the browser holds the cookie, none otherwise."""
    ids = own_ids(request)
    if not ids:
        return {}
    rows = editable(Comment.objects.filter(pk__in=ids, post=post)).values_list("pk", "created_at")
    return {pk: created_at + window() for pk, created_at in rows}


def own_actions(editable: dict[int, datetime.datetime]):
    """The Edit and Delete links drawn inside each of ``editable`` (from ``editable_ids``)
    in the thread, as a comments.rendering addition; None when there are none."""
    if not editable:
        return None
    edit = escape(pgettext("link to change one's own comment", "Edit"))
    delete = escape(pgettext("link to delete one's own comment", "Delete"))
    until = escape(gettext("(until %(time)s)"))

    def links(row: tuple, kind: str) -> str:
        comment_id = row[ID]
        if comment_id not in editable:
            return ""
        closes = timezone.localtime(editable[comment_id]).replace(microsecond=0)
        time = f'<time datetime="{closes.isoformat()}">{closes:%H:%M}</time>'
        return (
            f'<p class="own-actions"><a href="{reverse("comments:edit", args=[comment_id])}">'
            f'{edit}</a> <a href="{reverse("comments:delete", args=[comment_id])}">{delete}</a> '
            f'<span class="own-actions-until">{until % {"time": time}}</span></p>\n'
        )

    return links


def comment_for_author(request, comment_id: int) -> Comment:
    """The comment, if this browser may still change it; PermissionDenied otherwise."""
    if comment_id not in own_ids(request):
        raise PermissionDenied(CLOSED_MESSAGE)
    comment = editable(Comment.objects.select_related("post")).filter(pk=comment_id).first()
    if comment is None:
        raise PermissionDenied(CLOSED_MESSAGE)
    return comment


def lock_editable(comment: Comment) -> Comment:
    """Lock the comment for the write, checking the window again: a reply may have come."""
    locked = editable(Comment.objects.select_for_update()).filter(pk=comment.pk).first()
    if locked is None:
        raise PermissionDenied(CLOSED_MESSAGE)
    return locked


def comment_author_edit(*, comment: Comment, body: str) -> Comment:
    """Replace the text at its author's request; a published comment stays published only
    if the moderation rules would publish it as a new comment."""
    validate_content(author_name=comment.author_name, author_email=comment.author_email, body=body)
    with transaction.atomic():
        content_changed()  # first: see posts.caching
        locked = lock_editable(comment)
        if locked.body == body:
            return locked
        services.validate_not_duplicate(
            post=locked.post,
            parent=locked.parent,
            body=body,
            author_name=locked.author_name,
            author_email=locked.author_email,
            ip_address=locked.ip_address,
        )
        services.comment_edit(comment=locked, body=body, reason=gettext("edited by its author"))
        if locked.status == Status.APPROVED:
            hold_if_the_rules_say_so(locked)
    return locked


def hold_if_the_rules_say_so(comment: Comment) -> None:
    verdict = moderation_verdict(
        author_name=comment.author_name,
        author_email=comment.author_email,
        author_url=comment.author_url,
        body=comment.body,
        ip_address=comment.ip_address,
        user=comment.user,  # a member of the blog team's own comment stays published
    )
    if verdict.status != Status.APPROVED:
        services.comment_set_status(
            comment=comment,
            status=verdict.status,
            reason=gettext("edited by its author: %(reason)s") % {"reason": verdict.reason},
            action=CommentEvent.Action.EDITED,
        )


def comment_author_delete(*, comment: Comment) -> None:
    """Remove the comment at its author's request; a moderator can still restore it."""
    with transaction.atomic():
        content_changed()  # first: see posts.caching
        locked = lock_editable(comment)
        services.comment_set_status(
            comment=locked, status=Status.REMOVED, reason=gettext("deleted by its author")
        )
