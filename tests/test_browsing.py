"""Ways to browse: the list of months, the list of tags, archive navigation in WordPress's
order, one search box, and hashtags shown once in summaries."""

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import local_datetime, make_comment, make_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def posts_2014():
    """Published posts in Feb (3) and Aug (1) 2014 and Jan 2015, a draft in Mar 2014 and a
    scheduled post in 2099, tagged."""
    return {
        "feb8": make_post(published_at=local_datetime(2014, 2, 8), tags=["MSBlog", "Trials"]),
        "feb9": make_post(published_at=local_datetime(2014, 2, 9), tags=["MSBlog"]),
        "feb20": make_post(published_at=local_datetime(2014, 2, 20), tags=["Névrologie"]),
        "aug": make_post(published_at=local_datetime(2014, 8, 1), tags=["MSBlog"]),
        "draft": make_post(
            status="draft", published_at=local_datetime(2014, 3, 3), tags=["DraftOnly"]
        ),
        "next_year": make_post(published_at=local_datetime(2015, 1, 5), tags=["Trials"]),
        "scheduled": make_post(published_at=local_datetime(2099, 1, 1), tags=["Future"]),
    }


def test_month_list_counts_published_posts_newest_first(client, page_soup, posts_2014):
    """/archive/ lists each month with published posts, its count, newest first, by year."""
    response = client.get(reverse("posts:archives"))
    assert response.status_code == 200
    soup = page_soup(response)
    assert soup.select_one("h1").get_text() == "Archives"
    months = [
        (li.select_one("a")["href"], li.get_text(" ", strip=True))
        for li in soup.select(".month-list li")
    ]
    assert months == [
        ("/2015/01/", "January 2015 (1)"),
        ("/2014/08/", "August 2014 (1)"),
        ("/2014/02/", "February 2014 (3)"),
    ]
    years = [(a["href"], a.get_text()) for a in soup.select(".archive-year-title a")]
    assert years == [("/2015/", "2015"), ("/2014/", "2014")]
    assert "4 posts" in soup.select(".archive-year")[1].get_text()


def test_tag_list_counts_published_posts(client, page_soup, posts_2014):
    """/tags/ lists every tag used on a published post, by name, with its count."""
    soup = page_soup(client.get(reverse("posts:tags")))
    assert soup.select_one("h1").get_text() == "Tags"
    tags = [(a["href"], a.get_text(" ", strip=True)) for a in soup.select(".tag-index a")]
    assert tags == [
        ("/tag/msblog/", "#MSBlog (3)"),
        ("/tag/n%C3%A9vrologie/", "#Névrologie (1)"),
        ("/tag/trials/", "#Trials (2)"),
    ]


