"""Absolute URLs come from SITE_URL alone: a forged Host header never reaches a reader."""

import re
import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from django.urls import reverse

from comments import services
from tests.factories import comment_form_data, make_comment, make_post, make_staff

pytestmark = pytest.mark.django_db

SITE_URL = "https://blog.example.org"
FORGED_HOST = "127.0.0.1:6666"  # an allowed host, with a port Django does not check
# An absolute URL starts with a host ("https://…" in the form's help is an example, not one).
ABSOLUTE = re.compile(r"https?://[\w\[][^\s\"'<>]*")
# Schema and namespace URLs in feeds and the sitemap, not links to this site.
NAMESPACES = ("http://www.w3.org/", "http://www.sitemaps.org/", "http://purl.org/")


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE_URL


@pytest.fixture
def site():
    """A post with tags and an approved thread, and every cached surface's address."""
    post = make_post(title="Hosted post", tags=["Hosts"])
    first = make_comment(post, body="A public comment.")
    make_comment(post, parent=first, body="A public reply.")
    date = {"year": post.published_at.year, "month": f"{post.published_at.month:02d}"}
    paths = [
        "/",
        post.get_absolute_url(),
        f"{post.get_absolute_url()}?replytocom={first.pk}",
        reverse("posts:tag", args=["hosts"]),
        post.author.get_absolute_url(),
        reverse("posts:archive-year", args=[date["year"]]),
        reverse("posts:archive-month", args=[date["year"], date["month"]]),
        reverse("posts:feed"),
        reverse("posts:feed-atom"),
        reverse("posts:tag-feed", args=["hosts"]),
        reverse("posts:tag-feed-atom", args=["hosts"]),
        reverse("posts:comments-feed"),
        reverse("posts:comments-feed-atom"),
        reverse("posts:post-comments-feed", kwargs=post.permalink_kwargs()),
        reverse("posts:post-comments-feed-atom", kwargs=post.permalink_kwargs()),
        reverse("sitemap"),
        "/robots.txt",
    ]
    return post, first, paths


def links_to_this_site(content: str) -> list[str]:
    return [url for url in ABSOLUTE.findall(content) if not url.startswith(NAMESPACES)]


def assert_only_site_url(path: str, content: str) -> None:
    assert FORGED_HOST not in content, path
    assert "testserver" not in content, path  # the test client's own Host
    for url in links_to_this_site(content):
        assert url.startswith(f"{SITE_URL}/"), (path, url)


def test_forged_host_right_after_a_change_never_reaches_another_reader(site):
    """Right after a change, the first request to every cached page and feed carries a
    forged Host: that reader and the next see only SITE_URL's absolute URLs."""
    post, first, paths = site
    services.comment_set_status(comment=first, status="approved", actor=make_staff())  # no-op
    services.comment_create(post=post, body="A change.", user=make_staff("writer"))
    forged, reader = Client(HTTP_HOST=FORGED_HOST), Client()
    for path in paths:
        attacked = forged.get(path)
        assert attacked.status_code == 200, path
        assert_only_site_url(path, attacked.content.decode())
        served = reader.get(path)
        assert served.status_code == 200, path
        assert_only_site_url(path, served.content.decode())


def test_feeds_link_items_and_themselves_from_site_url(site, client):
    """Feed links, item links and guids, and the Atom self link all start with SITE_URL."""
    post, first, _ = site
    rss = client.get(reverse("posts:comments-feed"), HTTP_HOST=FORGED_HOST).content.decode()
    assert f"<link>{SITE_URL}/comments/{first.pk}/</link>" in rss
    assert f"<guid>{SITE_URL}/comments/{first.pk}/</guid>" in rss
    atom = client.get(reverse("posts:feed-atom"), HTTP_HOST=FORGED_HOST).content.decode()
    assert f'<link href="{SITE_URL}/feed/atom/" rel="self"/>' in atom
    assert f'<link href="{SITE_URL}{post.get_absolute_url()}" rel="alternate"/>' in atom


def test_sitemap_robots_and_canonical_link_use_site_url(site, client, page_soup):
    """The sitemap's locations, robots.txt's Sitemap line and a post's canonical link."""
    post, _, _ = site
    sitemap = client.get(reverse("sitemap"), HTTP_HOST=FORGED_HOST)
    root = ET.fromstring(sitemap.content)  # noqa: S314 -- our own output
    locations = [loc.text for loc in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert f"{SITE_URL}{post.get_absolute_url()}" in locations
    assert all(location.startswith(f"{SITE_URL}/") for location in locations)
    robots = client.get("/robots.txt", HTTP_HOST=FORGED_HOST).content.decode()
    assert f"Sitemap: {SITE_URL}/sitemap.xml" in robots.splitlines()
    page = page_soup(client.get(post.get_absolute_url(), HTTP_HOST=FORGED_HOST))
    assert page.select_one("link[rel=canonical]")["href"] == f"{SITE_URL}{post.get_absolute_url()}"


def test_emails_sent_during_a_forged_request_link_to_site_url(
    site, mailoutbox, django_capture_on_commit_callbacks
):
    """A comment posted with a forged Host mails moderators links to SITE_URL only."""
    post, _, _ = site
    make_staff("boss", superuser=True, email="boss@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        response = Client(HTTP_HOST=FORGED_HOST).post(
            reverse("comments:create", args=[post.pk]), comment_form_data(post, body="Hi.")
        )
    assert response.status_code == 302
    [mail] = mailoutbox
    assert links_to_this_site(mail.body)
    assert_only_site_url("moderation notice", mail.body)


def test_admin_view_on_site_links_to_site_url(site, client):
    """The admin's "View on site" goes to SITE_URL, not to the Host the admin was reached by."""
    post, first, _ = site
    client.force_login(make_staff("editor", superuser=True))
    for url, target in [
        (reverse("admin:posts_post_change", args=[post.pk]), post.get_absolute_url()),
        (reverse("admin:comments_comment_change", args=[first.pk]), first.get_absolute_url()),
    ]:
        page = client.get(url, HTTP_HOST=FORGED_HOST).content.decode()
        link = re.search(r'href="([^"]+)" class="viewsitelink"', page)[1]
        if link.startswith("/admin/"):  # Django's redirecting shortcut
            link = client.get(link, HTTP_HOST=FORGED_HOST)["Location"]
        assert link == f"{SITE_URL}{target}"
