"""Search on PostgreSQL: websearch syntax, ranked with ts_rank, snippets by ts_headline.

Posts match on their stored, weighted search_document; comments on their documents in
the posts_search_comment table (both kept by triggers: posts/search/schema.py).
"""

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVectorField,
)
from django.db.models.expressions import RawSQL

from posts.search.schema import CONFIG
from posts.search.snippets import START, STOP

# A column the database keeps (schema.py) rather than a model field, so no ORM write
# can set it and no page ever loads it.
POST_DOCUMENT = RawSQL('"posts_post"."search_document"', [], output_field=SearchVectorField())
# Comments' documents are in posts_search_comment (see schema.py); a search starts from
# that table's GIN index, and only matching comments look up their document to rank.
COMMENT_DOCUMENT = RawSQL(
    'SELECT document FROM posts_search_comment WHERE comment_id = "comments_comment"."id"',
    [],
    output_field=SearchVectorField(),
)
MATCHING_COMMENTS = (
    "SELECT comment_id FROM posts_search_comment "
    "WHERE document @@ websearch_to_tsquery(%s::regconfig, %s)"
)

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
    matching = posts.alias(document=POST_DOCUMENT).filter(document=search_query(text))
    return ranked(matching, POST_DOCUMENT, text, newest_first="-published_at")


def search_comments(comments, text: str):
    # The reader's text is a bound parameter, never part of the SQL.
    matching = comments.filter(pk__in=RawSQL(MATCHING_COMMENTS, [CONFIG, text]))  # noqa: S611
    return ranked(matching, COMMENT_DOCUMENT, text, newest_first="-created_at")


def ranked(matching, document, text: str, *, newest_first: str):
    """Matching rows, best first (then newest), with a headline of their body."""
    query = search_query(text)
    return matching.annotate(
        rank=SearchRank(document, query),
        headline=SearchHeadline("body", query, **HEADLINE),
    ).order_by("-rank", newest_first, "-pk")
