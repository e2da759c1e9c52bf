"""Whatever a commenter types in their name and website reaches every page, feed and
admin screen as text, never as markup: checked in the HTML and XML the client gets, so
the suite guards escaping without a browser (tests/test_xss.py runs one)."""

import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from comments.models import Comment
from tests.factories import comment_form_data, follow_refusal, make_post, make_staff

pytestmark = pytest.mark.django_db

NAME = 'Eve "O\'Neil" <b>bold</b> & co'
WEBSITE = 'https://eve.example/?q="onmouseover="alert(1)"&x=\'<b>y</b>'
ATOM = "{http://www.w3.org/2005/Atom}"
DC_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"


@pytest.fixture
def eve(settings):
    """Eve's comment, sent through the form and published at once, and a reply to it."""
    settings.COMMENTS_MODERATION = "none"
    post = make_post(title="Escaping")
    create = reverse("comments:create", args=[post.pk])
    form = comment_form_data(post, author_name=NAME, author_url=WEBSITE, body="Zanzibar.")
    assert Client().post(create, form).status_code == 302
    comment = Comment.objects.get()
    assert (comment.author_name, comment.author_url, comment.status) == (NAME, WEBSITE, "approved")
    reply = comment_form_data(post, author_name="Bob", body="Hi Eve.", parent=str(comment.pk))
    assert Client().post(create, reply).status_code == 302
    return post, comment


def post_date_and_slug(post) -> list:
    published = timezone.localtime(post.published_at)
    return [published.year, published.month, published.day, post.slug]


def assert_no_markup_from_eve(soup):
    """Nothing Eve typed became an element or an attribute."""
    assert soup.find(attrs={"onmouseover": True}) is None
    assert [b for b in soup.find_all("b") if b.get_text() in ("bold", "y")] == []


def test_the_post_page_shows_name_and_website_as_typed(client, page_soup, eve):
    """The thread shows the name as text and links the website exactly as typed, in the
    link, its label and the reply link's attributes."""
    post, comment = eve
    soup = page_soup(client.get(post.get_absolute_url()))
    assert_no_markup_from_eve(soup)
    item = soup.select_one(f"#comment-{comment.pk}")
    assert item.select_one(".comment-author").get_text() == NAME
    assert item.select_one(".comment-author a")["href"] == WEBSITE
    assert item.select_one("article")["aria-label"] == f"Comment by {NAME}"
    reply = item.select_one(".comment-reply-link")
    assert (reply["data-author"], reply["aria-label"]) == (NAME, f"Reply to {NAME}")


def test_reply_form_names_the_author_as_text(client, page_soup, eve):
    """?replytocom= puts the name in the form's heading as text."""
    post, comment = eve
    soup = page_soup(client.get(post.get_absolute_url(), {"replytocom": comment.pk}))
    assert_no_markup_from_eve(soup)
    assert soup.select_one("#reply-title .reply-to").get_text() == f" to {NAME}"


def test_a_refused_form_gives_back_name_and_website_as_typed(page_soup, eve):
    """A refused form's fields hold the name and website exactly as typed."""
    post, _ = eve
    form = comment_form_data(post, author_name=NAME, author_url=WEBSITE, body="")
    reader = Client()
    response = follow_refusal(reader, reader.post(reverse("comments:create", args=[post.pk]), form))
    assert response.status_code == 400
    soup = page_soup(response)
    assert_no_markup_from_eve(soup)
    assert soup.select_one("input[name=author_name]")["value"] == NAME
    assert soup.select_one("input[name=author_url]")["value"] == WEBSITE


def test_sidebar_and_search_show_the_name_as_text(client, page_soup, eve):
    """The sidebar's recent comments and the search results name Eve as text."""
    soup = page_soup(client.get(reverse("posts:index")))
    assert_no_markup_from_eve(soup)
    names = [span.get_text() for span in soup.select(".widget .comment-author, .comment-author")]
    assert NAME in names
    soup = page_soup(client.get(reverse("posts:search"), {"q": "Zanzibar"}))
    assert_no_markup_from_eve(soup)
    assert f"{NAME} on “Escaping”" in [h.get_text() for h in soup.select(".result-title")]


@pytest.mark.parametrize(
    ("route", "by_post"),
    [
        ("posts:comments-feed", False),
        ("posts:comments-feed-atom", False),
        ("posts:post-comments-feed", True),
        ("posts:post-comments-feed-atom", True),
    ],
)
def test_comment_feeds_carry_the_name_as_text(client, eve, route, by_post):
    """Every comment feed is well-formed XML whose title and author hold the name exactly
    as typed; the website is not in a feed."""
    post, _ = eve
    url = reverse(route, args=post_date_and_slug(post)) if by_post else reverse(route)
    response = client.get(url)
    assert response.status_code == 200
    # Raises on markup that broke the XML. Our own server's answer, so plain ElementTree.
    root = ET.fromstring(response.content)  # noqa: S314
    if root.tag == f"{ATOM}feed":
        entries = root.findall(f"{ATOM}entry")
        titles = [e.findtext(f"{ATOM}title") for e in entries]
        authors = [e.findtext(f"{ATOM}author/{ATOM}name") for e in entries]
    else:
        entries = root.findall("channel/item")
        titles = [e.findtext("title") for e in entries]
        authors = [e.findtext(DC_CREATOR) for e in entries]
    title = f"By: {NAME}" if by_post else f"Comment on Escaping by {NAME}"
    assert title in titles and NAME in authors
    assert b"eve.example" not in response.content


def test_the_admin_queue_shows_name_and_website_as_text(client, page_soup, eve):
    """The moderation queue's author block, the reply's "in reply to" line and the staff
    reply page show the name and website as text."""
    _, comment = eve
    client.force_login(make_staff("mod", superuser=True))
    soup = page_soup(client.get(reverse("admin:comments_comment_changelist")))
    assert_no_markup_from_eve(soup)
    row = soup.select_one(f"#row-{comment.pk}")
    assert row.select_one(".author-name a").get_text() == NAME
    assert row.select_one(".author-url a")["href"] == WEBSITE
    assert row.select_one(".author-url a").get_text() == WEBSITE
    replies = [p.get_text(" ", strip=True) for p in soup.select(".in-reply")]
    assert f"In reply to {NAME} : Zanzibar." in replies
    reply_page = page_soup(client.get(reverse("admin:comments_comment_reply", args=[comment.pk])))
    assert_no_markup_from_eve(reply_page)
    assert f"{NAME} wrote" in reply_page.select_one("#content").get_text()
