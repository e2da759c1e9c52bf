"""WordPress pages (About, Contact…): served at their WordPress path with their comments,
in the sitemap, never in the home list or feeds, exported again."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from lxml import etree

from comments.models import Comment
from posts.models import Post
from tests.factories import comment_form_data

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent / "data"
WP = "{http://wordpress.org/export/1.2/}"


@pytest.fixture
def pages():
    out = io.StringIO()
    call_command("import_wxr", str(DATA / "wxr-pages.xml"), stdout=out)
    return out.getvalue()


def test_pages_are_served_at_their_wordpress_path(client, pages):
    """/about/, /about/our-team/ and /contact/ answer with the page and its approved
    comments, threaded; a held comment stays hidden."""
    about = client.get("/about/")
    assert about.status_code == 200
    html = about.content.decode()
    assert "This blog shares multiple sclerosis research" in html
    assert "Thank you for writing in plain words." in html and "That is the whole idea." in html
    assert "Wombat" not in html
    assert "Nurses, neurologists" in client.get("/about/our-team/").content.decode()
    assert client.get("/contact/").status_code == 200
    assert client.get("/about/nothing-here/").status_code == 404


def test_page_comments_are_imported_and_counted(pages):
    """Every comment on a page comes in, with its status, and the report counts them."""
    about = Post.objects.get(slug="about")
    assert [(c.level, c.status) for c in about.comments.order_by("tree_id", "lft")] == [
        (0, "approved"),
        (1, "approved"),
        (0, "pending"),
    ]
    assert "Comments: 3 created (1 pending, 2 approved)" in pages


def test_pages_stay_out_of_the_home_list_and_feeds_but_not_the_sitemap(client, pages):
    """Pages are not posts: not on the home page, archives or feeds; listed in the sitemap."""
    for url in ["/", "/feed/", "/2015/", "/2015/04/"]:
        text = client.get(url).content.decode()
        text = text.split("<main", 1)[-1].split("</main>", 1)[0]  # not the sidebar
        assert "This blog shares" not in text and ">About<" not in text, url
        assert "A post beside the pages" in text, url
    sitemap = client.get("/sitemap.xml").content.decode()
    assert f"{settings.SITE_URL}/about/</loc>" in sitemap
    assert f"{settings.SITE_URL}/about/our-team/</loc>" in sitemap


def test_old_page_links_redirect(client, pages):
    """?page_id= and ?p= short links of a page lead to it."""
    for link in ["/?page_id=11", "/?p=11"]:
        response = client.get(link)
        assert (response.status_code, response["Location"]) == (301, "/about/"), link


def test_a_reader_can_comment_on_a_page(client, pages):
    """A page with comments open takes comments like a post."""
    about = Post.objects.get(slug="about")
    response = client.post(
        reverse("comments:create", args=[about.pk]), comment_form_data(about, body="Hello page")
    )
    assert response.status_code == 302 and response["Location"].startswith("/about/#comment-")
    assert Comment.objects.filter(post=about, body="Hello page").exists()


def test_pages_are_exported_as_pages(tmp_path, pages, settings):
    """export_wxr writes pages with their type, parent and address."""
    settings.SITE_URL = "https://blog.example.org"
    path = tmp_path / "site.xml"
    call_command("export_wxr", "-o", str(path), stdout=io.StringIO())
    items = {i.findtext("title"): i for i in etree.parse(str(path)).getroot().iter("item")}
    team, about = items["Our team"], items["About"]
    assert team.findtext(f"{WP}post_type") == "page"
    assert team.findtext(f"{WP}post_parent") == about.findtext(f"{WP}post_id")
    assert team.findtext("link") == "https://blog.example.org/about/our-team/"
