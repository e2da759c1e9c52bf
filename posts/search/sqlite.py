"""Search on SQLite with FTS5: terms parsed by posts.search.terms, ranked by bm25(),
snippets by snippet(). The FTS5 tables are in posts/search/schema.py."""

from django.db.models import FloatField, TextField
from django.db.models.expressions import RawSQL

from posts.search.snippets import START, STOP
from posts.search.terms import parse_query

SNIPPET_TOKENS = 32


class FTS5Table:
    def __init__(self, name: str, *, outer_id: str, bm25_weights: str = "", snippet_column=0):
        self.name = name
        self.outer_id = outer_id  # the id column of the row being matched
        self.bm25_weights = bm25_weights
        self.snippet_column = snippet_column

    def for_row(self, select: str, params, output_field) -> RawSQL:
        """``select`` computed on this table's entry for the outer query's row."""
        return RawSQL(
            f"SELECT {select} FROM {self.name} "
            f"WHERE {self.name} MATCH %s AND rowid = {self.outer_id}",
            params,
            output_field=output_field,
        )

    def search(self, queryset, text: str, *, tiebreak: tuple[str, ...]):
        """``queryset`` narrowed to matches, best first, with rank and headline."""
        match = parse_query(text).fts5()
        if not match:
            return queryset.none()
        hits = RawSQL(f"SELECT rowid FROM {self.name} WHERE {self.name} MATCH %s", (match,))
        rank = self.for_row(f"bm25({self.name}{self.bm25_weights})", (match,), FloatField())
        headline = self.for_row(
            f"snippet({self.name}, {self.snippet_column}, %s, %s, '…', {SNIPPET_TOKENS})",
            (START, STOP, match),
            TextField(),
        )
        # bm25() is lower for better matches.
        return (
            queryset.filter(pk__in=hits)
            .annotate(rank=rank, headline=headline)
            .order_by("rank", *tiebreak)
        )


# Columns title, tags, lede, body, weighted like PostgreSQL's A, B, B, C; snippets from
# the body.
POSTS = FTS5Table(
    "posts_search_post",
    outer_id='"posts_post"."id"',
    bm25_weights=", 10.0, 5.0, 5.0, 1.0",
    snippet_column=3,
)
COMMENTS = FTS5Table("posts_search_comment", outer_id='"comments_comment"."id"')


def search_posts(posts, text: str):
    return POSTS.search(posts, text, tiebreak=("-published_at", "-pk"))


def search_comments(comments, text: str):
    return COMMENTS.search(comments, text, tiebreak=("-created_at", "-pk"))
