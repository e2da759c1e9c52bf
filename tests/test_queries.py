"""Pages and feeds run a fixed number of SQL queries, whatever the number of comments or
posts."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from posts.models import Post
from tests.factories import (
    comment_form_data,
    local_datetime,
    make_author,
    make_comment,
    make_post,
    make_thread,
)

pytestmark = pytest.mark.django_db


def count_queries(client, url, page_soup=None):
    """Queries for one request with an empty cache (the cold case)."""
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


@pytest.mark.parametrize("size", [0, 10, 1000])
def test_post_page_query_count_is_constant(client, page_soup, settings, size):
    """The whole thread on one page runs the same queries with 0, 10 and 1,000 comments."""
    settings.COMMENTS_PER_PAGE = 0
    post = make_post(tags=["MSBlog", "MSResearch"])
    make_thread(post, size)
    queries, response = count_queries(client, post.get_absolute_url())
    # content version, post+author, tags, categories, related entries, thread (counted
    # from its rows), previous/next, related posts, sidebar posts and comments
    assert queries == 10
    assert len(page_soup(response).select("li.comment")) == size


@pytest.mark.parametrize("size", [10, 1000])
def test_paginated_post_page_query_count_is_constant(client, page_soup, size):
    """A page of a long thread adds one query (the thread's outline: its pages and its
    count), whatever the size."""
    post = make_post(tags=["MSBlog", "MSResearch"])
    make_thread(post, size)
    queries, _ = count_queries(client, post.get_absolute_url())
    assert queries == 11


def test_warm_post_page_runs_one_query(client):
    """A reader with nothing pending gets the cached page: one query, the content version."""
    post = make_post(tags=["MSBlog"])
    make_thread(post, 100)
    count_queries(client, post.get_absolute_url())
    with CaptureQueriesContext(connection) as queries:
        assert client.get(post.get_absolute_url()).status_code == 200
    assert [q["sql"] for q in queries] == [queries[0]["sql"]]
    assert "posts_contentversion" in queries[0]["sql"]


def test_post_page_with_own_pending_comment_is_still_constant(client):
    """A reader with comments awaiting moderation costs no extra query per comment."""
    post = make_post()
    make_thread(post, 50)
    for body in ("first", "second", "third"):
        client.post(reverse("comments:create", args=[post.pk]), comment_form_data(post, body=body))
    queries, response = count_queries(client, post.get_absolute_url())
    # a page of the thread, less related posts (this post has no tags), plus which of the
    # reader's comments are still in their edit window
    assert queries == 11
    assert response.content.decode().count("awaiting moderation") == 3


@pytest.mark.parametrize("posts", [3, 30])
def test_home_query_count_is_constant(client, posts):
    """Home runs a fixed number of queries for a page, whatever the number of posts."""
    for n in range(posts):
        post = make_post(tags=[f"tag{n % 4}", "MSBlog"])
        make_comment(post)
    queries, _ = count_queries(client, reverse("posts:index"))
    # content version, page count, posts with authors, their comment counts, tags,
    # categories, sidebar (2)
    assert queries == 8


@pytest.mark.parametrize("posts", [3, 30])
def test_tag_page_query_count_is_constant(client, posts):
    """A tag page runs a fixed number of queries, whatever the number of posts."""
    for _ in range(posts):
        make_comment(make_post(tags=["MSBlog"]))
    queries, _ = count_queries(client, reverse("posts:tag", args=["msblog"]))
    # content version, tag, exists (empty tag pages are 404s), page count, posts, comment
    # counts, tags, categories, sidebar (2)
    assert queries == 10


def populate(posts: int, comments_per_post: int = 2):
    """``posts`` published posts in February 2014, tagged, each with approved comments
    that mention "zanzibar", on several days; and one draft."""
    author = make_author()
    for n in range(posts):
        post = make_post(
            author=author,
            title=f"Zanzibar post {n}",
            tags=[f"tag{n % 3}", "MSBlog"],
            published_at=local_datetime(2014, 2, 1 + n % 3, hour=n % 20),
        )
        for _ in range(comments_per_post):
            make_comment(post, body="Zanzibar again.")
    make_post(author=author, status="draft", published_at=local_datetime(2014, 2, 1))
    return author


def test_post_pages_with_neighbours_and_related_posts_are_constant(client):
    """Previous/next and related posts cost the same with 3 or 30 posts around."""
    counts = set()
    for size in (3, 30):
        populate(size, comments_per_post=1)
        post = Post.objects.published().order_by("?").first()
        counts.add(count_queries(client, post.get_absolute_url())[0])
    assert counts == {11}  # the whole post page above, with tags: related posts too


PAGES = {
    # name: (url, queries)
    "year archive": (
        lambda author: reverse("posts:archive-year", args=[2014]),
        # content version, exists, months, next year, previous year, count, posts, comment
        # counts, tags, categories, sidebar (2)
        12,
    ),
    "month archive": (lambda author: reverse("posts:archive-month", args=[2014, 2]), 12),
    # no days listed, but next and previous day and month
    "day archive": (lambda author: reverse("posts:archive-day", args=[2014, 2, 1]), 13),
    # content version, author, exists, count, posts, comment counts, tags, categories,
    # sidebar (2)
    "author": (lambda author: author.get_absolute_url(), 10),
    # posts count and page, comments count and page, sidebar (2)
    "search": (lambda author: reverse("posts:search") + "?q=zanzibar", 6),
    "search posts": (lambda author: reverse("posts:search") + "?q=zanzibar&scope=posts", 4),
    "search comments": (
        lambda author: reverse("posts:search") + "?q=zanzibar&scope=comments&page=2",
        4,
    ),
    # content version, posts, tags
    "posts feed": (lambda author: reverse("posts:feed"), 3),
    "posts atom feed": (lambda author: reverse("posts:feed-atom"), 3),
    # content version, tag, posts, tags
    "tag feed": (lambda author: reverse("posts:tag-feed", args=["msblog"]), 4),
    # content version, comments with their posts
    "comments feed": (lambda author: reverse("posts:comments-feed"), 2),
    # content version, months with their counts, sidebar (2)
    "month list": (lambda author: reverse("posts:archives"), 4),
    # content version, tags with their counts, sidebar (2)
    "tag list": (lambda author: reverse("posts:tags"), 4),
    # eight sections: each a count and a page, but home, archives and the browse lists
    "sitemap": (lambda author: reverse("sitemap"), 9),
}


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("posts", [3, 30])
def test_reader_pages_query_count_is_constant(client, page, posts):
    """Archives, author page, search, feeds and sitemap cost the same at 3 and 30 posts."""
    author = populate(posts)
    url, expected = PAGES[page]
    queries, _ = count_queries(client, url(author))
    assert queries == expected


@pytest.mark.parametrize("comments", [1, 40])
def test_post_comment_feed_query_count_is_constant(client, comments):
    """A post's comment feed: the content version, the post, its comments, however many."""
    post = make_post()
    for _ in range(comments):
        make_comment(post)
    queries, _ = count_queries(client, post.get_comments_feed_url())
    assert queries == 3
