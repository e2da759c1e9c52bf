"""Pages run a fixed number of SQL queries, whatever the number of comments or posts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import comment_form_data, make_comment, make_post, make_thread

pytestmark = pytest.mark.django_db


def count_queries(client, url, page_soup=None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


@pytest.mark.parametrize("size", [0, 10, 1000])
def test_post_page_query_count_is_constant(client, page_soup, size):
    """The post page runs the same queries with 0, 10 and 1,000 comments."""
    post = make_post(tags=["MSBlog", "MSResearch"])
    make_thread(post, size)
    queries, response = count_queries(client, post.get_absolute_url())
    # post+author, tags, related entries, thread, count
    assert queries == 5
    assert len(page_soup(response).select("li.comment")) == size


def test_post_page_with_own_pending_comment_is_still_constant(client):
    """A reader with comments awaiting moderation costs no extra query per comment."""
    post = make_post()
    make_thread(post, 50)
    for body in ("first", "second", "third"):
        client.post(reverse("comments:create", args=[post.pk]), comment_form_data(post, body=body))
    queries, response = count_queries(client, post.get_absolute_url())
    assert queries == 5
    assert response.content.decode().count("awaiting moderation") == 3


@pytest.mark.parametrize("posts", [3, 30])
def test_home_query_count_is_constant(client, posts):
    """Home runs a fixed number of queries for a page, whatever the number of posts."""
    for n in range(posts):
        post = make_post(tags=[f"tag{n % 4}", "MSBlog"])
        make_comment(post)
    queries, _ = count_queries(client, reverse("posts:index"))
    # page count, posts with author and comment counts, tags
    assert queries == 3


@pytest.mark.parametrize("posts", [3, 30])
def test_tag_page_query_count_is_constant(client, posts):
    """A tag page runs a fixed number of queries, whatever the number of posts."""
    for _ in range(posts):
        make_comment(make_post(tags=["MSBlog"]))
    queries, _ = count_queries(client, reverse("posts:tag", args=["msblog"]))
    # tag, exists (empty tag pages are 404s), page count, posts, tags
    assert queries == 5
