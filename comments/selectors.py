"""Reads that depend on the viewer: the thread a reader sees under a post."""

from dataclasses import dataclass, field

from django.conf import settings
from django.utils.safestring import mark_safe

from comments import edit_window, inplace, refused
from comments.forms import CommentForm
from comments.markup import quote_markup
from comments.models import Comment
from comments.moderation import closed_reason
from comments.pending import pending_ids
from comments.rendering import (
    ID,
    PARENT,
    PLACEHOLDER,
    STATUS,
    THREAD_FIELDS,
    Addition,
    render_thread,
)
from msblog.prepared import PreparedQuery
from posts.caching import Version, cached_fragment, request_version


@dataclass
class Thread:
    """The rows a reader sees, in tree order, and how many public comments they hold."""

    rows: list[tuple] = field(default_factory=list)  # THREAD_FIELDS tuples
    kinds: list[str] = field(default_factory=list)  # "comment", "pending", "removed", "missing"
    count: int = 0


def row_kind(row: tuple) -> str:
    if row[PLACEHOLDER]:
        return "missing"
    return {"approved": "comment", "pending": "pending"}.get(row[STATUS], "removed")


def visible_thread(rows) -> Thread:
    """Keep rows whose ancestors are all kept, and placeholders only when they hold up a
    readable reply; count the public comments (not those under a pending one) as it goes.
    ``rows`` must be in tree order; only their first five columns are read."""
    reachable, kinds = [], []
    kept: set[int] = set()
    under_pending: set[int] = set()
    count = 0
    for row in rows:
        parent = row[PARENT]
        if parent is not None and parent not in kept:
            continue
        kind = row_kind(row)
        kept.add(row[ID])
        if kind == "pending" or parent in under_pending:
            under_pending.add(row[ID])
        elif kind == "comment":
            count += 1
        reachable.append(row)
        kinds.append(kind)
    holds_content: set[int] = set()
    for row, kind in zip(reversed(reachable), reversed(kinds), strict=True):
        if kind in ("comment", "pending") or row[ID] in holds_content:
            holds_content.add(row[ID])
            holds_content.add(row[PARENT])
    thread = Thread(count=count)
    for row, kind in zip(reachable, kinds, strict=True):
        if row[ID] in holds_content:
            thread.rows.append(row)
            thread.kinds.append(kind)
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
    if not settings.COMMENTS_PER_PAGE:
        return CommentPage(1, 1) if number == 1 else None
    return page_of(root_tree_ids(post, own_pending_ids=own_pending_ids), number)


def page_of(tree_ids: list[int], number: int) -> CommentPage | None:
    """Page ``number`` of a thread whose top-level threads are ``tree_ids``, in order."""
    per_page = settings.COMMENTS_PER_PAGE
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


# The whole thread's outline, for paging: the first five columns of a thread row (what
# visible_thread reads), then the tree. Far lighter than the rows a page draws.
OUTLINE_FIELDS = (*THREAD_FIELDS[:5], "tree_id")
TREE = len(OUTLINE_FIELDS) - 1


def thread_comments(post_id, *, own_pending_ids=(), first_tree_id=None, next_tree_id=None):
    """The comments a thread is drawn from (of one page's trees), in tree order."""
    comments = Comment.objects.filter(post_id=post_id)
    if first_tree_id is not None:
        comments = comments.filter(tree_id__gte=first_tree_id)
    if next_tree_id is not None:
        comments = comments.filter(tree_id__lt=next_tree_id)
    return comments.in_thread(own_pending_ids=own_pending_ids).in_tree_order()


# What most readers' threads read (nothing of their own pending), with SQL compiled once
# per connection (msblog.prepared). A page of trees is bounded on both sides, the first
# page from 0 and the last to beyond any tree.
WHOLE_THREAD = PreparedQuery(
    Comment, lambda post_id: thread_comments(post_id).values_list(*THREAD_FIELDS), post_id=int
)
THREAD_OUTLINE = PreparedQuery(
    Comment, lambda post_id: thread_comments(post_id).values_list(*OUTLINE_FIELDS), post_id=int
)
PAGE_OF_THREAD = PreparedQuery(
    Comment,
    lambda post_id, first, following: thread_comments(
        post_id, first_tree_id=first, next_tree_id=following
    ).values_list(*THREAD_FIELDS),
    post_id=int,
    first=int,
    following=int,
)
NO_TREE_AFTER = 2**31 - 1  # above any tree_id (a 32-bit column)


