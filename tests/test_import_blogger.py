"""import_blogger: a Blogger Atom export into posts, labels as tags and comment threads."""

import io
from pathlib import Path

import pytest
from django.core import serializers
from django.core.management import CommandError, call_command

from comments.models import Comment
from posts.models import OriginalURL, Post

DATA = Path(__file__).resolve().parent / "data"
EXPORT = DATA / "blogger.xml"
BLOG = "tag:blogger.com,1999:blog-777"

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command("import_blogger", *map(str, args), stdout=out)
    return out.getvalue()


def snapshot() -> str:
    rows = [*Post.objects.order_by("pk"), *Comment.objects.order_by("pk")]
    return serializers.serialize("json", rows + list(OriginalURL.objects.order_by("pk")))


def test_posts_labels_and_old_address():
    """A post keeps its title, date, author and labels; its blogspot address redirects."""
    report = run(EXPORT)
    post = Post.objects.get(import_ref=f"{BLOG}.post-1001")
    assert post.title == "Good news: alemtuzumab gets a first-line license"
    assert post.get_absolute_url() == "/2013/06/28/good-news-alemtuzumab-gets-first-line/"
    assert post.author.name == "Prof G" and post.status == "published"
    assert sorted(post.tags.names()) == ["MSBlog", "Ocrelizumab"]
    assert list(post.original_urls.values_list("url", flat=True)) == [
        "http://multiple-sclerosis-research.blogspot.com/2013/06/"
        "good-news-alemtuzumab-gets-first-line.html"
    ]
    assert "Not imported, by design: 1 settings, 1 template" in report


def test_draft_via_app_draft_is_hidden(client):
    """app:control/app:draft=yes makes a draft no reader can open."""
    run(EXPORT)
    draft = Post.objects.get(import_ref=f"{BLOG}.post-1002")
    assert draft.status == "draft" and draft.slug == "unpublished-thoughts"
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get("/tag/draftlabel/").status_code == 404


def test_replies_nest_and_removed_comments_stay_removed(client):
    """Replies hang under their parents three deep; a removed comment is not shown."""
    run(EXPORT)
    post = Post.objects.get(import_ref=f"{BLOG}.post-1001")
    rows = [(c.level, c.status, c.author_name) for c in post.comments.order_by("tree_id", "lft")]
    assert rows == [
        (0, "approved", "Anonymous"),
        (1, "approved", "Prof G"),
        (2, "approved", "Αλέξανδρος"),
        (0, "removed", "Gone"),
    ]
    first = post.comments.get(import_ref=f"{BLOG}.post-2001")
    assert first.body == "Great news! Is it for everyone?\n\nAsking for a friend."
    assert first.author_email == ""  # Blogger's noreply address is not the reader's
    html = client.get(post.get_absolute_url()).content.decode()
    assert "Ευχαριστώ" in html and "removed by the author" not in html
    bold = post.comments.get(body__startswith="Re: everyone")
    assert bold.body == "Re: everyone – no, only <b>relapsing</b> MS."
    assert "only <b>relapsing</b> MS." in html


def test_hostile_markup_is_removed(client):
    """Scripts, event handlers and javascript: links do not survive; italics do."""
    run(EXPORT)
    post = Post.objects.get(import_ref=f"{BLOG}.post-1001")
    page = client.get(post.get_absolute_url()).content.decode()
    html = page.split("<main", 1)[1]  # the content; the site's own script is in <head>
    assert "<i>Ça va?</i>" in html and "Today is a historic day.<br>Really." in html
    for bad in ("<script", "alert(", "onclick", "javascript:"):
        assert bad not in html


def test_reimport_changes_nothing_and_dry_run_writes_nothing():
    """A dry run writes nothing; a second import leaves every row as it was."""
    report = run(EXPORT, "--dry-run")
    assert not Post.objects.exists()
    assert "Comments: 5 would be created (4 approved, 1 removed)" in report
    run(EXPORT)
    before = snapshot()
    assert "Posts: 0 created, 0 updated, 3 unchanged" in run(EXPORT)
    assert snapshot() == before


