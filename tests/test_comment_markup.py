"""What commenters may type and how it is shown: the markup allow-list, where links in
captured comments end, only http(s) links anywhere, and HTML rendered once when a comment
is written (and again only when its text or the renderer changes)."""

import io
import json
import re
from importlib import import_module
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.apps import apps
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils.html import escape, linebreaks
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from comments import markup, services
from comments.bulk import NewComment, bulk_create_threads
from comments.markup import quote_markup, render_comment_html
from comments.models import Comment
from comments.notifications import notify_moderators
from posts.caching import current_version
from posts.models import Post, RelatedEntry
from tests.factories import comment_form_data, make_comment, make_post, make_staff
from tests.fuzzing import SPECIALS

pytestmark = pytest.mark.django_db

ALLOWED = {"p", "br", "a", "em", "i", "strong", "b", "blockquote", "code"}


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def text_of(html: str) -> str:
    tree = soup(html)
    for line_break in tree.find_all("br"):
        line_break.replace_with("\n")
    return tree.get_text()


def paragraphs(html: str) -> list[str]:
    tree = soup(html)
    for line_break in tree.find_all("br"):
        line_break.replace_with("\n")
    return [p.get_text() for p in tree.find_all("p")]


# -- the markup --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Hello there.",
        "Line one\nline two\n\nA second paragraph, with 'quotes', \"doubles\" & ampersands.",
        "a < b and c > d; 5 > 3 < 4 & <3",
        "Spaces   kept?\r\n\r\nWindows line ends\rold Mac ones",
        "Entities stay as typed: &amp; &lt;b&gt; &#106;",
    ],
)
def test_plain_text_renders_as_it_always_did(text):
    """Text without markup or addresses gives the paragraphs, line breaks and escaped
    characters Django's linebreaks gave before comments could be formatted."""
    before = linebreaks(escape(text))
    html = render_comment_html(text)
    assert paragraphs(html) == paragraphs(before)
    assert {tag.name for tag in soup(html).find_all()} <= {"p", "br"}


def test_allowed_markup_is_rendered():
    """p, a (http/https href and title), em/i, strong/b, blockquote and code are markup."""
    html = render_comment_html(
        "<p>One <strong>strong</strong>, <b>bold</b>, <em>em</em>, <i>it</i>, <code>x < y</code>"
        '</p><blockquote>Quoted</blockquote><a href="https://example.org/a?b=1&amp;c=2" '
        "title='Title'>link</a>"
    )
    tree = soup(html)
    for name, text in [("strong", "strong"), ("b", "bold"), ("em", "em"), ("i", "it")]:
        assert tree.find(name).get_text() == text
    assert tree.find("code").get_text() == "x < y"
    assert tree.find("blockquote").find("p").get_text() == "Quoted"
    link = tree.find("a")
    assert link["href"] == "https://example.org/a?b=1&c=2"
    assert link["title"] == "Title"
    assert link["rel"] == ["nofollow", "ugc", "noopener"]


@pytest.mark.parametrize(
    "typed",
    [
        "<script>alert(1)</script>",
        "<u>underlined</u>",
        "<div>block</div>",
        '<b onclick="alert(1)">bold?</b>',
        '<a href="javascript:alert(1)">x</a>',
        '<a href="JaVaScRiPt:alert(1)">x</a>',
        '<a href="&#106;avascript:alert(1)">x</a>',
        '<a href="data:text/html,<b>x</b>">x</a>',
        '<a href="vbscript:msgbox(1)">x</a>',
        '<a href="mailto:a@example.org">x</a>',
        '<a href="/relative/path">x</a>',
        '<a href="https://example.org" class="evil">x</a>',
        "</b> closes nothing",
        "<p/>",
        "<img src=x onerror=alert(1)>",
    ],
)
def test_anything_else_is_shown_as_typed(typed):
    """Another tag, another attribute, a link that is not http(s), a stray closing tag:
    shown exactly as typed, and nothing but the allowed tags in the HTML."""
    html = render_comment_html(typed)
    assert text_of(html) == typed
    tags = soup(html).find_all()
    assert {tag.name for tag in tags} <= {"p", "a"}
    # Only an http(s) address in the text is a link, to itself.
    assert all(a["href"] == a.get_text() for a in soup(html).find_all("a"))


