"""Reads for the post page and the navigation around posts: the post itself, its tags and
"Other relevant posts", neighbours, related posts, the sidebar.

Each function runs one query whatever the number of posts or comments, and sees only
what Post.objects.published() and Comment.objects.readable() let anyone see. They run
on every page, so each is a PreparedQuery (msblog.prepared): its SQL, compiled from the
QuerySet written here, is built once per connection instead of once per request.
"""

import datetime

from django.db.models import Count, Prefetch, Q, Subquery, prefetch_related_objects
from django.db.models.functions import Lower, TruncMonth
from django.utils import timezone
from taggit.models import Tag

from comments.models import Comment
from msblog.prepared import PreparedQuery, instance
from posts.models import Author, Category, Post, RelatedEntry

# Enough to draw a link to a post: its title and the parts of its permalink (posts only:
# a page's address would also read its parents).
LINK_FIELDS = ("title", "slug", "published_at", "kind")
LINK_COLUMNS = ("id", *LINK_FIELDS)
POST_COLUMNS = tuple(field.attname for field in Post._meta.concrete_fields)
AUTHOR_COLUMNS = tuple(field.attname for field in Author._meta.concrete_fields)
TAG_COLUMNS = ("id", "name", "slug")
ENTRY_COLUMNS = ("id", "post_id", "position", "published_on", "text", "url")
RECENT_COMMENT_COLUMNS = ("id", "post_id", "author_name", "body_html", "created_at")
SIDEBAR_ITEMS = 5
RELATED_POSTS = 5
ONE_DAY = datetime.timedelta(days=1)


def one_day(slug: str, since, until, posts):
    return (
        posts.filter(slug=slug, published_at__gte=since, published_at__lt=until)
        .order_by()
        .values_list(*POST_COLUMNS, *(f"author__{name}" for name in AUTHOR_COLUMNS))
    )


DAY_PARAMS = {"slug": str, "since": datetime.datetime, "until": datetime.datetime}
PUBLISHED_POST = PreparedQuery(
    Post,
    lambda now, **day: one_day(posts=Post.objects.published(now=now), **day),
    now=datetime.datetime,
    **DAY_PARAMS,
)
ANY_POST = PreparedQuery(
    Post, lambda **day: one_day(posts=Post.objects.filter(kind=Post.Kind.POST), **day), **DAY_PARAMS
)


def post_for_page(year: int, month: int, day: int, slug: str, *, preview: bool) -> Post | None:
    """The post at this permalink with its author, if the reader may see it (``preview``:
    staff who may edit posts also see drafts and scheduled posts)."""
    try:
        date = datetime.date(year, month, day)
    except ValueError:
        return None
    since = timezone.make_aware(datetime.datetime.combine(date, datetime.time.min))
    until = timezone.make_aware(datetime.datetime.combine(date + ONE_DAY, datetime.time.min))
    day_params = {"slug": slug, "since": since, "until": until}
    if preview:
        rows = ANY_POST.rows(**day_params)
    else:
        rows = PUBLISHED_POST.rows(now=timezone.now(), **day_params)
    if not rows:
        return None
    split = len(POST_COLUMNS)
    post = instance(Post, POST_COLUMNS, rows[0][:split])
    post.author = instance(Author, AUTHOR_COLUMNS, rows[0][split:])
    return post


def tags_of(post_id):
    """As django-taggit's manager reads a post's tags (posts are all it tags)."""
    return Tag.objects.filter(
        taggit_taggeditem_items__object_id=post_id,
        taggit_taggeditem_items__content_type__app_label="posts",
        taggit_taggeditem_items__content_type__model="post",
    )


TAGS = PreparedQuery(
    Tag,
    # In the order they were added, as the manager gives them.
    lambda post_id: (
        tags_of(post_id).order_by("taggit_taggeditem_items__pk").values_list(*TAG_COLUMNS)
    ),
    post_id=int,
)
RELATED_ENTRIES = PreparedQuery(
    RelatedEntry,
    lambda post_id: RelatedEntry.objects.filter(post_id=post_id).values_list(*ENTRY_COLUMNS),
    post_id=int,
)


def attach_tags_and_entries(post: Post) -> Post:
    """Give the post its tags (``post.tag_list``) and "Other relevant posts"
    (``post.related_entry_list``), one query each, and its categories (one query, none
    for a page: pages have none)."""
    post.tag_list = [instance(Tag, TAG_COLUMNS, row) for row in TAGS.rows(post_id=post.pk)]
    post.related_entry_list = [
        instance(RelatedEntry, ENTRY_COLUMNS, row) for row in RELATED_ENTRIES.rows(post_id=post.pk)
    ]
    if post.kind == Post.Kind.POST:
        with_categories([post])
    return post


