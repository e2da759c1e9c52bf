"""Every write to comments goes through here: the public form, the admin and the commands.

Each function is one transaction; email tasks are queued so that they commit with it
(enqueue_on_commit), so a rolled-back write never mails anyone and a committed one always
does, and a worker sends them (comments.tasks), so a failing mail server never loses or
delays a comment.

django-mptt computes a new root's tree_id as MAX(tree_id) + 1 and shifts lft/rght inside
a tree before inserting a reply, both read-then-write; concurrent writers would corrupt
the tree (django-mptt issues #236 and #555). Each insert therefore holds a lock for the
tree it touches until its transaction commits: on PostgreSQL a transaction-scoped
advisory lock (one key for allocating new trees, one per tree_id), on SQLite the database
write lock taken at BEGIN IMMEDIATE (see settings).
"""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email, validate_ipv46_address
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, ngettext
from django_tasks_db import DatabaseBackend

from comments import batches, privacy, tasks, trust
from comments.markup import render_comment_html
from comments.models import (
    BlockedSender,
    Comment,
    Commenter,
    CommentEvent,
    ModerationBatch,
    Subscription,
)
from comments.moderation import (
    closed_reason,
    forbidden_character,
    is_blank,
    moderation_verdict,
    normalized_ip,
    validate_content,
)
from posts.caching import content_changed, forget_cached_content

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
        raise ValidationError(
            gettext("You can only reply to a comment on the same post."), code="parent"
        )
    if parent.status != Status.APPROVED or parent.placeholder:
        raise ValidationError(gettext("That comment cannot be replied to."), code="parent")


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


DUPLICATE_MESSAGE = gettext_lazy(
    "Duplicate comment detected; it looks as though you’ve already said that!"
)


def validate_not_duplicate(
    *, post, parent: Comment | None, body: str, author_name: str, author_email: str, ip_address
) -> None:
    """Refuse what WordPress's wp_allow_comment refuses: the same text on the same post,
    under the same parent, from the same author, meaning the same name and, when one is
    given, the same email (both ignoring case, as WordPress's database compares them).
    A removed comment (WordPress's trash) does not count; pending and spam ones do.

    One addition: a comment with neither name nor email is "Anonymous", which names
    nobody, so it must also come from the same IP address (two strangers may both write
    "Thank you!"). The code "duplicate" lets a view answer 409, as WordPress does.
    """
    earlier = Comment.objects.filter(
        post=post, parent=parent, body=body, author_name__iexact=author_name
    ).exclude(status=Status.REMOVED)
    if author_email:
        earlier = earlier.filter(author_email__iexact=author_email)
    elif author_name == privacy.NO_NAME:
        earlier = earlier.filter(ip_address=ip_address)
    if earlier.exists():
        raise ValidationError(DUPLICATE_MESSAGE, code="duplicate")


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
        # Under the thread's lock, so a form sent twice at once (a double click) is
        # stored once: the second sender waits, then finds the first's comment.
        lock_comment_tree(parent.tree_id if parent else None)
        validate_not_duplicate(
            post=post,
            parent=parent,
            body=body,
            author_name=author_name,
            author_email=author_email,
            ip_address=ip_address,
        )
        insert_comment(comment)
        record_event(comment, Action.CREATED, actor=user, status_before="", reason=verdict.reason)
        after_status_change(comment, created=True)
    return comment


def default_author_name(user) -> str:
    if user and user.is_staff:
        return user.get_full_name() or user.get_username()
    return privacy.NO_NAME


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
        raise ValidationError(
            gettext("Unknown status %(status)r.") % {"status": status}, code="status"
        )
    with transaction.atomic():
        content_changed()  # first: see posts.caching
        locked = Comment.objects.select_for_update().get(pk=comment.pk)
        if locked.placeholder:
            raise ValidationError(gettext("A stand-in for a missing comment cannot be moderated."))
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
            reason=gettext("approved with its reply #%(number)s") % {"number": comment.pk},
            action=Action.APPROVED,
        )


