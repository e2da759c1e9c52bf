"""Search across published posts and approved comments: what is found, what never is,
and how results look. Tests taking ``any_backend`` run with the database's own backend
(PostgreSQL full-text search or SQLite FTS5) and again with the plain case-insensitive
one used when SQLite lacks FTS5."""

import datetime

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from comments.models import Comment
from posts.search.snippets import START, STOP, snippet_html
from posts.search.terms import parse_query
from tests.factories import make_comment, make_post
from tests.search_helpers import comment_link, needs_index, results

pytestmark = pytest.mark.django_db


def days_ago(n):
    return timezone.now() - datetime.timedelta(days=n)


# ------------------------------------------------------------------------- what is found


def test_finds_posts_by_title_lede_body_and_tag(client, page_soup, any_backend):
    """A word in a post's title, lede, body or tags finds it."""
    make_post(title="Cladribine arrives", body="<p>Nothing here.</p>")
    make_post(title="Second", lede="About ocrelizumab.")
    make_post(title="Third", body="<p>Long text on <em>natalizumab</em> risks.</p>")
    make_post(title="Fourth", tags=["ClinicSpeak"])
    make_post(title="Unrelated", body="<p>Other matters.</p>")
    for q, title in [
        ("cladribine", "Cladribine arrives"),
        ("ocrelizumab", "Second"),
        ("natalizumab", "Third"),
        ("ClinicSpeak", "Fourth"),
    ]:
        posts, _, _ = results(client, page_soup, q)
        assert posts == [title], q


def test_finds_approved_comments_and_links_to_them(client, page_soup, any_backend):
    """A matching approved comment is listed with its author and a link to its permalink."""
    post = make_post(title="Discussed")
    comment = make_comment(post, author_name="Ann", body="Has anyone tried cladribine?")
    make_comment(post, body="Something else.")
    _, comments, soup = results(client, page_soup, "cladribine")
    assert comments == [comment_link(comment)]
    heading = soup.select_one("#comment-results-title ~ ol .result-title").get_text()
    assert heading == "Ann on “Discussed”"


def test_stemming_finds_other_forms_of_a_word(client, page_soup):
    """Full-text search matches "risks" for "risk" (the fallback matches substrings)."""
    make_post(title="Weighing risks", body="<p>x</p>")
    posts, _, _ = results(client, page_soup, "risk")
    assert posts == ["Weighing risks"]


@needs_index
def test_title_matches_rank_above_body_matches(client, page_soup):
    """A post about the word outranks a newer post that only mentions it."""
    make_post(title="Cladribine explained", body="<p>An explainer.</p>", published_at=days_ago(30))
    make_post(
        title="Weekly news",
        body="<p>Many things, and cladribine once.</p>",
        published_at=days_ago(1),
    )
    posts, _, _ = results(client, page_soup, "cladribine")
    assert posts == ["Cladribine explained", "Weekly news"]


def test_web_search_syntax(client, page_soup, any_backend):
    """Quoted phrases, -exclusions and "or" work as in web search engines."""
    make_post(title="First", body="<p>A first line treatment in Mexico.</p>")
    make_post(title="Second", body="<p>A first line treatment in Europe.</p>")
    make_post(title="Third", body="<p>The line was first drawn in Europe.</p>")
    make_post(title="Fourth", body="<p>Ocrelizumab only.</p>")
    assert sorted(results(client, page_soup, '"first line"')[0]) == ["First", "Second"]
    assert results(client, page_soup, '"first line" -mexico')[0] == ["Second"]
    assert sorted(results(client, page_soup, "mexico or ocrelizumab")[0]) == ["First", "Fourth"]


@pytest.mark.parametrize(
    "q", ["title:x OR NEAR(a b) *", '"unclosed', "-", "***", "AND", 'a"b"c', "x" * 300]
)
def test_any_input_is_safe(client, page_soup, any_backend, q):
    """Search syntax of the index or odd input never breaks the page."""
    make_post(title="Anything")
    response = client.get(reverse("posts:search"), {"q": q})
    assert response.status_code == 200