def test_unclosed_and_overlapping_tags_are_closed_where_they_must_be():
    """Open tags close at the end of their paragraph and open again in the next; a tag
    closed out of order closes what was opened inside it; a link never holds a link."""
    html = render_comment_html("<b>bold\n\nstill bold</b> not <i>x<b>y</i>z</b>")
    assert html == ("<p><b>bold</b></p>\n<p><b>still bold</b> not <i>x<b>y</b></i><b>z</b></p>")
    nested = render_comment_html('<a href="https://a.org">one <a href="https://b.org">two</a>')
    assert len(soup(nested).find_all("a")) == 1
    assert "two" in text_of(nested) and '<a href="https://b.org">' in text_of(nested)


def test_blockquotes_hold_paragraphs():
    """A quote's blank lines make paragraphs inside it; text after it is its own paragraph."""
    html = render_comment_html("<blockquote>first\n\nsecond</blockquote>mine")
    assert html == ("<blockquote>\n<p>first</p>\n<p>second</p>\n</blockquote>\n<p>mine</p>")


def test_addresses_inside_a_link_or_code_are_left_alone():
    """A link's own text is not linked again; code is escaped, never markup."""
    html = render_comment_html(
        '<a href="https://a.org">see https://b.org</a> <code><b>not bold</b></code>'
    )
    tree = soup(html)
    assert [a["href"] for a in tree.find_all("a")] == ["https://a.org"]
    assert tree.find("code").find("b").get_text() == "not bold"  # allowed inline markup


typed_pieces = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "<p>",
                "</p>",
                "<b>",
                "</b>",
                "<i>",
                "</i>",
                "<em>",
                "</em>",
                "<strong>",
                "</strong>",
                "<code>",
                "</code>",
                "<blockquote>",
                "</blockquote>",
                "</a>",
                '<a href="https://example.org/?a=1&amp;b=2">',
                '<a href="javascript:x">',
                "https://example.org/x.pdfNow",
                "www.example.com.",
                "\n",
                "\n\n",
                " ",
            ]
        ),
        st.sampled_from(SPECIALS),
        st.text(max_size=6),
    ),
    max_size=40,
).map("".join)


@given(text=typed_pieces)
def test_stored_html_is_always_clean_and_keeps_every_word(text):
    """Whatever is typed, the HTML holds only allowed tags and attributes and http(s)
    links, nh3 would change nothing in it, and the text outside the markup survives."""
    html = render_comment_html(text)
    assert markup.sanitise(html) == html
    for tag in soup(html).find_all():
        assert tag.name in ALLOWED
        allowed_attributes = {"href", "title", "rel"} if tag.name == "a" else set()
        assert set(tag.attrs) <= allowed_attributes
        if tag.name == "a":
            assert re.match(r"https?://", tag["href"])
    words = re.findall(r"[A-Za-z0-9]{3,}", re.sub(r"<[^<>]*>", " ", text))
    shown = text_of(html)
    assert all(word in shown for word in words)


# -- links: where they end, and only http(s) ------------------------------------------------


def links(html: str) -> list[tuple[str, str]]:
    return [(a["href"], a.get_text()) for a in soup(html).find_all("a")]


@pytest.mark.parametrize(
    ("text", "expected", "after"),
    [
        (
            "the trials http://www.ncbi.nlm.nih.gov/pmc/articles/PMC3593763/I don't think",
            "http://www.ncbi.nlm.nih.gov/pmc/articles/PMC3593763/",
            "I don't think",
        ),
        (
            "reads. http://www.ema.europa.eu/docs/human/003718/WC500150522.pdfI believe",
            "http://www.ema.europa.eu/docs/human/003718/WC500150522.pdf",
            "I believe",
        ),
        (
            'future".http://www.reuters.com/article/roche-idUSLDE62705720100308Now, also',
            "http://www.reuters.com/article/roche-idUSLDE62705720100308",
            "Now, also",
        ),
        (
            "reported.http://www.ema.europa.eu/x/WC500150522.pdf",
            "http://www.ema.europa.eu/x/WC500150522.pdf",
            "",
        ),
        ("see http://example.org/a.html. Then", "http://example.org/a.html", ". Then"),
        ("(https://x.org/a_(b)) ok", "https://x.org/a_(b)", ") ok"),
        ("at www.nhs.uk, please", "http://www.nhs.uk", ", please"),
        ("at example.com/page.", "http://example.com/page", "."),
        # Addresses that do go on with a capitalised word keep it.
        ("wiki https://en.wikipedia.org/wiki/Alemtuzumab", None, ""),
        ("book https://example.org/isbn/080442957X", None, ""),
        ("q https://example.org/search?q=MS&Sort=Newest", None, ""),
    ],
)
def test_where_an_address_ends(text, expected, after):
    """The link rule (README "Links in comments"): addresses point where the captured
    original's did, even where the capture lost the space after them."""
    html = render_comment_html(text)
    (href, shown), *others = links(html)
    assert others == []
    if expected is None:
        expected = re.search(r"https?://\S+", text)[0]
    assert href == expected
    assert shown == (expected if text.find("http") >= 0 else shown)
    assert text_of(html).endswith(after)


