"""RSS and Atom feeds of posts and comments: valid, complete, and never showing hidden items."""

import datetime

import feedparser
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_comment, make_post

pytestmark = pytest.mark.django_db

SITE = settings.SITE_URL  # absolute URLs never come from the request (msblog.siteurl)


def parse(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, url
    # Bytes: feedparser takes a str for a URL or a file name.
    feed = feedparser.parse(response.content, sanitize_html=False)
    assert feed.bozo == 0, feed.get("bozo_exception")
    return feed, response


def days_ago(n):
    return timezone.now() - datetime.timedelta(days=n)


POST_FEEDS = [("posts:feed", "rss20"), ("posts:feed-atom", "atom10")]
COMMENT_FEEDS = [("posts:comments-feed", "rss20"), ("posts:comments-feed-atom", "atom10")]


@pytest.mark.parametrize(("route", "version"), POST_FEEDS)
def test_post_feed_lists_published_posts_newest_first(client, route, version):
    """The posts feed has every published post, newest first, with its permalink."""
    old = make_post(title="Old news", published_at=days_ago(9), tags=["MSBlog"])
    new = make_post(title="Fresh news", published_at=days_ago(1), tags=["ClinicSpeak", "MSBlog"])
    make_post(title="Secret draft", status="draft")
    make_post(title="Tomorrow's post", published_at=timezone.now() + datetime.timedelta(hours=2))
    feed, _ = parse(client, reverse(route))
    assert feed.version == version
    assert [e.title for e in feed.entries] == ["Fresh news", "Old news"]
    assert [e.link for e in feed.entries] == [
        SITE + new.get_absolute_url(),
        SITE + old.get_absolute_url(),
    ]
    first = feed.entries[0]
    assert first.author == new.author.name
    assert sorted(t.term for t in first.tags) == ["ClinicSpeak", "MSBlog"]
    assert first.published_parsed[:3] == new.published_at.utctimetuple()[:3]


def test_post_feed_carries_the_sanitised_post(client):
    """An item's description is the lede and the body, with scripts removed."""
    make_post(
        title="Body test",
        lede="Tipping the scales",
        body="<p>First <em>paragraph</em>.</p><script>alert(1)</script>",
        coi="multiple",
    )
    feed, _ = parse(client, reverse("posts:feed"))
    summary = feed.entries[0].summary
    assert "<em>paragraph</em>" in summary
    assert "Tipping the scales" in summary and "CoI: multiple" in summary
    assert "<script" not in summary and "alert(1)" not in summary


def test_post_feed_is_limited(client, settings):
    """The feed holds the latest FEED_ITEMS posts."""
    settings.FEED_ITEMS = 3
    for n in range(5):
        make_post(title=f"Post {n}", published_at=days_ago(10 - n))
    feed, _ = parse(client, reverse("posts:feed"))
    assert [e.title for e in feed.entries] == ["Post 4", "Post 3", "Post 2"]


@pytest.mark.parametrize("route", ["posts:tag-feed", "posts:tag-feed-atom"])
def test_tag_feed_lists_only_that_tags_published_posts(client, route):
    """A tag's feed has its published posts only; its title names the tag."""
    make_post(title="Tagged", tags=["ClinicSpeak"])
    make_post(title="Other", tags=["MSBlog"])
    make_post(title="Tagged draft", tags=["ClinicSpeak"], status="draft")
    feed, _ = parse(client, reverse(route, args=["clinicspeak"]))
    assert [e.title for e in feed.entries] == ["Tagged"]
    assert "#ClinicSpeak" in feed.feed.title
    assert feed.feed.link == SITE + reverse("posts:tag", args=["clinicspeak"])


def test_tag_feed_of_unknown_or_draft_only_tag_is_404(client):
    """A tag carried only by drafts has no feed, like it has no page."""
    make_post(title="Hidden", tags=["Secret"], status="draft")
    assert client.get(reverse("posts:tag-feed", args=["secret"])).status_code == 404
    assert client.get(reverse("posts:tag-feed", args=["nothing"])).status_code == 404


@pytest.mark.parametrize(("route", "version"), COMMENT_FEEDS)
def test_comment_feed_lists_approved_comments_with_links(client, route, version):
    """Each item names its author and links to the comment on its post."""
    post = make_post(title="Discussed")
    first = make_comment(post, author_name="Ann", body="First thought.", created_at=days_ago(2))
    second = make_comment(post, parent=first, author_name="Bob", body="A reply.")
    feed, _ = parse(client, reverse(route))
    assert feed.version == version
    assert [e.link for e in feed.entries] == [
        f"{SITE}/comments/{second.pk}/",  # permalinks, which find the comment's page
        f"{SITE}/comments/{first.pk}/",
    ]
    assert [e.author for e in feed.entries] == ["Bob", "Ann"]
    assert feed.entries[1].title == "Comment on Discussed by Ann"
    assert "First thought." in feed.entries[1].summary


@pytest.mark.parametrize("route", [r for r, _ in COMMENT_FEEDS])
def test_comment_feeds_never_show_hidden_comments_or_private_details(client, route):
    """Pending, spam, removed, stand-in comments, comments on drafts and replies under
    spam stay out of the feed, and no email or IP address is ever in it."""
    post = make_post()
    draft = make_post(status="draft")
    make_comment(
        post, body="Visible words.", author_email="ann@example.org", ip_address="192.0.2.7"
    )
    for status in ("pending", "spam", "removed"):
        make_comment(post, body=f"The {status} words.", status=status)
    make_comment(post, body="The stand-in words.", placeholder=True)
    make_comment(draft, body="Words on a draft.")
    spam = make_comment(post, body="Spam parent.", status="spam")
    make_comment(post, parent=spam, body="Reply under spam.")
    feed, response = parse(client, reverse(route))
    assert [e.summary for e in feed.entries] == ["<p>Visible words.</p>"]
    assert b"ann@example.org" not in response.content
    assert b"192.0.2.7" not in response.content


def test_comment_feed_escapes_what_commenters_write(client):
    """A comment's allowed formatting arrives in the feed as the page shows it; any other
    markup as text, never as HTML."""
    make_comment(make_post(), body='<script>alert("x")</script> <b>bold</b>')
    feed, _ = parse(client, reverse("posts:comments-feed"))
    summary = feed.entries[0].summary
    assert "<script>" not in summary and "&lt;script&gt;" in summary
    assert "<b>bold</b>" in summary


@pytest.mark.parametrize("route", ["posts:post-comments-feed", "posts:post-comments-feed-atom"])
def test_post_comment_feed_lists_that_posts_comments(client, route):
    """A post's comment feed has its approved comments only."""
    post = make_post(title="Ours")
    other = make_post(title="Theirs")
    mine = make_comment(post, author_name="Ann")
    make_comment(post, status="pending")
    make_comment(other)
    feed, _ = parse(client, reverse(route, kwargs=post.permalink_kwargs()))
    assert [e.link for e in feed.entries] == [f"{SITE}/comments/{mine.pk}/"]
    assert feed.entries[0].title == "By: Ann"
    assert feed.feed.title == "Comments on “Ours”"
    assert feed.feed.link == SITE + post.get_absolute_url()


def test_post_comment_feed_of_hidden_post_or_wrong_date_is_404(client):
    """Drafts, scheduled posts and mistyped dates have no comment feed."""
    draft = make_post(status="draft")
    future = make_post(published_at=timezone.now() + datetime.timedelta(days=1))
    for post in (draft, future):
        url = reverse("posts:post-comments-feed", kwargs=post.permalink_kwargs())
        assert client.get(url).status_code == 404
    post = make_post()
    kwargs = {**post.permalink_kwargs(), "day": 1 if post.permalink_kwargs()["day"] != 1 else 2}
    assert client.get(reverse("posts:post-comments-feed", kwargs=kwargs)).status_code == 404
    kwargs = {**post.permalink_kwargs(), "month": 2, "day": 31}
    assert client.get(reverse("posts:post-comments-feed", kwargs=kwargs)).status_code == 404


def test_feeds_share_cache_and_cors_headers(client):
    """Every feed may sit in shared caches (revalidated by ETag) and be read cross-origin."""
    post = make_post(tags=["MSBlog"])
    urls = [
        reverse("posts:feed"),
        reverse("posts:feed-atom"),
        reverse("posts:tag-feed", args=["msblog"]),
        reverse("posts:comments-feed"),
        post.get_comments_feed_url(),
    ]
    for url in urls:
        response = client.get(url)
        assert response["Access-Control-Allow-Origin"] == "*", url
        directives = {d.strip() for d in response["Cache-Control"].split(",")}
        assert {"public", "no-cache"} <= directives, url  # shared caches revalidate
        assert response["ETag"], url


def alternates(page_soup, response):
    return {
        link["href"]: link["type"]
        for link in page_soup(response).select('head link[rel="alternate"]')
    }


def test_every_page_advertises_the_site_feeds(client, page_soup):
    """The home page's head links the posts feeds and the comments feed."""
    make_post()
    links = alternates(page_soup, client.get(reverse("posts:index")))
    assert links == {
        reverse("posts:feed"): "application/rss+xml",
        reverse("posts:feed-atom"): "application/atom+xml",
        reverse("posts:comments-feed"): "application/rss+xml",
    }


def test_tag_and_post_pages_advertise_their_own_feeds(client, page_soup):
    """A tag page links its tag's feeds; a post page links its comment feed; all parse."""
    post = make_post(tags=["ClinicSpeak"])
    make_comment(post)
    tag_links = alternates(page_soup, client.get(reverse("posts:tag", args=["clinicspeak"])))
    assert reverse("posts:tag-feed", args=["clinicspeak"]) in tag_links
    assert reverse("posts:tag-feed-atom", args=["clinicspeak"]) in tag_links
    post_links = alternates(page_soup, client.get(post.get_absolute_url()))
    assert post_links[post.get_comments_feed_url()] == "application/rss+xml"
    for url in [*tag_links, *post_links]:
        feed, _ = parse(client, url)
        assert feed.entries, url
