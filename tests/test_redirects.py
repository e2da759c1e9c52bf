"""Old WordPress and Blogspot links redirect permanently to the new permalinks."""

import io
import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from comments.models import Comment
from posts.models import OriginalURL, Post
from tests.factories import local_datetime, make_comment, make_post

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
SOURCES = json.loads((ROOT / "fixtures" / "seeds" / "sources.json").read_text())["seeds"]
SEED_URLS = [(s["slug"], url) for s in SOURCES for url in [s["url"], *s.get("legacy_urls", [])]]


@pytest.fixture
def seeds():
    call_command("loaddata", str(ROOT / "fixtures" / "seed.json"), verbosity=0)


@pytest.mark.parametrize(("slug", "url"), SEED_URLS, ids=[u for _, u in SEED_URLS])
def test_every_seed_address_leads_to_its_post(client, seeds, slug, url):
    """Each original or legacy URL's path answers with the post: at once when it already
    is the permalink, else through one permanent redirect."""
    post = Post.objects.get(slug=slug)
    path = urlsplit(url).path
    response = client.get(path)
    if path == post.get_absolute_url():
        assert response.status_code == 200
    else:
        assert response.status_code == 301
        assert response["Location"] == post.get_absolute_url()
        assert client.get(response["Location"]).status_code == 200


def test_examples_from_the_issue(client, seeds):
    """The two old shapes named in the issue land on their posts."""
    response = client.get("/2020/05/alemtuzumab-replay/")
    assert (response.status_code, response["Location"]) == (301, "/2020/05/01/alemtuzumab-replay/")
    response = client.get("/2013/06/good-news-alemtuzumab-gets-first-line.html")
    assert response.status_code == 301
    assert response["Location"] == (
        "/2013/06/28/good-news-alemtuzumab-gets-a-first-line-license-in-europe/"
    )


def test_old_reply_link_keeps_its_query_and_opens_the_reply_form(client, page_soup, seeds):
    """?replytocom=ID on an old address survives the redirect and opens that reply form."""
    post = Post.objects.get(slug="alemtuzumab-replay")
    comment = Comment.objects.public().filter(post=post).first()
    response = client.get(f"/2020/05/alemtuzumab-replay/?replytocom={comment.pk}")
    assert response.status_code == 301
    assert response["Location"] == f"{post.get_absolute_url()}?replytocom={comment.pk}"
    soup = page_soup(client.get(response["Location"]))
    assert soup.select_one("#reply-title").get_text().startswith("Leave a Reply to ")
    assert soup.select_one("#commentform input[name=parent]")["value"] == str(comment.pk)


def test_path_without_its_trailing_slash_still_redirects(client, seeds):
    """/2020/05/alemtuzumab-replay (no slash) finds the same post."""
    response = client.get("/2020/05/alemtuzumab-replay")
    assert (response.status_code, response["Location"]) == (301, "/2020/05/01/alemtuzumab-replay/")


def test_old_address_of_a_draft_is_still_404(client):
    """Only published posts are redirected to; a draft's old address reveals nothing."""
    draft = make_post(status="draft", slug="secret")
    OriginalURL.objects.create(post=draft, url="https://ms-selfie.blog/2019/01/secret/")
    assert client.get("/2019/01/secret/").status_code == 404


def test_an_old_address_with_a_query_matches_on_it(client):
    """A stored ?p=77 address matches with that query only, which is not carried on;
    WordPress's plain permalink "/?p=123" leads to its post although "/" exists."""
    post = make_post(published_at=local_datetime(2015, 4, 2))
    OriginalURL.objects.create(post=post, url="http://multiple-sclerosis-research.org/?p=123")
    response = client.get("/", {"p": "123"})
    assert (response.status_code, response["Location"]) == (301, post.get_absolute_url())
    OriginalURL.objects.create(post=post, url="http://old.example.org/archives/?p=77")
    response = client.get("/archives/", {"p": "77"})
    assert (response.status_code, response["Location"]) == (301, post.get_absolute_url())
    assert client.get("/archives/", {"p": "78"}).status_code == 404


def test_unknown_paths_and_posts_stay_404(client):
    """Addresses no post ever had, and non-GET requests, are left alone."""
    post = make_post()
    OriginalURL.objects.create(post=post, url="https://ms-selfie.blog/2010/01/old-slug/")
    assert client.get("/2010/01/other-slug/").status_code == 404
    assert client.post("/2010/01/old-slug/").status_code == 404
    assert client.get("/2010/01/old-slug/").status_code == 301


def test_path_is_derived_by_the_database(client):
    """OriginalURL.path is the URL from its first slash after the host, query included."""
    post = make_post()
    cases = {
        "https://ms-selfie.blog/2014/02/08/x/": "/2014/02/08/x/",
        "http://multiple-sclerosis-research.blogspot.com/2013/06/y.html": "/2013/06/y.html",
        "https://example.org/archives/?p=1": "/archives/?p=1",
        "https://example.org": "/",
    }
    for url in cases:
        OriginalURL.objects.create(post=post, url=url)
    assert dict(OriginalURL.objects.values_list("url", "path")) == cases


def test_redirect_lookup_is_one_indexed_query(client):
    """A 404 costs one query to look for an old address, whatever the number of them."""
    post = make_post()
    for n in range(50):
        OriginalURL.objects.create(post=post, url=f"https://ms-selfie.blog/2012/01/old-{n}/")
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/2012/01/old-7/")
    assert response.status_code == 301
    lookups = [q["sql"] for q in queries.captured_queries if "posts_originalurl" in q["sql"]]
    assert len(lookups) == 1
    assert '"posts_originalurl"."path" IN' in lookups[0]
    plan = OriginalURL.objects.filter(path="/2012/01/old-7/").explain()
    if connection.vendor == "sqlite":  # PostgreSQL may rightly prefer a scan of 50 rows
        assert "posts_originalurl_path" in plan


def test_comment_anchor_after_redirect_is_a_public_comment(client, page_soup):
    """The post the old link leads to shows its approved comments."""
    post = make_post(published_at=local_datetime(2020, 5, 1))
    OriginalURL.objects.create(post=post, url="https://multiple-sclerosis-research.org/2020/05/z/")
    comment = make_comment(post)
    response = client.get("/2020/05/z/", follow=True)
    assert response.redirect_chain == [(post.get_absolute_url(), 301)]
    assert page_soup(response).select_one(f"#comment-{comment.pk}") is not None


DATA = Path(__file__).resolve().parent / "data"


def test_plain_permalinks_redirect_to_the_post(client):
    """/?p=ID of the old site answers 301 to the new permalink, carrying other parameters;
    an id no published post has is a 404, not the home page."""
    call_command("import_wxr", str(DATA / "wxr-https.xml"), stdout=io.StringIO())
    post = Post.objects.get(slug="reading-a-trial-report")
    response = client.get("/?p=4101")
    assert (response.status_code, response["Location"]) == (301, post.get_absolute_url())
    reply = post.comments.first()
    response = client.get(f"/?p=4101&replytocom={reply.pk}")
    assert response["Location"] == f"{post.get_absolute_url()}?replytocom={reply.pk}"
    assert client.get("/?p=999999").status_code == 404
    assert client.get("/").status_code == 200
