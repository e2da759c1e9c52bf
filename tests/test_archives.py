"""Year, month and day archives and author pages: the home page's summaries, by period."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import local_datetime, make_author, make_comment, make_post

pytestmark = pytest.mark.django_db


def titles(page_soup, response):
    return [a.get_text() for a in page_soup(response).select(".post-summary .entry-title a")]


@pytest.fixture
def posts_2014():
    """Published posts in Feb and Aug 2014 and Jan 2015, plus a draft in Mar 2014."""
    return {
        "feb8": make_post(title="Feb 8", published_at=local_datetime(2014, 2, 8)),
        "feb8_late": make_post(title="Feb 8 late", published_at=local_datetime(2014, 2, 8, 20)),
        "feb20": make_post(title="Feb 20", published_at=local_datetime(2014, 2, 20)),
        "aug": make_post(title="Aug 1", published_at=local_datetime(2014, 8, 1)),
        "draft": make_post(
            title="Mar draft", status="draft", published_at=local_datetime(2014, 3, 3)
        ),
        "next_year": make_post(title="Jan 2015", published_at=local_datetime(2015, 1, 5)),
    }


def test_archive_urls_match_the_permalink_shape():
    """Archives live at /2014/, /2014/02/ and /2014/02/08/."""
    assert reverse("posts:archive-year", args=[2014]) == "/2014/"
    assert reverse("posts:archive-month", args=[2014, 2]) == "/2014/02/"
    assert reverse("posts:archive-day", args=[2014, 2, 8]) == "/2014/02/08/"


def test_year_archive_lists_the_years_published_posts(client, page_soup, posts_2014):
    """A year lists its published posts newest first, links its months, and its neighbour."""
    make_comment(posts_2014["aug"])
    make_comment(posts_2014["aug"], status="pending")
    response = client.get(reverse("posts:archive-year", args=[2014]))
    soup = page_soup(response)
    assert titles(page_soup, response) == ["Aug 1", "Feb 20", "Feb 8 late", "Feb 8"]
    assert soup.select_one("h1").get_text() == "Posts from 2014"
    months = [a["href"] for a in soup.select(".archive-periods a")]
    assert months == ["/2014/02/", "/2014/08/"]  # no March: it holds only a draft
    assert "1 comment" in soup.select(".post-summary")[0].get_text()
    assert [a["href"] for a in soup.select(".archive-nav a")] == ["/2015/"]


def test_month_archive_lists_the_months_posts(client, page_soup, posts_2014):
    """A month lists only its posts, and links the neighbouring months that have posts."""
    response = client.get(reverse("posts:archive-month", args=[2014, 2]))
    soup = page_soup(response)
    assert titles(page_soup, response) == ["Feb 20", "Feb 8 late", "Feb 8"]
    assert "February" in soup.select_one("h1").get_text()
    assert [a["href"] for a in soup.select(".archive-nav a")] == ["/2014/08/"]


def test_day_archive_lists_the_days_posts(client, page_soup, posts_2014):
    """A day lists the posts whose permalink carries that date."""
    response = client.get(reverse("posts:archive-day", args=[2014, 2, 8]))
    assert titles(page_soup, response) == ["Feb 8 late", "Feb 8"]
    links = [a["href"] for a in page_soup(response).select(".post-summary .entry-title a")]
    assert all(link.startswith("/2014/02/08/") for link in links)
    assert [a["href"] for a in page_soup(response).select(".archive-nav a")] == ["/2014/02/20/"]


@pytest.mark.parametrize(
    "url",
    [
        "/2014/03/",
        "/2014/03/03/",
        "/2013/",
        "/2019/05/",
        "/2014/02/09/",
        "/2014/13/",
        "/2014/02/30/",
    ],
)
def test_empty_or_draft_only_archives_are_404(client, posts_2014, url):
    """A period with nothing published, or only a draft, or no such date, is a 404."""
    assert client.get(url).status_code == 404


def test_archive_of_scheduled_posts_is_404(client):
    """A post scheduled for later does not open its period's archive early."""
    future = timezone.localtime() + datetime.timedelta(days=40)
    make_post(title="Later", published_at=future)
    url = reverse("posts:archive-month", args=[future.year, future.month])
    assert client.get(url).status_code == 404


def test_archives_are_paginated(client, page_soup):
    """Eleven posts in one month make two pages of ten."""
    for day in range(1, 12):
        make_post(title=f"Day {day:02d}", published_at=local_datetime(2016, 12, day))
    url = reverse("posts:archive-month", args=[2016, 12])
    first = client.get(url)
    assert len(titles(page_soup, first)) == 10
    assert page_soup(first).select_one(".pagination a[rel=next]")["href"] == "?page=2"
    second = client.get(url, {"page": 2})
    assert titles(page_soup, second) == ["Day 01"]
    assert "page 2" in page_soup(second).select_one("h1").get_text()


def test_author_page_shows_bio_and_published_posts(client, page_soup):
    """An author's page has their bio and their published posts only."""
    author = make_author("Prof G", bio="Neurologist at Barts.")
    make_post(title="Mine", author=author)
    make_post(title="My draft", author=author, status="draft")
    make_post(title="Someone else's")
    response = client.get(author.get_absolute_url())
    assert author.get_absolute_url() == f"/author/{author.slug}/"
    soup = page_soup(response)
    assert soup.select_one("h1").get_text() == "Posts by Prof G"
    assert soup.select_one(".author-bio").get_text() == "Neurologist at Barts."
    assert titles(page_soup, response) == ["Mine"]


def test_author_without_published_posts_is_404(client):
    """An author with only drafts, or no such author, has no page."""
    author = make_author()
    make_post(author=author, status="draft")
    assert client.get(author.get_absolute_url()).status_code == 404
    assert client.get(reverse("posts:author", args=["nobody"])).status_code == 404


def test_post_summaries_link_their_author(client, page_soup):
    """The byline on a summary leads to the author's page."""
    post = make_post()
    soup = page_soup(client.get(reverse("posts:index")))
    byline = soup.select_one(".post-summary a[rel=author]")
    assert byline["href"] == post.author.get_absolute_url()
    assert byline.get_text() == post.author.name
