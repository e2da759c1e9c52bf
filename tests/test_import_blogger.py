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
    assert "Not imported, by design: 1 page, 1 settings, 1 template" in report


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
    assert "Comments: 4 would be created (3 approved, 1 removed)" in report
    run(EXPORT)
    before = snapshot()
    assert "Posts: 0 created, 0 updated, 2 unchanged" in run(EXPORT)
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
