"""Reads that depend on the viewer: the thread a reader sees under a post."""

from dataclasses import dataclass, field

from django.conf import settings

from comments.forms import CommentForm
from comments.models import Comment
from comments.moderation import closed_reason
from comments.pending import pending_ids


@dataclass
class ThreadEntry:
    comment: Comment
    kind: str  # "comment", "pending", "removed" or "missing"
    opens: bool = False  # starts a nested list inside the previous comment
    closes: range = range(0)  # nested lists to close before this comment
    capped: bool = False  # deep enough that the page stops indenting further


@dataclass
class Thread:
    entries: list[ThreadEntry] = field(default_factory=list)
    final_closes: range = range(0)

    def find(self, comment_id) -> Comment | None:
        return next(
            (e.comment for e in self.entries if e.comment.pk == comment_id and e.kind == "comment"),
            None,
        )


def entry_kind(comment: Comment) -> str:
    if comment.placeholder:
        return "missing"
    return {"approved": "comment", "pending": "pending"}.get(comment.status, "removed")


def visible_nodes(comments: list[Comment]) -> list[tuple[Comment, str]]:
    """Keep comments whose ancestors are all kept, and placeholders only when they hold
    up a readable reply. ``comments`` must be in tree order."""
    reachable = []
    kept_ids = set()
    for comment in comments:
        if comment.parent_id is None or comment.parent_id in kept_ids:
            kept_ids.add(comment.pk)
            reachable.append((comment, entry_kind(comment)))
    holds_content: set[int] = set()
    for comment, kind in reversed(reachable):
        if kind in ("comment", "pending") or comment.pk in holds_content:
            holds_content.add(comment.pk)
            if comment.parent_id is not None:
                holds_content.add(comment.parent_id)
    return [(c, kind) for c, kind in reachable if c.pk in holds_content]


def build_thread(comments: list[Comment]) -> Thread:
    thread = Thread()
    previous = 0
    cap = settings.COMMENTS_MAX_VISUAL_DEPTH
    for index, (comment, kind) in enumerate(visible_nodes(comments)):
        if kind in ("removed", "missing"):
            comment.body = ""  # a placeholder never carries text to the template
        level = comment.level
        entry = ThreadEntry(comment=comment, kind=kind, capped=level >= cap)
        if index and level > previous:
            entry.opens = True
        elif index:
            entry.closes = range(previous - level)
        thread.entries.append(entry)
        previous = level
    thread.final_closes = range(previous)
    return thread


def thread_for_post(post, *, own_pending_ids=()) -> Thread:
    comments = list(
        Comment.objects.filter(post=post).in_thread(own_pending_ids=own_pending_ids).in_tree_order()
    )
    return build_thread(comments)


def discussion_for(request, post, *, form: CommentForm | None = None) -> dict:
    """Context for the comments part of a post page."""
    thread = thread_for_post(post, own_pending_ids=pending_ids(request))
    if form is None:
        reply_to = thread.find(parse_id(request.GET.get("replytocom")))
        form = CommentForm(post=post, initial={"parent": reply_to.pk if reply_to else None})
    else:
        reply_to = form.cleaned_data.get("parent") if hasattr(form, "cleaned_data") else None
    reason = closed_reason(post)
    return {
        "comments_open": reason is None,
        "comments_closed_reason": reason,
        "thread": thread,
        "comment_count": Comment.objects.public().filter(post=post).count(),
        "comment_form": form,
        "reply_to": reply_to,
        "post_url": post.get_absolute_url(),
    }


def parse_id(value) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 19 else None
