"""Reads for the navigation around posts: neighbours, related posts, the sidebar.

Each function runs one query whatever the number of posts or comments, and sees only
what Post.objects.published() and Comment.objects.readable() let anyone see.
"""

from django.db.models import Count, Q, Subquery

from comments.models import Comment
from posts.models import Post

# Enough to draw a link to a post: its title and the two parts of its permalink.
LINK_FIELDS = ("title", "slug", "published_at")


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
        .only("author_name", "body_html", "created_at", *(f"post__{f}" for f in LINK_FIELDS))
        .order_by("-created_at", "-pk")[:limit]
    )
