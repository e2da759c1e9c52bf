"""sitemap.xml and robots.txt."""

import datetime
import xml.etree.ElementTree as ET

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from tests.factories import local_datetime, make_author, make_post

pytestmark = pytest.mark.django_db

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
SITE = settings.SITE_URL  # absolute URLs never come from the request (msblog.siteurl)


def sitemap(client) -> dict[str, str | None]:
    """{path: lastmod} for every URL in the sitemap."""
    response = client.get(reverse("sitemap"))
    assert response.status_code == 200
    root = ET.fromstring(response.content)  # noqa: S314 -- our own output
    entries = {}
    for url in root.findall("s:url", NS):
        loc = url.find("s:loc", NS).text
        assert loc.startswith(SITE)
        lastmod = url.find("s:lastmod", NS)
        entries[loc.removeprefix(SITE)] = None if lastmod is None else lastmod.text
    return entries


def test_sitemap_lists_posts_tags_authors_and_archives(client):
    """Each published post with lastmod from updated_at, and the pages listing them."""
    author = make_author()
    post = make_post(
        author=author,
        tags=["ClinicSpeak"],
        published_at=local_datetime(2014, 2, 8),
        updated_at=local_datetime(2015, 3, 1),
    )
    entries = sitemap(client)
    assert entries == {
        "/": None,
        "/archive/": None,
        "/tags/": None,
        post.get_absolute_url(): "2015-03-01",
        "/tag/clinicspeak/": "2015-03-01",
        author.get_absolute_url(): "2015-03-01",
        "/2014/": "2015-03-01",
        "/2014/02/": "2015-03-01",
    }


def test_sitemap_leaves_out_drafts_and_scheduled_posts(client):
    """Drafts, scheduled posts and the tags, authors and months only they have are absent."""
    make_post(published_at=local_datetime(2014, 2, 8), tags=["MSBlog"])
    draft_author = make_author()
    draft = make_post(
        status="draft",
        tags=["Secret"],
        author=draft_author,
        published_at=local_datetime(2014, 5, 1),
    )
    future = make_post(published_at=timezone.now() + datetime.timedelta(days=3), tags=["Later"])
    entries = sitemap(client)
    for hidden in (
        draft.get_absolute_url(),
        future.get_absolute_url(),
        "/tag/secret/",
        "/tag/later/",
        draft_author.get_absolute_url(),
        "/2014/05/",
    ):
        assert hidden not in entries
    assert "/tag/msblog/" in entries


def test_sitemap_tag_lastmod_ignores_drafts(client):
    """A tag's lastmod is its latest published post's, even if a draft changed later."""
    make_post(tags=["MSBlog"], updated_at=local_datetime(2016, 1, 1))
    make_post(tags=["MSBlog"], status="draft", updated_at=local_datetime(2020, 1, 1))
    assert sitemap(client)["/tag/msblog/"] == "2016-01-01"


def test_robots_txt_points_at_the_sitemap_and_keeps_robots_out_of_admin(client):
    """robots.txt disallows the admin and search, and names the sitemap's absolute URL."""
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert "User-agent: *" in lines
    assert "Disallow: /admin/" in lines
    assert "Disallow: /search/" in lines
    assert f"Sitemap: {SITE}/sitemap.xml" in lines
