"""Moderating in place: a signed-in moderator reading a post sees its pending comments in
the thread, marked, with Approve, Spam and Remove beside every comment.

This page is the moderator's alone: it is built fresh for each request, never from or
into the shared caches (comments.selectors caches only what every reader sees, and
posts.pagecache serves signed-in users fresh pages marked private), and the post view
adds no-store. The buttons post to the moderation queue's own row actions, which go
through the services and come back here.
"""

from html import escape

from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from comments import selectors
from comments.models import Comment
from comments.rendering import ID, PLACEHOLDER, STATUS, render_thread

Status = Comment.Status
BUTTONS = {  # what each status offers in place
    Status.PENDING: (
        ("approve", _("Approve")),
        ("spam", pgettext_lazy("mark as spam", "Spam")),
        ("remove", _("Remove")),
    ),
    Status.APPROVED: (("spam", pgettext_lazy("mark as spam", "Spam")), ("remove", _("Remove"))),
}


def can_moderate_in_place(request) -> bool:
    user = request.user
    return user.is_authenticated and user.is_staff and user.has_perm("comments.change_comment")


def moderation_thread_part(request, post, *, page_number: int, page_url: str, comments_open: bool):
    """The thread's page as a moderator sees it, or None for a missing page."""
    pending = dict(
        Comment.objects.filter(post=post, status=Status.PENDING, placeholder=False).values_list(
            "pk", "moderation_reason"
        )
    )
    found = selectors.thread_page(post, page_number, own_pending_ids=pending)
    if found is None:
        return None
    thread, page = found
    controls = InPlaceControls(request, post=post, page_url=page_url, reasons=pending)
    html = render_thread(
        thread,
        page_url=page_url,
        comments_open=comments_open,
        addition=controls.render,
        pending_notice=False,
    )
    return {"html": controls.summary(len(pending)) + html, "count": thread.count, "page": page}


class InPlaceControls:
    """The markup added to each comment for a moderator (everything escaped)."""

    def __init__(self, request, *, post, page_url: str, reasons: dict[int, str]):
        self.csrf = escape(get_token(request))
        self.post_id = post.pk
        self.page_url = page_url
        self.reasons = reasons

    def summary(self, pending: int) -> str:
        queue = reverse("admin:comments_comment_changelist")
        if not pending:
            text = gettext("No comment on this post is waiting for moderation.")
        else:
            text = ngettext(
                "%(count)d comment on this post is waiting for moderation, shown here to "
                "moderators only and marked “Pending”.",
                "%(count)d comments on this post are waiting for moderation, shown here to "
                "moderators only and marked “Pending”.",
                pending,
            ) % {"count": pending}
        return (
            f'<p class="moderation-summary">{escape(text)} '
            f'<a href="{escape(queue)}?post__id__exact={self.post_id}">'
            f"{escape(gettext('Open the queue'))}</a></p>\n"
        )

    def render(self, row: tuple, kind: str) -> str:
        """The controls inside one comment of the thread (a row, comments.rendering)."""
        comment_id, status = row[ID], row[STATUS]
        buttons = None if row[PLACEHOLDER] else BUTTONS.get(status)
        if buttons is None:
            return ""
        pending = status == Status.PENDING
        here = escape(f"{self.page_url}#comment-{comment_id}")
        away = escape(f"{self.page_url}#comments")
        parts = [
            f'<form class="comment-moderation{" is-pending" if pending else ""}" method="post" '
            f'action="{escape(moderate_url(comment_id, buttons[0][0]))}">\n'
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{self.csrf}">\n'
        ]
        if pending:
            reason = self.reasons.get(comment_id, "")
            held = gettext("held: %(reason)s") % {"reason": reason} if reason else ""
            held = f" · {escape(held)}" if held else ""
            parts.append(
                f'<p class="moderation-status"><strong>{escape(Status.PENDING.label)}</strong>'
                f"{held}</p>\n"
            )
        numbered = gettext("comment #%(number)s") % {"number": comment_id}
        for action, label in buttons:
            target = here if action == "approve" else away
            parts.append(
                f'<button type="submit" formaction="{escape(moderate_url(comment_id, action))}" '
                f'name="next" value="{target}">{escape(label)}<span class="visually-hidden"> '
                f"{escape(numbered)}</span></button>\n"
            )
        change = reverse("admin:comments_comment_change", args=[comment_id])
        opening = escape(gettext("Open in the admin"))
        parts.append(f'<a href="{escape(change)}">{opening}</a>\n</form>\n')
        return "".join(parts)


def moderate_url(comment_id: int, action: str) -> str:
    return reverse("admin:comments_comment_moderate", args=[comment_id, action])