def change_status(comment: Comment, status: str, *, actor, reason: str, action: str) -> None:
    before, reason_before = comment.status, comment.moderation_reason
    comment.status = status
    if status == Status.APPROVED:
        comment.moderation_reason = ""
    elif reason:
        comment.moderation_reason = reason[:200]
    Comment.objects.filter(pk=comment.pk).update(
        status=status, moderation_reason=comment.moderation_reason
    )
    record_event(
        comment,
        action,
        actor=actor,
        status_before=before,
        reason=reason,
        reason_before=reason_before,
    )
    after_status_change(comment)


def after_status_change(comment: Comment, *, created: bool = False) -> None:
    """Queue the emails a status implies, once the transaction commits. Moderators hear of
    new held comments only: one put back to pending was put there by a moderator."""
    if comment.status == Status.PENDING and created:
        enqueue_on_commit(tasks.notify_moderators, comment.pk)
    elif comment.status == Status.APPROVED:
        if comment.parent_id and not comment.parent_notified:
            enqueue_on_commit(tasks.notify_parent_author, comment.pk)
        enqueue_on_commit(tasks.notify_followers, comment.pk)  # see comments.following
    if comment.status == Status.APPROVED and trust.wants_confirmation(comment):
        enqueue_on_commit(tasks.offer_email_confirmation, comment.pk)


def enqueue_on_commit(task, *args) -> None:
    """Queue ``task`` so that it is queued if and only if the write in progress commits.

    The database queue (django-tasks-db) gets the task's row inside the write's own
    transaction: it commits with the comment, so a database lost just after the commit
    cannot lose the email, or rolls back with it, and no worker sees it before. Any other
    queue (the immediate one of development) is called once the transaction commits.
    """
    if isinstance(task.get_backend(), DatabaseBackend):
        task.enqueue(*args)
        return

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
            reason=gettext("restored from %(status)s")
            % {"status": comment.get_status_display().lower()},
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
    if is_blank(body):
        raise ValidationError(gettext("A comment cannot be empty."), code="required")
    if bad := forbidden_character(body, allow_newlines=True):
        raise ValidationError(
            gettext("A comment cannot contain a control character (%(character)s).")
            % {"character": bad}
        )


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
            batch=batches.current(),
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
    """A moderator's reply from the admin: approves the parent if needed, then publishes.
    One undoable action: undo removes the reply and puts the parent back."""
    summary = gettext("Replied to comment #%(number)s") % {"number": parent.pk}
    with batches.recording(actor=user, summary=summary, comment=parent):
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
    """Erase one commenter's personal data, keeping their words so threads stay whole:
    from their comments, every copy kept beside them, and cached pages (README "Privacy")."""
    with transaction.atomic():
        content_changed()  # first: see posts.caching
        comments = list(Comment.objects.by_author_email(email).select_for_update())
        for comment in comments:
            values = privacy.personal_values(comment)
            Comment.objects.filter(pk=comment.pk).update(
                author_name=privacy.NO_NAME,
                author_email="",
                author_url="",
                ip_address=None,
                notify_replies=False,
                moderation_reason=privacy.without_personal_data(comment.moderation_reason, values),
            )
            privacy.erase_copies(comment, values)
            CommentEvent.objects.create(
                comment=comment,
                actor=actor,
                action=Action.ERASED,
                status_before=comment.status,
                status_after=comment.status,
                reason=gettext("personal data erased on request"),
            )
        Commenter.objects.filter(email=trust.normalized_email(email)).delete()
        Subscription.objects.filter(email__iexact=email).delete()  # comments.following
        # Pages under retired versions are unreachable, but would keep the name until
        # they expire; delete them once the erasure is visible.
        transaction.on_commit(forget_cached_content, robust=True)
    return len(comments)