def with_categories(posts):
    """Posts (a QuerySet, or instances already read) with their categories and, for their
    addresses, up to three ancestors each."""
    categories = Category.objects.select_related("parent__parent__parent")
    lookup = Prefetch("categories", queryset=categories)
    if isinstance(posts, list):
        prefetch_related_objects(posts, lookup)
        return posts
    return posts.prefetch_related(lookup)


def neighbours(published_at, pk, now):
    published = Post.objects.published(now=now)
    same_time = Q(published_at=published_at)
    older = published.filter(Q(published_at__lt=published_at) | same_time & Q(pk__lt=pk)).order_by(
        "-published_at", "-pk"
    )
    newer = published.filter(Q(published_at__gt=published_at) | same_time & Q(pk__gt=pk)).order_by(
        "published_at", "pk"
    )
    return (
        published.filter(
            Q(pk=Subquery(older.values("pk")[:1])) | Q(pk=Subquery(newer.values("pk")[:1]))
        )
        .order_by()
        .values_list(*LINK_COLUMNS)
    )


NEIGHBOURS = PreparedQuery(
    Post, neighbours, published_at=datetime.datetime, pk=int, now=datetime.datetime
)


def adjacent_posts(post: Post) -> tuple[Post | None, Post | None]:
    """The published posts just before (older) and just after (newer) ``post``."""
    rows = NEIGHBOURS.rows(published_at=post.published_at, pk=post.pk, now=timezone.now())
    previous = following = None
    for row in rows:
        neighbour = instance(Post, LINK_COLUMNS, row)
        if (neighbour.published_at, neighbour.pk) < (post.published_at, post.pk):
            previous = neighbour
        else:
            following = neighbour
    return previous, following


RELATED = PreparedQuery(
    Post,
    lambda post_id, now: (
        Post.objects.published(now=now)
        .filter(tags__in=tags_of(post_id))
        .exclude(pk=post_id)
        .annotate(shared_tags=Count("pk"))
        .order_by("-shared_tags", "-published_at", "-pk")
        .values_list(*LINK_COLUMNS)[:RELATED_POSTS]
    ),
    post_id=int,
    now=datetime.datetime,
)


def related_posts(post: Post) -> list[Post]:
    """Published posts sharing tags with ``post``, those sharing most first.

    One query, none when the post has no tags (``post.tag_list``, read already)."""
    if not post.tag_list:
        return []
    rows = RELATED.rows(post_id=post.pk, now=timezone.now())
    return [instance(Post, LINK_COLUMNS, row) for row in rows]


RECENT_POSTS = PreparedQuery(
    Post,
    lambda now: Post.objects.published(now=now).values_list(*LINK_COLUMNS)[:SIDEBAR_ITEMS],
    now=datetime.datetime,
)


def recent_posts() -> list[Post]:
    return [instance(Post, LINK_COLUMNS, row) for row in RECENT_POSTS.rows(now=timezone.now())]


RECENT_COMMENTS = PreparedQuery(
    Comment,
    lambda now: (
        Comment.objects.readable(now=now)
        .order_by("-created_at", "-pk")
        .values_list(*RECENT_COMMENT_COLUMNS, *(f"post__{name}" for name in LINK_FIELDS))[
            :SIDEBAR_ITEMS
        ]
    ),
    now=datetime.datetime,
)


def recent_comments() -> list[Comment]:
    """The latest approved comments on published posts, with what a link to them needs."""
    comments = []
    split = len(RECENT_COMMENT_COLUMNS)
    for row in RECENT_COMMENTS.rows(now=timezone.now()):
        comment = instance(Comment, RECENT_COMMENT_COLUMNS, row[:split])
        comment.post = instance(Post, LINK_COLUMNS, (row[1], *row[split:]))
        comments.append(comment)
    return comments


def archive_years() -> list[dict]:
    """Years with published posts, newest first, each with its months (newest first) and
    their post counts: {"year": 2014, "count": 4, "months": [{"month": date, "count": 3}]}.
    One query."""
    months = (
        Post.objects.published()
        .annotate(month=TruncMonth("published_at"))
        .values("month")
        .annotate(count=Count("pk"))
        .order_by("-month")
    )
    years: list[dict] = []
    for row in months:
        if not years or years[-1]["year"] != row["month"].year:
            years.append({"year": row["month"].year, "count": 0, "months": []})
        years[-1]["months"].append(row)
        years[-1]["count"] += row["count"]
    return years


def tags_with_post_counts() -> list[Tag]:
    """Tags used on published posts, by name, each with its ``post_count``. One query."""
    return list(
        Tag.objects.filter(post__in=Post.objects.published())
        .annotate(post_count=Count("post"))
        .order_by(Lower("name"), "pk")
    )
