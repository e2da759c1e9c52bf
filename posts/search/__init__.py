"""Site search over published posts and approved comments.

One backend per database: PostgreSQL full-text search (postgres.py), SQLite FTS5
(sqlite.py), or, when the SQLite library lacks FTS5, case-insensitive matching
(fallback.py). Each narrows and ranks querysets it is given; what may be found at all is
decided here, once: posts and pages anyone may open, less password-protected ones
(Post.objects.visible().unprotected()), and Comment.objects.readable().
"""

from types import ModuleType

from django.db import connection

from comments.markup import plain_text, without_markup
from comments.models import Comment
from posts.models import Post
from posts.search import fallback, postgres, schema, sqlite
from posts.search.snippets import html_to_text, mark_terms, snippet_html
from posts.search.terms import MAX_LENGTH, parse_query
from posts.selectors import LINK_FIELDS

__all__ = ["MAX_LENGTH", "add_snippets", "backend", "search_comments", "search_posts"]


def backend() -> ModuleType:
    if connection.vendor == "postgresql":
        return postgres
    if connection.vendor == "sqlite" and schema.fts5_available():
        return sqlite
    return fallback


def searchable_posts():
    return Post.objects.visible().unprotected().select_related("author")


def searchable_comments():
    return (
        Comment.objects.readable()
        .select_related("post")
        .only("author_name", "body_html", "created_at", *(f"post__{f}" for f in LINK_FIELDS))
    )


def search_posts(text: str):
    """Published posts matching ``text``, best first; each has ``headline`` (or None)."""
    text = text.strip()[:MAX_LENGTH]
    if not text:
        return Post.objects.none()
    return backend().search_posts(searchable_posts(), text)


def search_comments(text: str):
    """Approved comments on published posts matching ``text``, best first."""
    text = text.strip()[:MAX_LENGTH]
    if not text:
        return Comment.objects.none()
    return backend().search_comments(searchable_comments(), text)


def add_snippets(objects, text: str) -> None:
    """Set ``snippet`` (safe HTML, hits in <mark>) on each result about to be shown."""
    terms = parse_query(text).terms
    for obj in objects:
        is_post = isinstance(obj, Post)
        headline = getattr(obj, "headline", None)
        if headline is None:
            plain = html_to_text(obj.body) if is_post else plain_text(obj.body_html)
            obj.snippet = snippet_html(mark_terms(plain, terms), source_is_html=False)
        elif is_post:
            obj.snippet = snippet_html(headline, source_is_html=True)
        else:  # a comment's words as typed: its markup is not text to show
            obj.snippet = snippet_html(without_markup(headline), source_is_html=False)
