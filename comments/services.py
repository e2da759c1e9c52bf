"""Every write to comments goes through here: the public form, the admin and the commands.

Each function is one transaction; email tasks are queued with ``transaction.on_commit`` so
a rolled-back write never mails anyone, and a worker sends them (comments.tasks), so a
failing mail server never loses or delays a comment.

django-mptt computes a new root's tree_id as MAX(tree_id) + 1 and shifts lft/rght inside
a tree before inserting a reply, both read-then-write; concurrent writers would corrupt
the tree (django-mptt issues #236 and #555). Each insert therefore holds a lock for the
tree it touches until its transaction commits: on PostgreSQL a transaction-scoped
advisory lock (one key for allocating new trees, one per tree_id), on SQLite the database
write lock taken at BEGIN IMMEDIATE (see settings).
"""

from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address
from django.db import connection, transaction
from django.utils import timezone

from comments import tasks
from comments.markup import render_comment_html
from comments.models import Comment, CommentEvent
from comments.moderation import (
    closed_reason,
    forbidden_character,
    moderation_verdict,
    validate_content,
)
from posts.caching import content_changed

TREE_LOCK_NAMESPACE = 7_270_001  # first key of pg_advisory_xact_lock(int, int)
NEW_TREE = 0  # second key used while allocating a tree_id for a new top-level comment

Status = Comment.Status
Action = CommentEvent.Action


