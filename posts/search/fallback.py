"""Search without a full-text index (SQLite built without FTS5): every term must occur,
ignoring case, newest first; snippets are made in Python (posts.search.snippets)."""

from django.db.models import Q
from taggit.models import Tag

from posts.search.terms import parse_query


def any_field_contains(fields, term: str) -> Q:
    condition = Q()
    for name in fields:
        condition |= Q(**{f"{name}__icontains": term})
    return condition


def narrow(queryset, text: str, fields, *, post_field: str | None = None):
    parsed = parse_query(text)
    if not parsed:
        return queryset.none()

    def matches(term: str) -> Q:
        condition = any_field_contains(fields, term)
        if post_field:
            # A subquery rather than a join, so a post with two matching tags is one hit.
            tagged = Tag.objects.filter(name__iexact=term).values("post")
            condition |= Q(**{f"{post_field}__in": tagged})
        return condition

    for group in parsed.groups:
        either = Q()
        for term in group:
            either |= matches(term)
        queryset = queryset.filter(either)
    for term in parsed.excluded:
        queryset = queryset.exclude(matches(term))
    return queryset


def search_posts(posts, text: str):
    return narrow(posts, text, ("title", "lede", "body"), post_field="pk").order_by(
        "-published_at", "-pk"
    )


def search_comments(comments, text: str):
    return narrow(comments, text, ("body",)).order_by("-created_at", "-pk")
