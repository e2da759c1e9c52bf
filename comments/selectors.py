"""Reads that depend on the viewer: the thread a reader sees under a post."""

from dataclasses import dataclass, field

from django.conf import settings
from django.utils.safestring import mark_safe

from comments import edit_window, inplace, refused
from comments.forms import CommentForm
from comments.models import Comment
from comments.moderation import closed_reason
from comments.pending import pending_ids
from comments.rendering import render_thread
from posts.caching import Version, cached_fragment, request_version

# What a thread shows of each comment, read as plain rows (no model instances: a long
# thread would spend most of its time building them).
THREAD_FIELDS = (
    "id",
    "parent_id",
    "level",
    "status",
    "placeholder",
    "author_name",
    "author_url",
    "user_id",
    "created_at",
    "edited_at",
    "body",
)


@dataclass
class ThreadEntry:
    comment: tuple  # a row with THREAD_FIELDS
    kind: str  # "comment", "pending", "removed" or "missing"
    opens: bool = False  # starts a nested list inside the previous comment
    closes: range = range(0)  # nested lists to close before this comment
    capped: bool = False  # deep enough that the page stops indenting further


@dataclass
class Thread:
    entries: list[ThreadEntry] = field(default_factory=list)
    final_closes: range = range(0)


def entry_kind(comment) -> str:
    if comment.placeholder:
        return "missing"
    return {"approved": "comment", "pending": "pending"}.get(comment.status, "removed")


def visible_nodes(comments) -> list[tuple]:
    """Keep comments whose ancestors are all kept, and placeholders only when they hold
    up a readable reply. ``comments`` must be in tree order."""
    reachable = []
    kept_ids = set()
    for comment in comments:
        if comment.parent_id is None or comment.parent_id in kept_ids:
            kept_ids.add(comment.id)
            reachable.append((comment, entry_kind(comment)))
    holds_content: set[int] = set()
    for comment, kind in reversed(reachable):
        if kind in ("comment", "pending") or comment.id in holds_content:
            holds_content.add(comment.id)
            if comment.parent_id is not None:
                holds_content.add(comment.parent_id)
    return [(c, kind) for c, kind in reachable if c.id in holds_content]


def build_thread(comments) -> Thread:
    thread = Thread()
    previous = 0
    cap = settings.COMMENTS_MAX_VISUAL_DEPTH
    for index, (comment, kind) in enumerate(visible_nodes(comments)):
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


@dataclass(frozen=True)
class CommentPage:
    """One page of a post's thread: a run of top-level threads, by tree_id."""

    number: int
    count: int  # pages in all
    first_tree_id: int | None = None  # None: from the start
    next_tree_id: int | None = None  # None: to the end

    @property
    def previous_number(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next_number(self) -> int | None:
        return self.number + 1 if self.number < self.count else None

    @property
    def numbers(self) -> range:
        return range(1, self.count + 1)


def root_tree_ids(post, *, own_pending_ids=()) -> list[int]:
    roots = Comment.objects.filter(post=post).thread_roots(own_pending_ids=own_pending_ids)
    return list(roots.order_by("tree_id").values_list("tree_id", flat=True))


def comment_page(post, number: int, *, own_pending_ids=()) -> CommentPage | None:
    """Page ``number`` of the thread (COMMENTS_PER_PAGE top-level threads each, oldest
    first), or None when there is no such page."""
    per_page = settings.COMMENTS_PER_PAGE
    if not per_page:
        return CommentPage(1, 1) if number == 1 else None
    tree_ids = root_tree_ids(post, own_pending_ids=own_pending_ids)
    count = max(1, -(-len(tree_ids) // per_page))
    if not 1 <= number <= count:
        return None
    start = (number - 1) * per_page
    first = tree_ids[start] if number > 1 else None
    following = tree_ids[start + per_page] if number < count else None
    return CommentPage(number, count, first, following)


def page_number_of(comment: Comment, *, own_pending_ids=()) -> int:
    """The page of its post's thread that shows ``comment``."""
    per_page = settings.COMMENTS_PER_PAGE
    if not per_page:
        return 1
    earlier = (
        Comment.objects.filter(post_id=comment.post_id, tree_id__lt=comment.tree_id)
        .thread_roots(own_pending_ids=own_pending_ids)
        .count()
    )
    return earlier // per_page + 1


def thread_for_post(post, *, own_pending_ids=(), page: CommentPage | None = None) -> Thread:
    comments = Comment.objects.filter(post=post)
    if page is not None and page.first_tree_id is not None:
        comments = comments.filter(tree_id__gte=page.first_tree_id)
    if page is not None and page.next_tree_id is not None:
        comments = comments.filter(tree_id__lt=page.next_tree_id)
    thread = comments.in_thread(own_pending_ids=own_pending_ids).in_tree_order()
    return build_thread(thread.values_list(*THREAD_FIELDS, named=True))


def thread_part(
    post,
    *,
    page_number: int,
    page_url: str,
    comments_open: bool,
    version: Version,
    own_pending_ids=(),
    own_editable=None,
) -> dict | None:
    """The thread's page, rendered, with the counts around it; None for a missing page.

    Readers with nothing pending all see the same thing, so theirs is cached under the
    content version (see posts.caching); nobody else's is.
    """

    def render() -> dict | None:
        page = comment_page(post, page_number, own_pending_ids=own_pending_ids)
        if page is None:
            return None
        thread = thread_for_post(post, own_pending_ids=own_pending_ids, page=page)
        html = render_thread(
            thread, page_url=page_url, comments_open=comments_open, own_editable=own_editable
        )
        return {
            "html": html,
            "count": Comment.objects.public().filter(post=post).count(),
            "page": page,
        }

    if own_pending_ids or own_editable:
        return render()
    key = f"thread:{post.pk}:{version.key}:{page_number}:{comments_open}"
    return cached_fragment(key, render)


def discussion_for(
    request, post, *, page_number: int = 1, form: CommentForm | None = None
) -> dict | None:
    """Context for the comments part of a post page; None when the page does not exist."""
    reason = closed_reason(post)
    page_url = post.get_comments_page_url(page_number)
    moderating = inplace.can_moderate_in_place(request)
    if moderating:
        part = inplace.moderation_thread_part(
            request, post, page_number=page_number, page_url=page_url, comments_open=reason is None
        )
    else:
        part = thread_part(
            post,
            page_number=page_number,
            page_url=page_url,
            comments_open=reason is None,
            version=request_version(request),
            own_pending_ids=pending_ids(request),
            own_editable=edit_window.editable_ids(request, post),
        )
    if part is None:
        return None
    if form is None:
        form = refused.restore(request, post)  # this reader's refused form, if any
    if form is None:
        reply_to = reply_target(post, request.GET.get("replytocom"))
        form = CommentForm(post=post, initial={"parent": reply_to.pk if reply_to else None})
    else:
        reply_to = form.cleaned_data.get("parent") if hasattr(form, "cleaned_data") else None
    return {
        "comments_open": reason is None,
        "comments_closed_reason": reason,
        "thread_html": mark_safe(part["html"]),  # noqa: S308 -- comments.rendering escapes
        "comment_page": part["page"],
        "comment_count": part["count"],
        "comment_form": form,
        "reply_to": reply_to,
        "post_url": post.get_absolute_url(),
        "page_url": page_url,
        "moderating": moderating,
    }


def reply_target(post, value) -> Comment | None:
    """The comment ?replytocom= names, if anyone may read it on this post."""
    comment_id = parse_id(value)
    if comment_id is None:
        return None
    return Comment.objects.public().filter(pk=comment_id, post=post).first()


def parse_id(value) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 19 else None