def test_empty_site_has_empty_lists(client, page_soup):
    """With nothing published, the lists say so (and are not errors)."""
    make_post(status="draft", tags=["Hidden"])
    for name in ("posts:archives", "posts:tags"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert "Nothing has been published yet." in response.content.decode()
        assert "Hidden" not in response.content.decode()


@pytest.mark.parametrize("url", ["/", "/tag/msblog/", "/2014/", "/search/?q=x"])
def test_every_page_links_the_lists(client, page_soup, posts_2014, url):
    """The sidebar and the footer link the month and tag lists."""
    soup = page_soup(client.get(url))
    for where in ("aside.site-sidebar", "footer.site-footer"):
        links = [a["href"] for a in soup.select_one(where).select("a")]
        assert "/archive/" in links and "/tags/" in links, where


def test_sitemap_lists_the_month_and_tag_lists(client):
    """sitemap.xml names /archive/ and /tags/."""
    make_post(tags=["MSBlog"])
    body = client.get(reverse("sitemap")).content.decode()
    assert f"<loc>{settings.SITE_URL}/archive/</loc>" in body
    assert f"<loc>{settings.SITE_URL}/tags/</loc>" in body


def nav_links(soup, selector):
    return [(a.get_text(" ", strip=True), a["href"]) for a in soup.select(f"{selector} a")]


def test_month_archive_has_older_on_the_left_newer_on_the_right(client, page_soup, posts_2014):
    """As in WordPress: the older month comes first (left), the newer last (right)."""
    soup = page_soup(client.get("/2014/08/"))
    assert nav_links(soup, ".archive-nav") == [
        ("← February 2014", "/2014/02/"),
        ("January 2015 →", "/2015/01/"),
    ]
    assert soup.select_one(".archive-nav a[rel=prev]")["href"] == "/2014/02/"


def test_day_and_year_archives_have_older_on_the_left(client, page_soup, posts_2014):
    """Days and years follow the same order as months."""
    soup = page_soup(client.get("/2014/02/09/"))
    assert nav_links(soup, ".archive-nav") == [
        ("← 8 February 2014", "/2014/02/08/"),
        ("20 February 2014 →", "/2014/02/20/"),
    ]
    soup = page_soup(client.get("/2015/"))
    assert nav_links(soup, ".archive-nav") == [("← 2014", "/2014/")]


def test_pages_of_posts_have_older_on_the_left(client, page_soup, settings):
    """Paging through posts: "← Older posts" first, "Newer posts →" last, as in WordPress."""
    for day in range(1, 26):
        make_post(published_at=local_datetime(2014, 2, day))
    soup = page_soup(client.get("/?page=2"))
    assert nav_links(soup, "nav.pagination") == [
        ("← Older posts", "?page=3"),
        ("Newer posts →", "?page=1"),
    ]
    soup = page_soup(client.get("/2014/02/?page=2"))
    assert [text for text, _ in nav_links(soup, "nav.pagination:not(.archive-nav)")] == [
        "← Older posts",
        "Newer posts →",
    ]


def test_search_page_has_one_search_box_holding_the_query(client, page_soup):
    """The search page's only search box is the header's, filled with the query."""
    make_post(title="Alemtuzumab news")
    soup = page_soup(client.get(reverse("posts:search"), {"q": "alemtuzumab"}))
    boxes = soup.select("input[type=search]")
    assert len(boxes) == 1
    assert boxes[0]["value"] == "alemtuzumab"
    assert boxes[0].find_parent("header") is not None
    scopes = nav_links(soup, ".search-scopes")
    assert scopes == [
        ("Posts", "?q=alemtuzumab&scope=posts"),
        ("Comments", "?q=alemtuzumab&scope=comments"),
    ]
    assert soup.select_one(".search-scopes [aria-current]").get_text() == "Posts and comments"


def test_header_search_box_is_empty_elsewhere(client, page_soup):
    """Other pages' search box starts empty, so cached pages are the same for everyone."""
    soup = page_soup(client.get("/"))
    assert not soup.select_one("header input[type=search]").get("value")


def test_home_summary_shows_each_hashtag_once(client, page_soup):
    """A hashtag linked in the lede is not repeated as a tag pill; other tags still are."""
    post = make_post(lede="News on trials #MSBlog #ClinicSpeak", tags=["MSBlog", "ClinicSpeak"])
    post.tags.add("Alemtuzumab")
    make_comment(post)
    summary = page_soup(client.get("/")).select_one(".post-summary")
    links = [a["href"] for a in summary.select("a[rel=tag]")]
    assert sorted(links) == ["/tag/alemtuzumab/", "/tag/clinicspeak/", "/tag/msblog/"]
    assert [a.get_text() for a in summary.select(".tag-list a")] == ["#Alemtuzumab"]


def test_post_page_still_lists_every_tag(client, page_soup):
    """The post page's footer keeps the full tag list."""
    post = make_post(lede="Lede #MSBlog", tags=["MSBlog", "Trials"])
    soup = page_soup(client.get(post.get_absolute_url()))
    assert [a.get_text() for a in soup.select(".entry-footer .tag-list a")] == [
        "#MSBlog",
        "#Trials",
    ]