def test_emails_and_other_schemes_in_text_are_not_links():
    """Only http(s) addresses (and www. or known domains, as http) become links."""
    html = render_comment_html("mail jane@example.org, javascript:alert(1), ftp://x.org/f")
    assert links(html) == []


def test_links_in_the_captured_seed_comments_point_where_the_originals_did(client):
    """On the seed posts, the PubMed Central link stops before "I don't", the EMA PDF is
    linked where "reported." runs into it and stops before "I believe", and the Reuters
    article stops before "Now"."""
    call_command("loaddata", "fixtures/seed.json", verbosity=0)
    found = {}
    for post in Post.objects.all():
        page = soup(client.get(post.get_absolute_url()).content.decode())
        for link in page.select(".comment-content a"):
            found[link["href"]] = link.next_sibling
    assert "http://www.ncbi.nlm.nih.gov/pmc/articles/PMC3593763/" in found
    assert found["http://www.ncbi.nlm.nih.gov/pmc/articles/PMC3593763/"].startswith("I don't")
    pdf = (
        "http://www.ema.europa.eu/docs/en_GB/document_library/EPAR_-_Public_assessment_report"
        "/human/003718/WC500150522.pdf"
    )
    assert pdf in found
    bodies = " ".join(c.body_html for c in Comment.objects.filter(body__contains="reported.http"))
    assert f'reported.<a href="{pdf}"' in bodies
    assert "http://www.reuters.com/article/roche-idUSLDE62705720100308" in found
    assert not [href for href in found if re.search(r"/I$|pdfI$|Now,?$", href)]


HOSTILE_WEBSITES = [
    "javascript:alert(1)",
    " javascript:alert(1)",
    "JAVASCRIPT:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "ftp://example.org/file",
    "//evil.example/x",
    "https:no-host",
]


@pytest.mark.parametrize("website", HOSTILE_WEBSITES)
def test_a_stored_website_that_is_not_http_is_never_a_link(client, website, settings):
    """An author's website from an old database or a hand-made import that is not an
    http(s) address shows the name as plain text on the page, in the admin and in the
    moderators' email."""
    settings.COMMENTS_MODERATOR_EMAILS = ["mods@example.org"]
    post = make_post()
    comment = make_comment(post, author_name="Mallory")
    Comment.objects.filter(pk=comment.pk).update(author_url=website)
    page = soup(client.get(post.get_absolute_url()).content.decode())
    author = page.select_one(f"#comment-{comment.pk} .comment-author")
    assert author.get_text() == "Mallory" and author.find("a") is None

    admin = make_staff("admin", superuser=True)
    client.force_login(admin)
    change = client.get(reverse("admin:comments_comment_change", args=[comment.pk]))
    hrefs = [a["href"] for a in soup(change.content.decode()).find_all("a", href=True)]
    assert not [h for h in hrefs if website.strip().lower()[:8] in h.lower()]

    Comment.objects.filter(pk=comment.pk).update(status="pending")
    notify_moderators(comment.pk)
    assert f"Website: {website} (not an http or https address: never linked)" in (
        mail.outbox[-1].body
    )


def test_an_http_website_is_a_link(client):
    """A web address stays a link, external and not endorsed."""
    post = make_post()
    comment = make_comment(post, author_name="Ann", author_url="https://ann.example.org/")
    page = soup(client.get(post.get_absolute_url()).content.decode())
    link = page.select_one(f"#comment-{comment.pk} .comment-author a")
    assert link["href"] == "https://ann.example.org/"
    assert set(link["rel"]) == {"external", "nofollow", "ugc", "noopener"}


@pytest.mark.parametrize("address", ["javascript:alert(1)", "data:text/html,x", "ftp://x.org/"])
def test_an_other_relevant_post_that_is_not_http_is_not_a_link(client, address):
    """A hand-written "Other relevant posts" entry whose address is not http(s) is text."""
    post = make_post()
    RelatedEntry.objects.create(post=post, position=1, text="An old entry", url=address)
    page = soup(client.get(post.get_absolute_url()).content.decode())
    entry = page.select_one(".related-entries li")
    assert "An old entry" in entry.get_text() and entry.find("a") is None


# -- rendered once, when written ----------------------------------------------------------