def lock_comment_tree(tree_id: int | None) -> None:
    """Serialise writers of one comment tree (None: of tree_id allocation) until commit."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)",
                [TREE_LOCK_NAMESPACE, NEW_TREE if tree_id is None else tree_id],
            )


def insert_comment(comment: Comment) -> Comment:
    """Insert a new node under its parent (or as a new tree) while holding the tree lock.

    Must run inside a transaction; mptt re-reads the parent's lft/rght after the lock.
    """
    parent = comment.parent
    lock_comment_tree(parent.tree_id if parent else None)
    comment.save()
    return comment


def validate_reply_target(*, post, parent: Comment | None) -> None:
    if parent is None:
        return
    if parent.post_id != post.pk:
        raise ValidationError("You can only reply to a comment on the same post.", code="parent")
    if parent.status != Status.APPROVED or parent.placeholder:
        raise ValidationError("That comment cannot be replied to.", code="parent")


def validate_post_accepts_comments(post) -> None:
    reason = closed_reason(post)
    if reason:
        raise ValidationError(reason, code="closed")


def validate_ip_address(ip_address: str | None) -> None:
    """Checked before any query uses it: PostgreSQL's inet type rejects a malformed address
    with an error that is not a ValidationError."""
    if ip_address is not None:
        try:
            validate_ipv46_address(ip_address)
        except ValidationError as exc:
            raise ValidationError({"ip_address": exc.messages}) from None


def validate_not_duplicate(*, post, body: str, author_name: str, author_email: str, ip_address):
    """Refuse the same words twice on one post from the same person, as WordPress does.

    The same person is the same email, or, without one, the same name from the same IP
    (two anonymous readers may well both write "Thank you").
    """
    same_words = Comment.objects.filter(post=post, body=body)
    if author_email:
        same_person = same_words.by_author_email(author_email)
    else:
        same_person = same_words.filter(author_name=author_name, ip_address=ip_address)
    if same_person.exists():
        raise ValidationError("You’ve already said that!", code="duplicate")


def comment_create(
    *,
    post,
    body: str,
    author_name: str = "",
    author_email: str = "",
    author_url: str = "",
    parent: Comment | None = None,
    user=None,
    ip_address: str | None = None,
    notify_replies: bool = False,
) -> Comment:
    """Post a comment or a reply; the moderation policy decides whether it is published."""
    author_name = author_name.strip() or default_author_name(user)
    validate_post_accepts_comments(post)
    validate_reply_target(post=post, parent=parent)
    validate_content(author_name=author_name, author_email=author_email, body=body)
    validate_ip_address(ip_address)
    validate_not_duplicate(
        post=post,
        body=body,
        author_name=author_name,
        author_email=author_email,
        ip_address=ip_address,
    )
    verdict = moderation_verdict(
        author_name=author_name,
        author_email=author_email,
        author_url=author_url,
        body=body,
        ip_address=ip_address,
        user=user,
    )
    is_team = bool(user and user.is_staff)
    comment = Comment(
        post=post,
        parent=parent,
        body=body,
        body_html=render_comment_html(body),
        author_name=author_name,
        author_email=author_email,
        author_url=author_url,
        user=user if is_team else None,
        ip_address=ip_address,
        status=verdict.status,
        moderation_reason="" if verdict.status == Status.APPROVED else verdict.reason,
        notify_replies=notify_replies and bool(author_email),
    )
    comment.full_clean(exclude=["parent", "post", "user", "lft", "rght", "tree_id", "level"])
    with transaction.atomic():
        if comment.status == Status.APPROVED:
            content_changed()  # first: see posts.caching
        insert_comment(comment)
        record_event(comment, Action.CREATED, actor=user, status_before="", reason=verdict.reason)
        after_status_change(comment)
    return comment


def default_author_name(user) -> str:
    if user and user.is_staff:
        return user.get_full_name() or user.get_username()
    return "Anonymous"


STATUS_ACTIONS = {
    Status.APPROVED: Action.APPROVED,
    Status.SPAM: Action.SPAM,
    Status.REMOVED: Action.REMOVED,
    Status.PENDING: Action.RESTORED,
}


def comment_set_status(
    *, comment: Comment, status: str, actor=None, reason: str = "", action: str | None = None
) -> bool:
    """Move one comment to a new status, recording who did it. Returns False if unchanged.

    Approving a reply whose parent is still pending approves that parent too (and so on
    up the thread): an approved reply is only readable under an approved parent, and the
    moderator saw the parent's excerpt in the queue.
    """
    if status not in Status.values:
        raise ValidationError(f"Unknown status {status!r}.", code="status")
    with transaction.atomic():
        content_changed()  # first: see posts.caching
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        if locked.status == status:
            return False
        if status == Status.APPROVED:
            approve_pending_ancestors(locked, actor=actor)
        action = action or STATUS_ACTIONS[status]
        change_status(locked, status, actor=actor, reason=reason, action=action)
    comment.status = locked.status
    return True


def approve_pending_ancestors(comment: Comment, *, actor) -> None:
    ancestors = comment.get_ancestors().select_for_update().filter(status=Status.PENDING)
    for ancestor in ancestors:
        change_status(
            ancestor,
            Status.APPROVED,
            actor=actor,
            reason=f"approved with its reply #{comment.pk}",
            action=Action.APPROVED,
        )


def change_status(comment: Comment, status: str, *, actor, reason: str, action: str) -> None:
    before = comment.status
    comment.status = status
    if status == Status.APPROVED:
        comment.moderation_reason = ""
    elif reason:
        comment.moderation_reason = reason[:200]
    Comment.objects.filter(pk=comment.pk).update(
        status=status, moderation_reason=comment.moderation_reason
    )
    record_event(comment, action, actor=actor, status_before=before, reason=reason)
    after_status_change(comment)


def after_status_change(comment: Comment) -> None:
    """Queue the emails a status implies, once the transaction commits."""
    if comment.status == Status.PENDING:
        enqueue_on_commit(tasks.notify_moderators, comment.pk)
    elif comment.status == Status.APPROVED and comment.parent_id and not comment.parent_notified:
        enqueue_on_commit(tasks.notify_parent_author, comment.pk)


def enqueue_on_commit(task, *args) -> None:
    # robust: a queue that cannot take the task is logged by Django and never turns a
    # comment that is already saved into an error page. A named function, not a partial:
    # Django's log line reads the callback's __qualname__.
    def enqueue():
        task.enqueue(*args)

    enqueue.__qualname__ = f"{task.module_path}.enqueue"
    transaction.on_commit(enqueue, robust=True)


def comments_set_status(*, comments, status: str, actor=None) -> int:
    """Bulk version for admin actions; returns how many comments changed."""
    with transaction.atomic():
        content_changed()  # first: see posts.caching
        return sum(
            comment_set_status(comment=comment, status=status, actor=actor) for comment in comments
        )


def status_before_binning(comment: Comment) -> str:
    """The status a spam or removed comment had before it was put there."""
    event = (
        comment.events.filter(status_after=comment.status)
        .exclude(status_before="")
        .exclude(status_before=comment.status)
        .order_by("-created_at", "-pk")
        .first()
    )
    return event.status_before if event else Status.PENDING


def comment_restore(*, comment: Comment, actor=None) -> bool:
    """Take a comment out of spam or removed, back to the status it had before."""
    if comment.status not in (Status.SPAM, Status.REMOVED):
        return False
    target = status_before_binning(comment)
    with transaction.atomic():
        restored = comment_set_status(
            comment=comment,
            status=target,
            actor=actor,
            reason=f"restored from {comment.status}",
            action=Action.RESTORED,
        )
        if restored:  # shown again: in HTML from today's renderer, not the one it left
            comment_render(comment_id=comment.pk)
    return restored


def comments_restore(*, comments, actor=None) -> int:
    with transaction.atomic():
        content_changed()  # first: see posts.caching
        return sum(comment_restore(comment=comment, actor=actor) for comment in comments)


def validate_edited_body(body: str) -> None:
    """An edit obeys a new comment's rule on control characters (PostgreSQL would refuse a
    NUL with a DataError); imported texts may be longer than the form allows."""
    if not body.strip():
        raise ValidationError("A comment cannot be empty.", code="required")
    if bad := forbidden_character(body, allow_newlines=True):
        raise ValidationError(f"A comment cannot contain a control character ({bad}).")


def comment_edit(*, comment: Comment, body: str, actor=None, reason: str = "") -> bool:
    """Change a comment's text, keeping the previous text in its audit trail."""
    validate_edited_body(body)
    with transaction.atomic():
        content_changed()  # first: see posts.caching
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        if locked.body == body:
            return False
        edited_at = timezone.now() if actor is not None else locked.edited_at
        body_html = render_comment_html(body)
        Comment.objects.filter(pk=locked.pk).update(
            body=body, body_html=body_html, edited_at=edited_at
        )
        comment.body, comment.body_html, comment.edited_at = body, body_html, edited_at
        CommentEvent.objects.create(
            comment=comment,
            actor=actor,
            action=Action.EDITED,
            status_before=locked.status,
            status_after=locked.status,
            body_before=locked.body,
            body_after=body,
            reason=reason,
        )
    return True


