"""Search on PostgreSQL: websearch syntax, ranked with ts_rank, snippets by ts_headline.

Posts match on their stored, weighted search_document; comments on an expression over
their body that a GIN index covers (both in posts/search/schema.py).
"""

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVector,
    SearchVectorField,
)
from django.db.models.expressions import RawSQL

from posts.search.schema import CONFIG
from posts.search.snippets import START, STOP

# A column the database keeps (schema.py) rather than a model field, so no ORM write
# can set it and no page ever loads it.
POST_DOCUMENT = RawSQL('"posts_post"."search_document"', [], output_field=SearchVectorField())
# Must stay the expression of the posts_comment_body_search index.
COMMENT_DOCUMENT = SearchVector("body", config=CONFIG)

# One passage around the best match. (Fragment mode cuts short texts down to the hit.)
# ts_headline leaves HTML tags out; the parser takes text shaped like a tag in a comment
# ("<b>") for one too, so such text is neither searchable nor in snippets here.
HEADLINE = {
    "config": CONFIG,
    "start_sel": START,
    "stop_sel": STOP,
    "max_words": 35,
    "min_words": 15,
}


def search_query(text: str) -> SearchQuery:
    return SearchQuery(text, search_type="websearch", config=CONFIG)


def search_posts(posts, text: str):
    return ranked(posts, POST_DOCUMENT, text, newest_first="-published_at")


def search_comments(comments, text: str):
    return ranked(comments, COMMENT_DOCUMENT, text, newest_first="-created_at")


def ranked(queryset, document, text: str, *, newest_first: str):
    """Rows whose document matches, best first (then newest), with a body headline."""
    query = search_query(text)
    return (
        queryset.alias(document=document)
        .filter(document=query)
        .annotate(
            rank=SearchRank(document, query),
            headline=SearchHeadline("body", query, **HEADLINE),
        )
        .order_by("-rank", newest_first, "-pk")
    )