def test_pages_show_the_stored_html_without_rendering_again(client, monkeypatch):
    """The thread joins the HTML stored when each comment was written: a page view never
    runs the renderer."""
    post = make_post()
    comment = make_comment(post, body="Stored <b>once</b>.")
    monkeypatch.setattr(markup, "render_comment_html", boom)
    Comment.objects.filter(pk=comment.pk).update(body_html="<p>What was stored.</p>")
    page = soup(client.get(post.get_absolute_url()).content.decode())
    assert page.select_one(f"#comment-{comment.pk} .comment-content").get_text() == (
        "What was stored."
    )


def boom(*args, **kwargs):
    raise AssertionError("rendered while serving a page")


def test_every_write_path_stores_the_html():
    """A new comment, an edit, an import (new and updated), a bulk insert and a restore
    each store the HTML of the text they write."""
    post = make_post()
    created = services.comment_create(post=post, body="New <em>text</em>.", author_name="A")
    assert created.body_html == render_comment_html("New <em>text</em>.")
    services.comment_edit(comment=created, body="Edited <b>text</b>.")
    assert Comment.objects.get(pk=created.pk).body_html == "<p>Edited <b>text</b>.</p>"

    imported, _ = services.comment_import(
        post=post, parent=None, import_ref="x#1", body="Imported <i>x</i>", status="approved"
    )
    assert imported.body_html == "<p>Imported <i>x</i></p>"
    services.comment_import(
        post=post, parent=None, import_ref="x#1", body="Re-imported", status="approved"
    )
    assert Comment.objects.get(pk=imported.pk).body_html == "<p>Re-imported</p>"

    [bulk] = bulk_create_threads(post, [NewComment({"body": "Bulk <code>c</code>"})])
    assert Comment.objects.get(pk=bulk.pk).body_html == "<p>Bulk <code>c</code></p>"

    removed = make_comment(post, body="Back <b>again</b>", status="approved")
    services.comment_set_status(comment=removed, status="removed")
    Comment.objects.filter(pk=removed.pk).update(body_html="<p>from an older renderer</p>")
    services.comment_restore(comment=removed)
    assert Comment.objects.get(pk=removed.pk).body_html == "<p>Back <b>again</b></p>"


def test_render_comments_renders_again_what_an_older_renderer_stored(client):
    """manage.py render_comments rewrites only comments whose HTML is out of date, retires
    cached pages (the content version changes) and says how many it changed."""
    post = make_post()
    fresh = make_comment(post, body="Up to date.")
    stale = make_comment(post, body="See https://example.org/x.pdfThe end")
    Comment.objects.filter(pk=stale.pk).update(
        body_html='<p><a href="https://example.org/x.pdfThe">old</a> end</p>'
    )
    client.get(post.get_absolute_url())  # cached with the old HTML
    before = current_version()
    out = io.StringIO()
    call_command("render_comments", "--batch-size", "1", stdout=out)
    assert "Read 2 comments; rendered 1 of them again." in out.getvalue()
    assert current_version() != before
    assert Comment.objects.get(pk=stale.pk).body_html == render_comment_html(stale.body)
    assert Comment.objects.get(pk=fresh.pk).body_html == "<p>Up to date.</p>"
    page = client.get(post.get_absolute_url()).content.decode()
    assert 'href="https://example.org/x.pdf"' in page


def test_the_migration_fills_the_html_of_comments_already_stored():
    """Comments stored before comments kept their HTML get it from the migration."""
    post = make_post()
    comment = make_comment(post, body="Old <strong>text</strong> http://example.org")
    Comment.objects.filter(pk=comment.pk).update(body_html="")
    migration = import_module("comments.migrations.0008_comment_body_html")
    migration.render_existing(apps, None)
    assert Comment.objects.get(pk=comment.pk).body_html == render_comment_html(comment.body)


# -- every surface ------------------------------------------------------------------------


def formatted_thread():
    post = make_post(title="Formatted")
    parent = make_comment(
        post,
        author_name="Ruth",
        author_email="ruth@example.org",
        notify_replies=True,
        body='I <b>agree</b>.\n\nSee <a href="https://example.org/r" title="R">the report</a>.',
    )
    return post, parent


def test_feeds_carry_the_stored_html(client):
    """Comment feeds, RSS and Atom, hold the same sanitised HTML the page shows."""
    post, parent = formatted_thread()
    atom = "{http://www.w3.org/2005/Atom}"
    for url in (
        reverse("posts:comments-feed"),
        reverse("posts:comments-feed-atom"),
        post.get_comments_feed_url(),
    ):
        root = etree.fromstring(client.get(url).content)
        [item] = root.iter("item", f"{atom}entry")
        assert (item.findtext("description") or item.findtext(f"{atom}summary")) == (
            parent.body_html
        )