def record_event(
    comment: Comment,
    action: str,
    *,
    actor,
    status_before: str,
    reason: str = "",
    reason_before: str = "",
):
    return CommentEvent.objects.create(
        comment=comment,
        actor=actor,
        action=action,
        status_before=status_before,
        status_after=comment.status,
        body_after=comment.body if action in (Action.CREATED, Action.IMPORTED) else "",
        reason=reason[:200],
        reason_before=reason_before[:200],
        batch=batches.current(),
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
    changed = privacy.without_erased_fields(existing.pk, changed)
    if not changed:
        return existing, "unchanged"
    if "body" in changed:
        comment_edit(comment=existing, body=changed.pop("body"), reason=gettext("re-import"))
    if changed:
        Comment.objects.filter(pk=existing.pk).update(**changed)
    existing.refresh_from_db()
    return existing, "updated"


# The moderation desk. Each moderator action is one batch (comments.batches): the events,
# blocks and trust it records are reversed together by batch_undo.

DESK_STATUSES = {
    "approve": Status.APPROVED,
    "unapprove": Status.PENDING,
    "spam": Status.SPAM,
    "remove": Status.REMOVED,
}
# What each desk action's record says, written in the site's language (a deployment has
# one: msblog.settings.LANGUAGE_CODE), so every list and message shows it as stored.
ONE_COMMENT = {
    "approve": gettext_lazy("Approved comment #%(number)s by %(name)s"),
    "unapprove": gettext_lazy("Unapproved comment #%(number)s by %(name)s"),
    "spam": gettext_lazy("Marked as spam comment #%(number)s by %(name)s"),
    "remove": gettext_lazy("Removed comment #%(number)s by %(name)s"),
    "restore": gettext_lazy("Restored comment #%(number)s by %(name)s"),
}
MANY_COMMENTS = {
    "approve": lambda n: ngettext("Approved %(count)d comment", "Approved %(count)d comments", n),
    "unapprove": lambda n: ngettext(
        "Unapproved %(count)d comment", "Unapproved %(count)d comments", n
    ),
    "spam": lambda n: ngettext(
        "Marked as spam %(count)d comment", "Marked as spam %(count)d comments", n
    ),
    "remove": lambda n: ngettext("Removed %(count)d comment", "Removed %(count)d comments", n),
    "restore": lambda n: ngettext("Restored %(count)d comment", "Restored %(count)d comments", n),
}
DESK_VERBS = ONE_COMMENT.keys()
BRANCH = {
    Status.SPAM: lambda n: ngettext(
        "Marked as spam comment #%(number)s and the %(count)d reply under it",
        "Marked as spam comment #%(number)s and the %(count)d replies under it",
        n,
    ),
    Status.REMOVED: lambda n: ngettext(
        "Removed comment #%(number)s and the %(count)d reply under it",
        "Removed comment #%(number)s and the %(count)d replies under it",
        n,
    ),
}


def described(action: str, comments: list[Comment]) -> str:
    if len(comments) == 1:
        comment = comments[0]
        return ONE_COMMENT[action] % {"number": comment.pk, "name": comment.author_name}
    return MANY_COMMENTS[action](len(comments)) % {"count": len(comments)}


def comments_moderate(*, comments, action: str, actor) -> ModerationBatch | None:
    """Approve, unapprove, spam, remove or restore comments as one undoable action.

    Stand-ins are skipped (they are not comments). Returns the batch, or None when nothing
    changed.
    """
    if action not in DESK_VERBS:
        raise ValidationError(
            gettext("Unknown moderation action %(action)r.") % {"action": action}, code="action"
        )
    targets = [comment for comment in comments if not comment.placeholder]
    summary = described(action, targets)
    first = targets[0] if targets else None
    with batches.recording(actor=actor, summary=summary, comment=first) as batch:
        for comment in targets:
            if action == "restore":
                comment_restore(comment=comment, actor=actor)
            elif action == "unapprove":
                comment.refresh_from_db(fields=["status"])
                if comment.status == Status.APPROVED:
                    comment_set_status(
                        comment=comment,
                        status=Status.PENDING,
                        actor=actor,
                        action=Action.UNAPPROVED,
                    )
            else:
                comment_set_status(comment=comment, status=DESK_STATUSES[action], actor=actor)
    return batch if batch.pk else None


def comment_branch_set_status(*, comment: Comment, status: str, actor) -> ModerationBatch | None:
    """Mark a comment and every reply under it as spam, or remove them: one undoable action."""
    if status not in (Status.SPAM, Status.REMOVED):
        raise ValidationError(
            gettext("A branch can only be marked as spam or removed."), code="status"
        )
    branch = [c for c in comment.get_descendants(include_self=True) if not c.placeholder]
    summary = BRANCH[status](len(branch) - 1) % {"number": comment.pk, "count": len(branch) - 1}
    with batches.recording(actor=actor, summary=summary, comment=comment) as batch:
        for member in branch:
            under = gettext("in the branch under #%(number)s") % {"number": comment.pk}
            reason = "" if member.pk == comment.pk else under
            comment_set_status(comment=member, status=status, actor=actor, reason=reason)
    return batch if batch.pk else None


def comment_approve_and_trust(*, comment: Comment, actor) -> ModerationBatch:
    """Approve a comment and trust its author: once they confirm their address (a signed
    link is mailed to it), their comments are published without waiting."""
    if comment.placeholder or not comment.author_email:
        raise ValidationError(gettext("This comment has no email address to trust."), code="email")
    email = trust.normalized_email(comment.author_email)
    summary = gettext("Approved comment #%(number)s and trusted %(email)s") % {
        "number": comment.pk,
        "email": email,
    }
    with batches.recording(actor=actor, summary=summary, comment=comment) as batch:
        comment_set_status(
            comment=comment,
            status=Status.APPROVED,
            actor=actor,
            reason=gettext("approved; author trusted"),
        )
        commenter, _ = Commenter.objects.get_or_create(email=email)
        Commenter.objects.filter(pk=commenter.pk, trusted_at=None).update(
            trusted_at=timezone.now(), trusted_by=actor, trust_batch=batch
        )
        if commenter.confirmed_at is None:
            enqueue_on_commit(tasks.offer_email_confirmation, comment.pk)
    return batch


BLOCKED = {
    BlockedSender.Kind.EMAIL: gettext_lazy("Blocked email address %(value)s"),
    BlockedSender.Kind.IP: gettext_lazy("Blocked IP address %(value)s"),
}
NOTHING_TO_BLOCK = {
    BlockedSender.Kind.EMAIL: gettext_lazy("This comment has no email address to block."),
    BlockedSender.Kind.IP: gettext_lazy("This comment has no IP address to block."),
}


def sender_block(*, comment: Comment, kind: str, actor) -> ModerationBatch:
    """Put a comment's email or IP address on the block list (their next comments go to
    spam) and mark that sender's pending comments, and this one, as spam."""
    if kind == BlockedSender.Kind.EMAIL:
        value = trust.normalized_email(comment.author_email)
        theirs = Q(author_email__iexact=value)
    elif kind == BlockedSender.Kind.IP:
        value = normalized_ip(comment.ip_address) if comment.ip_address else ""
        theirs = Q(ip_address=value)
    else:
        raise ValidationError(gettext("Only an email or IP address can be blocked from a comment."))
    if comment.placeholder or not value:
        raise ValidationError(NOTHING_TO_BLOCK[kind], code="empty")
    summary = BLOCKED[kind] % {"value": value}
    with batches.recording(actor=actor, summary=summary, comment=comment) as batch:
        BlockedSender.objects.get_or_create(
            kind=kind,
            value=value,
            defaults={
                "created_by": actor,
                "batch": batch,
                "note": gettext("from comment #%(number)s") % {"number": comment.pk},
            },
        )
        pending = Comment.objects.filter(theirs, status=Status.PENDING, placeholder=False)
        for target in [comment, *pending.exclude(pk=comment.pk)]:
            if target.status in (Status.PENDING, Status.APPROVED):
                comment_set_status(comment=target, status=Status.SPAM, actor=actor, reason=summary)
    return batch


def comment_moderator_edit(*, comment: Comment, body: str, actor) -> ModerationBatch | None:
    """A moderator's edit (quick edit or the change page), as one undoable action."""
    summary = gettext("Edited comment #%(number)s") % {"number": comment.pk}
    with batches.recording(actor=actor, summary=summary, comment=comment) as batch:
        comment_edit(comment=comment, body=body, actor=actor)
    return batch if batch.pk else None


def batch_undo(*, batch: ModerationBatch, actor) -> ModerationBatch:
    """Reverse everything one action did: every status change and edit it recorded (parents
    approved along with a reply included), its block-list entries and the trust it gave.

    Refused, changing nothing, if any comment it touched has changed since: undoing then
    would throw away the later decision.
    """
    with transaction.atomic():
        batch = ModerationBatch.objects.select_for_update().get(pk=batch.pk)
        refuse_undo_if_stale(batch)
        events = list(batch.events.select_related("comment").order_by("-pk"))
        summary = gettext("Undid: %(action)s") % {"action": batch.summary}
        with batches.recording(actor=actor, summary=summary, comment=batch.comment) as undo:
            undo.undo_of = batch
            undo.save(update_fields=["undo_of"])
            for event in events:
                undo_reason = gettext("undo of action #%(number)s") % {"number": batch.pk}
                reverse_event(event, actor=actor, reason=undo_reason)
            BlockedSender.objects.filter(batch=batch).delete()
            Commenter.objects.filter(trust_batch=batch).update(
                trusted_at=None, trusted_by=None, trust_batch=None
            )
    return undo


def refuse_undo_if_stale(batch: ModerationBatch) -> None:
    if batch.undo_of_id is not None:
        raise ValidationError(gettext("An undo cannot be undone; take the action again instead."))
    if ModerationBatch.objects.filter(undo_of=batch).exists():
        raise ValidationError(
            gettext("Action #%(number)s was already undone.") % {"number": batch.pk}
        )
    left: dict[int, CommentEvent] = {}  # each comment's last event in the batch
    for event in batch.events.select_related("comment").order_by("pk"):
        left[event.comment_id] = event
    changed = [
        f"#{comment_id}"
        for comment_id, event in left.items()
        if event.comment.status != event.status_after
        or (event.action == Action.EDITED and event.comment.body != event.body_after)
    ]
    if changed:
        raise ValidationError(
            gettext(
                "Nothing was undone: comment %(comments)s changed after action #%(number)s. "
                "Moderate it directly instead."
            )
            % {"comments": ", ".join(changed), "number": batch.pk}
        )


def reverse_event(event: CommentEvent, *, actor, reason: str) -> None:
    comment = event.comment
    if event.action == Action.EDITED:
        comment_edit(comment=comment, body=event.body_before, actor=actor, reason=reason)
    elif event.action == Action.CREATED:
        restore_status(comment, Status.REMOVED, reason_before="", actor=actor, reason=reason)
    elif event.status_before and event.status_before != event.status_after:
        restore_status(
            comment,
            event.status_before,
            reason_before=event.reason_before,
            actor=actor,
            reason=reason,
        )


def restore_status(comment: Comment, status: str, *, reason_before: str, actor, reason: str):
    """Put a comment back to an earlier status and hold reason, as an "undone" event."""
    locked = Comment.objects.select_for_update().get(pk=comment.pk)
    before, current_reason = locked.status, locked.moderation_reason
    locked.status, locked.moderation_reason = status, reason_before
    Comment.objects.filter(pk=locked.pk).update(status=status, moderation_reason=reason_before)
    record_event(
        locked,
        Action.UNDONE,
        actor=actor,
        status_before=before,
        reason=reason,
        reason_before=current_reason,
    )
    if status == Status.APPROVED:
        after_status_change(locked)


def email_confirm(*, email: str) -> bool:
    """The owner of ``email`` followed their signed link: record it. False if already done."""
    commenter, _ = Commenter.objects.get_or_create(email=trust.normalized_email(email))
    return bool(
        Commenter.objects.filter(pk=commenter.pk, confirmed_at=None).update(
            confirmed_at=timezone.now()
        )
    )


def block_value(kind: str, value: str) -> str:
    """A block-list value as stored, or ValidationError: emails lower-case, IP addresses
    in their canonical form, words without control characters."""
    value = value.strip()
    if kind == BlockedSender.Kind.EMAIL:
        validate_email(value)
        return trust.normalized_email(value)
    if kind == BlockedSender.Kind.IP:
        if (ip := normalized_ip(value)) is None:
            raise ValidationError(gettext("Enter a valid IPv4 or IPv6 address."), code="invalid")
        return ip
    if not value or forbidden_character(value, allow_newlines=False):
        raise ValidationError(gettext("Enter a word or phrase without control characters."))
    return value
