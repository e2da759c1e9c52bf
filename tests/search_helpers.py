"""Helpers shared by the search tests (their fixtures are in conftest.py)."""

import pytest
from django.db import connection
from django.urls import reverse

from posts.search import schema

needs_index = pytest.mark.skipif(
    connection.vendor == "sqlite" and not schema.fts5_available(),
    reason="this SQLite has no FTS5: the fallback backend is tested on its own",
)


def results(client, page_soup, q, **params):
    """(post titles, comment links, soup) of the search page for ``q``."""
    response = client.get(reverse("posts:search"), {"q": q, **params})
    assert response.status_code == 200
    soup = page_soup(response)
    posts = soup.select("#post-results-title ~ ol .result-title a")
    comments = soup.select("#comment-results-title ~ ol .result-title a")
    return [a.get_text() for a in posts], [a["href"] for a in comments], soup


def comment_link(comment):
    """A result links to the comment's permalink, which finds its page of the thread."""
    return f"/comments/{comment.pk}/"
