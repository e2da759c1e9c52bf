"""Reads for the navigation around posts: neighbours, related posts, the sidebar.

Each function runs one query whatever the number of posts or comments, and sees only
what Post.objects.published() and Comment.objects.readable() let anyone see.
"""

from django.db.models import Count, Q, Subquery
from django.db.models.functions import Lower, TruncMonth
from taggit.models import Tag

from comments.models import Comment
from posts.models import Post

# Enough to draw a link to a post: its title and the parts of its permalink (a page's
# address also reads its parents).
LINK_FIELDS = ("title", "slug", "published_at", "kind", "parent")


def adjacent_posts(post: Post) -> tuple[Post | None, Post | None]:
    """The published posts just before (older) and just after (newer) ``post``."""
    published = Post.objects.published()
    same_time = Q(published_at=post.published_at)
    older = published.filter(
        Q(published_at__lt=post.published_at) | same_time & Q(pk__lt=post.pk)
    ).order_by("-published_at", "-pk")
    newer = published.filter(
        Q(published_at__gt=post.published_at) | same_time & Q(pk__gt=post.pk)
    ).order_by("published_at", "pk")
    neighbours = published.filter(
        Q(pk=Subquery(older.values("pk")[:1])) | Q(pk=Subquery(newer.values("pk")[:1]))
    ).only(*LINK_FIELDS)
    previous = following = None
    for neighbour in neighbours:
        if (neighbour.published_at, neighbour.pk) < (post.published_at, post.pk):
            previous = neighbour
        else:
            following = neighbour
    return previous, following


def related_posts(post: Post, *, limit: int = 5) -> list[Post]:
    """Published posts sharing tags with ``post``, those sharing most first.

    Reads the post's tags from its prefetch cache, so it costs one query (none when the
    post has no tags).
    """
    tag_ids = [tag.pk for tag in post.tags.all()]
    if not tag_ids:
        return []
    return list(
        Post.objects.published()
        .filter(tags__in=tag_ids)
        .exclude(pk=post.pk)
        .annotate(shared_tags=Count("pk"))
        .order_by("-shared_tags", "-published_at", "-pk")
        .only(*LINK_FIELDS)[:limit]
    )


def recent_posts(*, limit: int = 5) -> list[Post]:
    return list(Post.objects.published().only(*LINK_FIELDS)[:limit])


def recent_comments(*, limit: int = 5) -> list[Comment]:
    """The latest approved comments on published posts, with what a link to them needs."""
    return list(
        Comment.objects.readable()
        .select_related("post")
        .only("author_name", "body", "created_at", *(f"post__{f}" for f in LINK_FIELDS))
        .order_by("-created_at", "-pk")[:limit]
    )


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
