"""The comments of a WXR item.

Pingbacks and trackbacks are not comments anyone wrote here: they are counted and left
out, and a reply to one takes its place in the thread (the report says where). Status:
``1`` approved, ``0`` (or none: WordPress stores that as not approved) pending, ``spam``
spam, ``trash`` and ``post-trashed`` removed; ``_wp_trash_meta_status`` says what a spam
or removed comment was before. A missing date is the post's.
"""

import datetime

from posts.imports.markup import html_to_comment
from posts.imports.records import ParsedFile, SourceComment, SourcePost
from posts.imports.wxr_fields import META, children, meta, precise_date, wp_date

COMMENT_STATUS = {
    "1": "approved",
    "approve": "approved",
    "0": "pending",
    "hold": "pending",
    "spam": "spam",
    "trash": "removed",
    "post-trashed": "removed",
}
COMMENT_TYPES = {"", "comment"}
# Comment fields only msblog's own export carries, and how to read each back.
COMMENT_EXTRA = {
    "edited_at": lambda v: precise_date(v),
    "moderation_reason": lambda v: v[:200],
    "notify_replies": lambda v: v == "1",
    "parent_notified": lambda v: v == "1",
}


def read_comments(
    parsed: ParsedFile,
    post: SourcePost,
    elements,
    *,
    short_link: str,
    post_date: datetime.datetime,
) -> None:
    refs: dict[str, str] = {}
    left_out: dict[str, tuple[str, str]] = {}  # pingbacks and trackbacks: id -> (kind, parent)
    pending: list[tuple[SourceComment, str]] = []
    for element in elements:
        values, repeated = children(element)
        comment_id = values.get("wp:comment_id", "").strip()
        kind = values.get("wp:comment_type", "").strip()
        if kind not in COMMENT_TYPES:
            parsed.leave_out(kind)
            left_out[comment_id] = (kind, values.get("wp:comment_parent", "0").strip())
            continue
        metas = dict(meta(child) for name, child in repeated if name == "wp:commentmeta")
        comment = read_comment(parsed, post, element, values, metas, short_link, post_date)
        if comment is not None:
            refs[comment_id] = comment.ref
            pending.append((comment, values.get("wp:comment_parent", "0").strip()))
    for comment, parent_id in pending:
        parent_id = kept_parent(parsed, comment, parent_id, left_out)
        if parent_id not in ("", "0"):
            # A parent missing from the file may have come in with an earlier export.
            comment.parent_ref = refs.get(parent_id, f"{short_link}#comment-{parent_id}")
        post.comments.append(comment)


def read_comment(parsed, post, element, values, metas, short_link, post_date):
    line = element.sourceline
    comment_id = values.get("wp:comment_id", "").strip()
    label = f"comment {comment_id or '?'} on {post.label}"
    # WordPress stores a comment without wp:comment_approved as not approved.
    approved = values.get("wp:comment_approved", "0").strip() or "0"
    status = COMMENT_STATUS.get(approved)
    if not comment_id.isdigit():
        parsed.problem(line, f"{label}: no numeric wp:comment_id")
        return None
    if status is None:
        parsed.problem(line, f"{label}: unknown status {approved!r}")
        return None
    created_at = precise_date(metas.get(f"{META}created_at")) or wp_date(
        values.get("wp:comment_date_gmt"), values.get("wp:comment_date")
    )
    placeholder = metas.get(f"{META}placeholder") == "1"
    own_body = metas.get(f"{META}body")  # msblog's text where WordPress's HTML is not it
    content = values.get("wp:comment_content", "")
    before = COMMENT_STATUS.get(metas.get("_wp_trash_meta_status", "").strip(), "")
    return SourceComment(
        ref=metas.get(f"{META}import_ref") or f"{short_link}#comment-{comment_id}",
        line=line,
        label=f"comment {comment_id}",
        parent_ref=None,
        author_name=values.get("wp:comment_author", "").strip(),
        body="" if placeholder else own_body or html_to_comment(content),
        status=status,
        created_at=created_at or post_date,
        undated=created_at is None,
        author_email=values.get("wp:comment_author_email", "").strip(),
        author_url=values.get("wp:comment_author_url", "").strip(),
        ip_address=values.get("wp:comment_author_IP", "").strip() or None,
        placeholder=placeholder,
        username=metas.get(f"{META}username", ""),
        status_before=before if status in ("spam", "removed") else "",
        extra={
            name: read(metas[f"{META}{name}"])
            for name, read in COMMENT_EXTRA.items()
            if f"{META}{name}" in metas
        },
    )


def kept_parent(parsed: ParsedFile, comment, parent_id: str, left_out: dict) -> str:
    """A reply to a pingback or trackback, which are left out, hangs where that notice
    hung (top level, as a rule); the report says so."""
    if parent_id not in left_out:
        return parent_id
    kind, notice, seen = "", parent_id, set()
    while parent_id in left_out and parent_id not in seen:
        seen.add(parent_id)
        kind, parent_id = left_out[parent_id]
    where = "now top-level" if parent_id in ("", "0") else f"now a reply to comment {parent_id}"
    parsed.notes.append(
        f"{comment.label} replied to {kind} {notice}, which is not imported: {where}"
    )
    return parent_id
