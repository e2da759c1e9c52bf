"""Every write to comments goes through here: the public form, the admin and the commands.

django-mptt computes a new root's tree_id as MAX(tree_id) + 1 and shifts lft/rght inside
a tree before inserting a reply, both read-then-write; concurrent writers would corrupt
the tree (django-mptt issues #236 and #555). Each write therefore holds a lock for the
tree it touches until its transaction commits: on PostgreSQL a transaction-scoped
advisory lock (one key for allocating new trees, one per tree_id), on SQLite the database
write lock taken at BEGIN IMMEDIATE (see settings).
"""

from django.core.exceptions import ValidationError
from django.db import connection, transaction

from comments.models import Comment, CommentEvent

TREE_LOCK_NAMESPACE = 7_270_001  # first key of pg_advisory_xact_lock(int, int)
NEW_TREE = 0  # second key used while allocating a tree_id for a new top-level comment

Status = Comment.Status


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
    if not post.is_published:
        raise ValidationError("This post does not accept comments.", code="closed")
    if not post.comments_open:
        raise ValidationError("Comments are closed on this post.", code="closed")


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
) -> Comment:
    """Post a comment or a reply from the public form (or a staff member)."""
    validate_post_accepts_comments(post)
    validate_reply_target(post=post, parent=parent)
    is_team = bool(user and user.is_staff)
    comment = Comment(
        post=post,
        parent=parent,
        body=body,
        author_name=author_name.strip() or default_author_name(user),
        author_email=author_email,
        author_url=author_url,
        user=user if is_team else None,
        ip_address=ip_address,
        status=Status.APPROVED if is_team else Status.PENDING,
    )
    comment.full_clean(exclude=["parent", "post", "user", "lft", "rght", "tree_id", "level"])
    with transaction.atomic():
        insert_comment(comment)
        record_event(comment, CommentEvent.Action.CREATED, actor=user, status_before="")
    return comment


def default_author_name(user) -> str:
    if user and user.is_staff:
        return user.get_full_name() or user.get_username()
    return "Anonymous"


STATUS_ACTIONS = {
    Status.APPROVED: CommentEvent.Action.APPROVED,
    Status.SPAM: CommentEvent.Action.SPAM,
    Status.REMOVED: CommentEvent.Action.REMOVED,
    Status.PENDING: CommentEvent.Action.RESTORED,
}


def comment_set_status(*, comment: Comment, status: str, actor=None, reason: str = "") -> bool:
    """Move one comment to a new status, recording who did it. Returns False if unchanged."""
    if status not in Status.values:
        raise ValidationError(f"Unknown status {status!r}.", code="status")
    with transaction.atomic():
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        if locked.status == status:
            return False
        before = locked.status
        Comment.objects.filter(pk=locked.pk).update(status=status)
        comment.status = status
        record_event(
            comment, STATUS_ACTIONS[status], actor=actor, status_before=before, reason=reason
        )
    return True


def comments_set_status(*, comments, status: str, actor=None) -> int:
    """Bulk version for admin actions; returns how many comments changed."""
    with transaction.atomic():
        return sum(
            comment_set_status(comment=comment, status=status, actor=actor) for comment in comments
        )


def comment_edit(*, comment: Comment, body: str, actor=None, reason: str = "") -> bool:
    """Change a comment's text, keeping the previous text in its audit trail."""
    if not body.strip():
        raise ValidationError("A comment cannot be empty.", code="required")
    with transaction.atomic():
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        if locked.body == body:
            return False
        Comment.objects.filter(pk=locked.pk).update(body=body)
        comment.body = body
        CommentEvent.objects.create(
            comment=comment,
            actor=actor,
            action=CommentEvent.Action.EDITED,
            status_before=locked.status,
            status_after=locked.status,
            body_before=locked.body,
            body_after=body,
            reason=reason,
        )
    return True


def record_event(comment: Comment, action: str, *, actor, status_before: str, reason: str = ""):
    return CommentEvent.objects.create(
        comment=comment,
        actor=actor,
        action=action,
        status_before=status_before,
        status_after=comment.status,
        body_after=comment.body if action in ("created", "imported") else "",
        reason=reason,
    )


IMPORTED_FIELDS = ("author_name", "author_email", "author_url", "body", "status", "created_at")


def comment_import(
    *, post, parent: Comment | None, import_ref: str, **fields
) -> tuple[Comment, str]:
    """Create or update an imported comment by its import reference.

    Returns the comment and "created", "updated" or "unchanged". An import keeps any
    moderation done since: an existing comment's status is left alone.
    """
    existing = Comment.objects.filter(import_ref=import_ref).first()
    if existing is None:
        comment = Comment(post=post, parent=parent, import_ref=import_ref, **fields)
        insert_comment(comment)
        record_event(comment, CommentEvent.Action.IMPORTED, actor=None, status_before="")
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