def test_empty_search_shows_only_the_form(client, page_soup):
    """Without a query there is one labelled search field, focused, and no results."""
    make_post()
    for params in ({}, {"q": ""}, {"q": "   "}):
        soup = page_soup(client.get(reverse("posts:search"), params))
        [field] = soup.select("form[role=search] input[name=q]")
        assert soup.select_one(f"label[for={field['id']}]") is not None
        assert field.has_attr("autofocus")
        assert "Type what you are looking for" in soup.select_one(".search-help").get_text()
        assert soup.select(".search-results") == []


# ----------------------------------------------------------------------- what is not found

HIDDEN_COMMENTS = {
    "pending": {"status": "pending"},
    "spam": {"status": "spam"},
    "removed": {"status": "removed"},
    "stand-in": {"placeholder": True},
}


@pytest.mark.parametrize("kind", HIDDEN_COMMENTS)
def test_hidden_comments_are_never_found(client, page_soup, any_backend, kind):
    """Pending, spam, removed and stand-in comments are not in any result."""
    post = make_post()
    make_comment(post, body="Findable cladribine.")
    make_comment(post, body="Hidden cladribine zanzibar.", **HIDDEN_COMMENTS[kind])
    _, comments, soup = results(client, page_soup, "zanzibar")
    assert comments == []
    _, comments, soup = results(client, page_soup, "cladribine")
    assert len(comments) == 1
    assert "zanzibar" not in soup.get_text()


def test_replies_hidden_with_their_spam_parent_are_never_found(client, page_soup, any_backend):
    """A reply the thread hides (its parent is spam) is not found either."""
    post = make_post()
    parent = make_comment(post, body="Buy pills.")
    make_comment(post, parent=parent, body="Reply about zanzibar.")
    Comment.objects.filter(pk=parent.pk).update(status="spam")
    assert results(client, page_soup, "zanzibar")[1] == []


@pytest.mark.parametrize("kind", ["draft", "future"])
def test_unpublished_posts_and_their_comments_are_never_found(client, page_soup, any_backend, kind):
    """Drafts and scheduled posts, and comments on them, are not in any result."""
    fields = (
        {"status": "draft"}
        if kind == "draft"
        else {"published_at": timezone.now() + datetime.timedelta(days=1)}
    )
    post = make_post(title="Zanzibar plans", **fields)
    make_comment(post, body="Zanzibar comment.")
    posts, comments, soup = results(client, page_soup, "zanzibar")
    assert (posts, comments) == ([], [])
    assert "Zanzibar" not in soup.select_one("main").get_text().replace("“zanzibar”", "")


def test_commenters_private_details_are_never_shown_or_searchable(client, page_soup, any_backend):
    """Email and IP addresses are neither on the results page nor searchable."""
    make_comment(
        make_post(),
        body="About zanzibar.",
        author_email="ann@example.org",
        ip_address="192.0.2.7",
    )
    response = client.get(reverse("posts:search"), {"q": "zanzibar"})
    assert b"ann@example.org" not in response.content and b"192.0.2.7" not in response.content
    assert results(client, page_soup, "ann@example.org")[1] == []
    assert results(client, page_soup, "192.0.2.7")[1] == []


# ------------------------------------------------------------------------------ snippets


def snippet_markup(soup):
    return [
        (tag.name for tag in snippet.find_all(True)) for snippet in soup.select(".search-snippet")
    ]


def test_comment_snippet_escapes_the_comment_and_marks_hits(client, page_soup, any_backend):
    """A snippet's only markup is <mark>; what the commenter typed shows as text."""
    make_comment(make_post(), body='<script>alert("x")</script> <b>zanzibar</b> trip')
    response = client.get(reverse("posts:search"), {"q": "zanzibar", "scope": "comments"})
    soup = page_soup(response)
    snippet = soup.select_one(".search-snippet")
    assert {tag.name for tag in snippet.find_all(True)} == {"mark"}
    assert snippet.select_one("mark").get_text().lower() == "zanzibar"
    assert "<script" not in response.content.decode()
    if connection.vendor == "sqlite":  # PostgreSQL's parser leaves tag-like text out
        assert '<script>alert("x")</script>' in snippet.get_text()