def test_missing_parent_and_malformed_file_are_refused(tmp_path):
    """A reply to a comment not in the file, or a truncated file, names file and line."""
    with pytest.raises(
        CommandError, match=r"blogger-orphan\.xml:73: comment 2003 .*not in the file"
    ):
        run(DATA / "blogger-orphan.xml")
    truncated = tmp_path / "truncated.xml"
    truncated.write_bytes(EXPORT.read_bytes()[:3000])
    with pytest.raises(CommandError, match=r"truncated\.xml:\d+: malformed XML"):
        run(truncated)
    assert not Post.objects.exists() and not Comment.objects.exists()


def test_skip_bad_imports_the_rest():
    """--skip-bad leaves the orphaned reply out, lists it, and imports everything else."""
    report = run(DATA / "blogger-orphan.xml", "--skip-bad")
    assert "blogger-orphan.xml:73: comment 2003" in report
    assert Comment.objects.count() == 3


TAKEOUT = DATA / "blogger-takeout.xml"
BLOG_2018 = "tag:blogger.com,1999:blog-4242"


def test_the_newer_export_format_is_imported():
    """Entries typed with blogger:type (Google Takeout's feed.atom) come in: posts,
    drafts, a page, threaded comments in every status, labels and old addresses."""
    report = run(TAKEOUT, "--blog-url", "https://ms-research.blogspot.com/")
    post = Post.objects.get(import_ref=f"{BLOG_2018}.post-5001")
    assert (post.title, post.status, post.slug) == (
        "Vitamin D and relapses: what the new cohort says",
        "published",
        "vitamin-d-and-relapses",
    )
    assert sorted(post.tags.names()) == ["ResearchSpeak", "Vitamin D"]
    assert list(post.original_urls.values_list("url", flat=True)) == [
        "https://ms-research.blogspot.com/2012/03/vitamin-d-and-relapses.html"
    ]
    rows = [(c.level, c.status, c.author_name) for c in post.comments.order_by("tree_id", "lft")]
    assert rows == [
        (0, "approved", "Anonymous"),
        (1, "approved", "Prof G"),
        (2, "approved", "Ruth"),
        (0, "pending", "Waiting Reader"),
        (0, "spam", "Cheap Pills"),
        (0, "removed", "Changed Mind"),
    ]
    assert Post.objects.get(import_ref=f"{BLOG_2018}.post-5002").status == "draft"
    assert Post.objects.get(import_ref=f"{BLOG_2018}.post-5003").status == "draft"
    about = Post.objects.get(import_ref=f"{BLOG_2018}.page-6001")
    assert (about.kind, about.get_absolute_url()) == ("page", "/about/")
    assert about.comments.get().body == "Useful blog, thank you."
    assert "Posts: 4 created" in report


def test_the_newer_format_old_addresses_redirect(client):
    """With the blog's address given, /2012/03/….html and /p/about.html lead home."""
    run(TAKEOUT, "--blog-url", "https://ms-research.blogspot.com")
    response = client.get("/2012/03/vitamin-d-and-relapses.html")
    assert (response.status_code, response["Location"]) == (
        301,
        "/2012/03/14/vitamin-d-and-relapses/",
    )
    assert client.get("/p/about.html")["Location"] == "/about/"


def test_a_feed_with_no_blogger_entries_is_refused(tmp_path):
    """An Atom feed whose entries have neither a kind nor a blogger:type is not an export:
    refused with a non-zero exit, not "imported" with nothing in it."""
    feed = tmp_path / "feed.atom"
    feed.write_text(
        "<feed xmlns='http://www.w3.org/2005/Atom'><title>x</title><entry><id>1</id>"
        "<title>A</title><published>2020-01-01T00:00:00Z</published></entry></feed>"
    )
    with pytest.raises(CommandError, match=r"feed\.atom: not a Blogger export: no entry"):
        run(feed)


def test_a_page_keeps_its_comments(client):
    """Blogger names a page's comments' target "….post-N" for the page "….page-N"."""
    run(EXPORT)
    about = Post.objects.get(import_ref=f"{BLOG}.page-5")
    assert (about.kind, about.get_absolute_url()) == ("page", "/about/")
    assert [c.body for c in about.comments.all()] == ["Who writes this blog?"]
    assert "Who writes this blog?" in client.get("/about/").content.decode()