def comment_render(*, comment_id: int) -> bool:
    """Render one comment's stored HTML again from its text; True if it changed."""
    with transaction.atomic():
        content_changed()  # first: see posts.caching
        body, body_html = (
            Comment.objects.select_for_update().values_list("body", "body_html").get(pk=comment_id)
        )
        fresh = render_comment_html(body)
        if fresh == body_html:
            return False
        Comment.objects.filter(pk=comment_id).update(body_html=fresh)
    return True


def comments_render(*, batch_size: int = 1000) -> tuple[int, int]:
    """Render every comment's stored HTML again (after comments.markup changed).

    Returns (comments read, comments changed). Safe while the site runs: each batch is
    one transaction that bumps the content version first, and a row is only written if
    its text is still the one rendered (an edit meanwhile rendered it itself).
    """
    read = changed = 0
    last_pk = 0
    while True:
        rows = list(
            Comment.objects.filter(pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", "body", "body_html")[:batch_size]
        )
        if not rows:
            return read, changed
        stale = [
            (pk, body, html) for pk, body, old in rows if (html := render_comment_html(body)) != old
        ]
        if stale:
            with transaction.atomic():
                content_changed()  # first: see posts.caching
                for pk, body, html in stale:
                    changed += Comment.objects.filter(pk=pk, body=body).update(body_html=html)
        read += len(rows)
        last_pk = rows[-1][0]


def comment_reply_as_team(*, parent: Comment, body: str, user) -> Comment:
    """A moderator's reply from the admin: approves the parent if needed, then publishes."""
    with transaction.atomic():
        if parent.status != Status.APPROVED:
            comment_set_status(comment=parent, status=Status.APPROVED, actor=user)
            parent.refresh_from_db()
        return comment_create(post=parent.post, parent=parent, body=body, user=user)


def notifications_stop(*, comment: Comment) -> int:
    """Stop reply emails to the author of ``comment``: every comment with that email."""
    if comment.author_email:
        targets = Comment.objects.by_author_email(comment.author_email)
    else:
        targets = Comment.objects.filter(pk=comment.pk)
    return targets.filter(notify_replies=True).update(notify_replies=False)


def notifications_resume(*, comment: Comment) -> None:
    Comment.objects.filter(pk=comment.pk).update(notify_replies=bool(comment.author_email))


def commenter_erase(*, email: str, actor=None) -> int:
    """Erase one commenter's personal data, keeping their words so threads stay whole."""
    with transaction.atomic():
        content_changed()  # first: see posts.caching
        comments = list(Comment.objects.by_author_email(email).select_for_update())
        for comment in comments:
            Comment.objects.filter(pk=comment.pk).update(
                author_name="Anonymous",
                author_email="",
                author_url="",
                ip_address=None,
                notify_replies=False,
            )
            CommentEvent.objects.create(
                comment=comment,
                actor=actor,
                action=Action.ERASED,
                status_before=comment.status,
                status_after=comment.status,
                reason="personal data erased on request",
            )
    return len(comments)


def record_event(comment: Comment, action: str, *, actor, status_before: str, reason: str = ""):
    return CommentEvent.objects.create(
        comment=comment,
        actor=actor,
        action=action,
        status_before=status_before,
        status_after=comment.status,
        body_after=comment.body if action in (Action.CREATED, Action.IMPORTED) else "",
        reason=reason[:200],
    )


IMPORTED_FIELDS = ("author_name", "author_email", "author_url", "body", "status", "created_at")


def comment_import(
    *, post, parent: Comment | None, import_ref: str, **fields
) -> tuple[Comment, str]:
    """Create or update an imported comment by its import reference.

    Returns the comment and "created", "updated" or "unchanged". An import keeps any
    moderation done since: an existing comment's status is left alone. No emails. Runs
    inside the importer's transaction, whose first step bumps the content version.
    """
    existing = Comment.objects.filter(import_ref=import_ref).first()
    if existing is None:
        comment = Comment(post=post, parent=parent, import_ref=import_ref, **fields)
        comment.body_html = render_comment_html(comment.body)
        insert_comment(comment)
        record_event(comment, Action.IMPORTED, actor=None, status_before="")
        return comment, "created"
    if existing.post_id != post.pk or existing.parent_id != (parent.pk if parent else None):
        raise ValidationError(
            f"{import_ref} was imported before in another place in the thread.", code="moved"
        )
    changed = {
        name: value
        for name, value in fields.items()
        if name in IMPORTED_FIELDS and name != "status" and getattr(existing, name) != value
    }
    if not changed:
        return existing, "unchanged"
    if "body" in changed:
        comment_edit(comment=existing, body=changed.pop("body"), reason="re-import")
    if changed:
        Comment.objects.filter(pk=existing.pk).update(**changed)
    existing.refresh_from_db()
    return existing, "updated"