def test_post_snippet_is_text_of_the_body_with_hits_marked(client, page_soup, any_backend):
    """A post's snippet drops the body's HTML and entities, and marks the hits."""
    make_post(
        title="Trip",
        body='<p>We don&#x27;t go to <a href="https://example.org">the</a> '
        "<strong>zanzibar</strong> clinic &amp; more.</p>",
    )
    soup = results(client, page_soup, "zanzibar")[2]
    snippet = soup.select_one(".search-snippet")
    assert {tag.name for tag in snippet.find_all(True)} == {"mark"}
    text = snippet.get_text()
    assert "don't go to the zanzibar clinic & more." in text
    assert "<" not in text and "&#x27;" not in text and "href" not in text


@pytest.mark.parametrize(
    ("raw", "source_is_html", "expected"),
    [
        (f"a {START}hit{STOP} b", False, "a <mark>hit</mark> b"),
        (f"<b>{START}x{STOP}</b> &amp; y", False, "&lt;b&gt;<mark>x</mark>&lt;/b&gt; &amp;amp; y"),
        (f"{START}<i>{STOP}", False, "<mark>&lt;i&gt;</mark>"),
        (f"unpaired {START}start only", False, "unpaired start only"),
        (
            f'ef="x">Hi <b>{START}there{STOP}</b></p><p>more <a hr',
            True,
            "Hi <mark>there</mark> more",
        ),
        (f"EDSS &gt; 3 and {START}x{STOP} < 5", True, "EDSS &gt; 3 and <mark>x</mark> &lt; 5"),
        (f"<script>{START}alert{STOP}(1)</script>", True, "<mark>alert</mark>(1)"),
    ],
)
def test_snippet_html(raw, source_is_html, expected):
    """Sentinel-marked text becomes escaped HTML whose only tags are <mark>."""
    assert snippet_html(raw, source_is_html=source_is_html) == expected


@pytest.mark.parametrize(
    ("text", "groups", "excluded", "fts5"),
    [
        ("a b", [["a"], ["b"]], [], '(("a") AND ("b"))'),
        ('"first line" -mexico', [["first line"]], ["mexico"], '(("first line")) NOT "mexico"'),
        ("x or y z", [["x", "y"], ["z"]], [], '(("x" OR "y") AND ("z"))'),
        (
            'NEAR(a b) col:x"y',
            [["NEAR(a"], ["b)"], ['col:x"y']],
            [],
            '(("NEAR(a") AND ("b)") AND ("col:x""y"))',
        ),
        ("- * ***", [], [], ""),
    ],
)
def test_parse_query(text, groups, excluded, fts5):
    """Web-search syntax parses into quoted terms, safe to hand to FTS5."""
    parsed = parse_query(text)
    assert (parsed.groups, parsed.excluded) == (groups, excluded)
    assert parsed.fts5() == fts5


# ------------------------------------------------------------------------------- paging


def test_combined_results_link_to_all_matches_of_one_kind(client, page_soup, any_backend):
    """Page one shows ten comments and links to all of them, paged by scope."""
    post = make_post()
    for n in range(12):
        make_comment(post, body=f"Zanzibar note {n}.", created_at=days_ago(20 - n))
    _, comments, soup = results(client, page_soup, "zanzibar")
    assert len(comments) == 10
    more = soup.select_one("#comment-results-title ~ .more-results a")
    assert more.get_text() == "All 12 matching comments"
    assert more["href"] == "?q=zanzibar&scope=comments"
    _, first, soup = results(client, page_soup, "zanzibar", scope="comments")
    assert soup.select("#post-results-title") == []
    next_page = soup.select_one(".pagination a[rel=next]")["href"]
    assert next_page == "?q=zanzibar&scope=comments&page=2"
    _, second, _ = results(client, page_soup, "zanzibar", scope="comments", page=2)
    assert len(first) == 10 and len(second) == 2
    assert not set(first) & set(second)
