"""The part of a plan that is a post's comment thread.

Every comment is matched by its import reference. A bad item is a reply whose parent is
missing, in a loop or on another post, or a comment imported before in another place;
with ``--skip-bad`` it is left out with its replies. A new comment under an existing one
is grafted (comments.services.comment_import); a new thread is bulk-inserted. An
existing comment keeps its moderation status; its other imported fields are updated.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email, validate_ipv46_address

from comments.privacy import without_erased_fields
from posts.imports.records import Problem, SourceComment

COMMENT_FIELDS = ("author_name", "author_email", "author_url", "body", "created_at")
# Fields only some sources carry (msblog's own export); compared only when they do.
COMMENT_EXTRA_FIELDS = ("edited_at", "moderation_reason", "notify_replies", "parent_notified")
http_url = URLValidator(schemes=["http", "https"])


@dataclass(slots=True)
class CommentPlan:
    source: SourceComment
    action: str  # "create", "update" or "unchanged"
    pk: int | None = None  # the existing comment
    changes: dict = field(default_factory=dict)
    # A new comment is bulk-inserted with its new thread, or grafted under an existing one.
    grafted: bool = False
    parent_index: int | None = None  # parent among this post's planned comments
    parent_pk: int | None = None  # parent already in the database
    fields: dict = field(default_factory=dict)


def plan_thread(context, post_plan, problems) -> None:
    """Every comment of a post in tree order (parents first, siblings in file order)."""
    source = post_plan.source
    by_ref = {c.ref: c for c in source.comments}
    children = defaultdict(list)
    anchors, bad = [], {}
    for comment in by_ref.values():
        parent = comment.parent_ref
        if parent is None:
            anchors.append(comment)
        elif parent == comment.ref:
            bad[comment.ref] = "is its own parent"
        elif parent in by_ref:
            children[parent].append(comment)
        elif parent in context.comments and context.comments[parent]["post_id"] == post_plan.pk:
            anchors.append(comment)
        elif parent in context.comments:
            bad[comment.ref] = f"replies to {parent}, which is on another post"
        else:
            bad[comment.ref] = f"replies to {parent}, which is not in the file"
    index_of: dict[str, int] = {}
    stack = [(c, None) for c in reversed(anchors) if c.ref not in bad]
    while stack:
        comment, parent_index = stack.pop()
        planned = plan_comment(context, post_plan, comment, parent_index)
        if isinstance(planned, str):
            bad[comment.ref] = planned
            continue
        index_of[comment.ref] = len(post_plan.comments)
        post_plan.comments.append(planned)
        stack.extend((child, index_of[comment.ref]) for child in reversed(children[comment.ref]))
    for comment in by_ref.values():
        if comment.ref in index_of:
            continue
        message = bad.get(comment.ref) or skipped_parent(comment, by_ref, bad)
        problems.append(
            Problem(source.path, comment.line, f"{comment.label} on {source.label}: {message}")
        )


def plan_comment(context, post_plan, comment: SourceComment, parent_index):
    parent_plan = post_plan.comments[parent_index] if parent_index is not None else None
    parent_row = context.comments.get(comment.parent_ref) if parent_plan is None else None
    fields = comment_fields(comment, context.users)
    row = context.comments.get(comment.ref)
    if row is None:
        return CommentPlan(
            source=comment,
            action="create",
            grafted=parent_row is not None
            or bool(parent_plan and parent_plan.action != "create")
            or bool(parent_plan and parent_plan.grafted),
            parent_index=parent_index,
            parent_pk=parent_row["pk"] if parent_row else (parent_plan.pk if parent_plan else None),
            fields=fields,
        )
    expected_parent = parent_row["pk"] if parent_row else (parent_plan.pk if parent_plan else None)
    if (
        row["post_id"] != post_plan.pk
        or row["parent_id"] != expected_parent
        or (parent_plan and parent_plan.pk is None)
    ):
        return "was imported before in another place in the thread"
    names = [*COMMENT_FIELDS, *(n for n in COMMENT_EXTRA_FIELDS if n in comment.extra)]
    if comment.undated:
        names.remove("created_at")  # dated by its first import
    changes = {n: fields[n] for n in names if row[n] != fields[n]}
    changes = without_erased_fields(row["pk"], changes)  # an import never undoes an erasure
    return CommentPlan(
        source=comment,
        action="update" if changes else "unchanged",
        pk=row["pk"],
        changes=changes,
    )


def skipped_parent(comment: SourceComment, by_ref: dict, bad: dict) -> str:
    seen = {comment.ref}
    parent = by_ref.get(comment.parent_ref)
    while parent is not None and parent.ref not in seen:
        if parent.ref in bad:
            return f"its parent {parent.label} is left out"
        seen.add(parent.ref)
        parent = by_ref.get(parent.parent_ref)
    return "its replies form a loop"


def valid(validator, value) -> bool:
    try:
        validator(value)
    except ValidationError:
        return False
    return True


def comment_fields(comment: SourceComment, users: dict) -> dict:
    """The row a source comment becomes; values a field cannot hold are dropped."""
    email = comment.author_email[:254]
    url = comment.author_url[:500]
    return {
        "author_name": comment.author_name[:100]
        if comment.author_name or comment.placeholder
        else "Anonymous",
        "author_email": email if email and valid(validate_email, email) else "",
        "author_url": url if url and valid(http_url, url) else "",
        "body": comment.body,
        "status": comment.status,
        "created_at": comment.created_at,
        "ip_address": comment.ip_address
        if comment.ip_address and valid(validate_ipv46_address, comment.ip_address)
        else None,
        "placeholder": comment.placeholder,
        "user_id": users.get(comment.username),
        "import_ref": comment.ref,
        **comment.extra,
    }
