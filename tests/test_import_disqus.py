"""import_disqus: Disqus comments onto the posts their threads link to."""

import gzip
import io
import zipfile
from pathlib import Path

import pytest
from django.core import serializers
from django.core.management import CommandError, call_command

from comments.models import Comment
from posts.models import OriginalURL, Post
from tests.factories import make_post

DATA = Path(__file__).resolve().parent / "data"
EXPORT = DATA / "disqus.xml"
GOOD_NEWS = "good-news-alemtuzumab-gets-a-first-line-license-in-europe"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def seed_posts():
    call_command("loaddata", "fixtures/seed.json", verbosity=0)


def run(*args) -> str:
    out = io.StringIO()
    call_command("import_disqus", *map(str, args), stdout=out)
    return out.getvalue()


def disqus_rows(slug) -> list[tuple]:
    comments = Post.objects.get(slug=slug).comments.filter(import_ref__startswith="disqus:")
    return [(c.level, c.status, c.author_name) for c in comments.order_by("tree_id", "lft")]


def test_threads_match_posts_by_original_url_and_permalink():
    """A blogspot link finds its post through an original URL; a new-site link directly."""
    report = run(EXPORT)
    assert disqus_rows(GOOD_NEWS) == [
        (0, "approved", "Reader One"),
        (1, "approved", "Prof G"),
        (2, "approved", "Guest"),
        (3, "removed", "Deleter"),
        (0, "spam", "Spammer"),
    ]
    assert disqus_rows("alemtuzumab-replay") == [(0, "pending", "Late")]
    assert "Comments: 6 created (1 pending, 3 approved, 1 spam, 1 removed)" in report
    assert "Posts: 0 created, 0 updated, 0 unchanged, 2 receiving comments only" in report


def test_comment_text_author_and_ip(client):
    """Disqus HTML keeps its link as a commenter types one; scripts are dropped."""
    run(EXPORT)
    first = Comment.objects.get(import_ref="disqus:profgmsblog/9001")
    assert first.body == (
        'First Disqus comment, with <a href="https://example.org/study">a study</a>.'
        "\n\nВторой абзац."
    )
    assert (first.author_email, first.ip_address) == ("reader@example.org", "192.0.2.44")
    post = Post.objects.get(slug=GOOD_NEWS)
    html = client.get(post.get_absolute_url()).content.decode()
    assert "Two levels down." in html and "alert(1)" not in html and "Cheap pills" not in html


def test_reimport_changes_nothing():
    """A second run finds every comment by its Disqus id and writes nothing."""
    run(EXPORT)
    before = serializers.serialize("json", Comment.objects.order_by("pk"))
    assert "0 created (none), 0 updated, 6 unchanged" in run(EXPORT)
    assert serializers.serialize("json", Comment.objects.order_by("pk")) == before


def test_dry_run_writes_nothing():
    """--dry-run reports the comments per status and leaves the database alone."""
    count = Comment.objects.count()
    report = run(EXPORT, "--dry-run")
    assert "Comments: 6 would be created (1 pending, 3 approved, 1 spam, 1 removed)" in report
    assert Comment.objects.count() == count


def test_thread_matching_no_post_is_refused_or_skipped():
    """Comments on a page that is not a post stop the import, or with --skip-bad are listed."""
    count = Comment.objects.count()
    with pytest.raises(CommandError, match=r"disqus-unmatched\.xml:29: thread 300 .*no post"):
        run(DATA / "disqus-unmatched.xml")
    assert Comment.objects.count() == count
    report = run(DATA / "disqus-unmatched.xml", "--skip-bad")
    assert "Skipped 1 bad item (--skip-bad):" in report and "disqus-unmatched.xml:29" in report
    assert Comment.objects.count() == count + 6


def test_not_a_disqus_file_is_refused():
    """A WordPress export given to import_disqus is refused."""
    with pytest.raises(CommandError, match="not a Disqus export"):
        run(DATA / "wxr-basic.xml")


VARIANTS = DATA / "disqus-variants.xml"


@pytest.fixture
def chinese_slug_post():
    post = make_post(title="研究", slug="yan-jiu")
    OriginalURL.objects.create(post=post, url="https://ms-selfie.blog/2015/01/%E7%A0%94%E7%A9%B6/")
    return post


def test_thread_links_match_whatever_their_escapes_scheme_www_and_slash(chinese_slug_post):
    """%e7 and %E7, http and https, www. or not, a trailing slash or not: the same page."""
    run(VARIANTS, "--skip-bad")
    assert [c.author_name for c in chinese_slug_post.comments.all()] == ["Traveller"]


def test_comments_of_a_deleted_thread_are_kept_but_never_public(client, chinese_slug_post):
    """A thread Disqus marks deleted keeps its comments, removed: no reader sees them."""
    run(VARIANTS, "--skip-bad")
    comment = Comment.objects.get(import_ref="disqus:profgmsblog/9501")
    assert comment.status == "removed"
    post = Post.objects.get(slug="alemtuzumab-replay")
    assert "Marmoset" not in client.get(post.get_absolute_url()).content.decode()


def test_each_bad_comment_says_what_is_wrong(chinese_slug_post):
    """No date, an unknown thread, no id: each message names its own problem."""
    with pytest.raises(CommandError) as caught:
        run(VARIANTS)
    message = str(caught.value)
    assert "disqus-variants.xml:39: comment 9502: no valid createdAt" in message
    assert "disqus-variants.xml:47: comment 9503: its thread 999 is not in the file" in message
    assert "disqus-variants.xml:54: comment (no dsq:id): no dsq:id" in message
    assert message.endswith("Nothing was imported (--skip-bad leaves bad items out).")


def test_a_compressed_export_is_read_and_an_archive_is_refused(tmp_path):
    """Disqus sends its export gzipped: it is read as it is. A ZIP archive is refused with
    what to do."""
    packed = tmp_path / "export.xml.gz"
    packed.write_bytes(gzip.compress(EXPORT.read_bytes()))
    assert "Comments: 6 created" in run(packed)
    archive = tmp_path / "takeout.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("export.xml", EXPORT.read_text())
    with pytest.raises(CommandError, match=r"takeout\.zip: a ZIP archive, not an export"):
        run(archive)