def test_search_snippets_show_the_words_without_the_markup(client):
    """A formatted comment found by search shows its words with the hit marked, and none
    of its markup, as text or as HTML."""
    formatted_thread()
    response = client.get(reverse("posts:search") + "?q=agree&scope=comments")
    snippet = soup(response.content.decode()).select_one(".search-snippet")
    assert [tag.name for tag in snippet.find_all()] == ["mark"]
    assert "agree" in snippet.get_text() and "<b>" not in snippet.get_text()


def test_reply_email_is_plain_text_with_quotes_and_addresses(
    mailoutbox, settings, django_capture_on_commit_callbacks
):
    """The reply notification shows the reply as text: its quote marked "> ", a link's
    address after its words; the moderators' notice shows exactly what was typed."""
    settings.COMMENTS_MODERATOR_EMAILS = ["mods@example.org"]
    post, parent = formatted_thread()
    body = quote_markup(parent.body_html) + 'Thanks, <a href="https://example.org/t">this</a>.'
    with django_capture_on_commit_callbacks(execute=True):
        reply = services.comment_create(post=post, parent=parent, body=body, author_name="S")
    moderators = [m for m in mailoutbox if m.to == ["mods@example.org"]][-1]
    assert body in moderators.body
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_set_status(comment=reply, status="approved")
    notice = [m for m in mailoutbox if m.to == ["ruth@example.org"]][-1]
    assert "> I agree.\n>\n> See the report (https://example.org/r)." in notice.body
    assert "Thanks, this (https://example.org/t)." in notice.body
    assert "<" not in notice.body.split("replied to your comment")[1].split("Read the reply")[0]


def test_quote_without_javascript_fills_the_form(client):
    """?replytocom=ID&quote=1 answers that comment with its words quoted in the form."""
    post, parent = formatted_thread()
    page = soup(
        client.get(f"{post.get_absolute_url()}?replytocom={parent.pk}&quote=1").content.decode()
    )
    assert page.select_one("input[name=parent]")["value"] == str(parent.pk)
    quoted = page.select_one("textarea[name=body]").get_text()
    assert quoted.strip() == (
        '<blockquote>I <b>agree</b>.\n\nSee <a href="https://example.org/r" title="R">the '
        "report</a>.</blockquote>"
    )
    assert quoted.lstrip("\n") == quote_markup(parent.body_html)
    link = soup(client.get(post.get_absolute_url()).content.decode()).select_one(
        f"#comment-{parent.pk} .comment-quote-link"
    )
    assert link["href"].endswith(f"?replytocom={parent.pk}&quote=1#respond")


def test_a_quote_leaves_out_what_the_comment_quoted_and_posts_as_formatted(client, settings):
    """Quoting a reply quotes its own words only; the posted reply shows the quote."""
    settings.COMMENTS_MIN_SUBMIT_SECONDS = 0
    post, parent = formatted_thread()
    reply = make_comment(post, parent=parent, body=quote_markup(parent.body_html) + "Mine.")
    assert quote_markup(reply.body_html) == "<blockquote>Mine.</blockquote>\n\n"
    body = quote_markup(reply.body_html) + "And mine."
    data = comment_form_data(post, body=body, parent=str(reply.pk))
    response = client.post(reverse("comments:create", args=[post.pk]), data, follow=True)
    posted = Comment.objects.get(body=body)
    shown = soup(response.content.decode()).select_one(f"#comment-{posted.pk} .comment-content")
    assert shown.select_one("blockquote").get_text().strip() == "Mine."


def test_the_sidebar_excerpt_is_the_comments_own_words(client):
    """Recent comments quote a reply's own words, not the comment it quoted."""
    post, parent = formatted_thread()
    make_comment(post, parent=parent, body=quote_markup(parent.body_html) + "My own words.")
    page = soup(client.get(reverse("posts:index")).content.decode())
    assert page.select_one(".recent-comments q").get_text() == "My own words."


def test_fixture_comments_have_their_html():
    """The seed fixture carries each comment's HTML, as the renderer makes it today."""
    fixture = json.loads(Path("fixtures/seed.json").read_text())
    comments = [item["fields"] for item in fixture if item["model"] == "comments.comment"]
    assert comments and all(
        fields["body_html"] == render_comment_html(fields["body"]) for fields in comments
    )