def thread_rows(post, *, own_pending_ids=(), fields=THREAD_FIELDS, page=None) -> list[tuple]:
    """The rows a thread is drawn from, in tree order, as plain tuples of ``fields``."""
    if own_pending_ids:
        comments = thread_comments(
            post.pk,
            own_pending_ids=own_pending_ids,
            first_tree_id=page and page.first_tree_id,
            next_tree_id=page and page.next_tree_id,
        )
        return list(comments.values_list(*fields))
    if page is not None:
        bounds = {"first": page.first_tree_id or 0, "following": page.next_tree_id or NO_TREE_AFTER}
        return PAGE_OF_THREAD.rows(post_id=post.pk, **bounds)
    query = THREAD_OUTLINE if fields == OUTLINE_FIELDS else WHOLE_THREAD
    return query.rows(post_id=post.pk)


def thread_page(post, page_number: int, *, own_pending_ids=()) -> tuple[Thread, CommentPage] | None:
    """Page ``page_number`` of the thread a reader sees, counted whole; None if no such page.

    One query for a thread on one page; paged, one for the outline of the whole thread
    (its pages and its count) and one for the page's rows.
    """
    if not settings.COMMENTS_PER_PAGE:
        if page_number != 1:
            return None
        return visible_thread(thread_rows(post, own_pending_ids=own_pending_ids)), CommentPage(1, 1)
    outline = thread_rows(post, own_pending_ids=own_pending_ids, fields=OUTLINE_FIELDS)
    page = page_of([row[TREE] for row in outline if row[PARENT] is None], page_number)
    if page is None:
        return None
    thread = visible_thread(thread_rows(post, own_pending_ids=own_pending_ids, page=page))
    thread.count = visible_thread(outline).count
    return thread, page


def thread_part(
    post,
    *,
    page_number: int,
    page_url: str,
    comments_open: bool,
    version: Version,
    own_pending_ids=(),
    addition: Addition | None = None,
) -> dict | None:
    """The thread's page, rendered, with the counts around it; None for a missing page.

    Readers with nothing pending all see the same thing, so theirs is cached under the
    content version (see posts.caching); nobody else's is, nor one with an ``addition``
    (what one viewer alone sees, comments.rendering).
    """

    def render() -> dict | None:
        found = thread_page(post, page_number, own_pending_ids=own_pending_ids)
        if found is None:
            return None
        thread, page = found
        html = render_thread(
            thread, page_url=page_url, comments_open=comments_open, addition=addition
        )
        return {"html": html, "count": thread.count, "page": page}

    if own_pending_ids or addition:
        return render()
    key = f"thread:{post.pk}:{version.content_key}:{page_number}:{comments_open}"
    return cached_fragment(key, render)


def viewer_addition(request, post) -> Addition | None:
    """What this viewer alone sees inside comments, drawn by a function of the row and its
    kind (comments.rendering); None when they see what everyone sees: the Edit and Delete
    links on the reader's own comments still in their edit window (comments.edit_window).
    A moderator's buttons are drawn by comments.inplace, which builds their whole thread."""
    return edit_window.own_actions(edit_window.editable_ids(request, post))


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
            addition=viewer_addition(request, post),
        )
    if part is None:
        return None
    if form is None:
        form = refused.restore(request, post)  # this reader's refused form, if any
    if form is None:
        reply_to = reply_target(post, request.GET.get("replytocom"))
        form = CommentForm(post=post, initial=form_initial(request, reply_to))
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


def form_initial(request, reply_to: Comment | None) -> dict:
    """A new form's values: the comment it answers, and with ?quote= that comment quoted
    (the "Quote" link without JavaScript)."""
    if reply_to is None:
        return {"parent": None}
    initial = {"parent": reply_to.pk}
    if request.GET.get("quote") and (quoted := quote_markup(reply_to.body_html)):
        initial["body"] = quoted
    return initial


def reply_target(post, value) -> Comment | None:
    """The comment ?replytocom= names, if anyone may read it on this post."""
    comment_id = parse_id(value)
    if comment_id is None:
        return None
    return Comment.objects.public().filter(pk=comment_id, post=post).first()


def parse_id(value) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 19 else None
