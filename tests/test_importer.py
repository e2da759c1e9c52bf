"""The import_pages command: seeds into posts, tags and comment trees."""

import io
import json
import re
import shutil
from pathlib import Path

import pytest
from django.core import serializers
from django.core.management import CommandError, call_command
from taggit.models import Tag, TaggedItem

from comments.models import Comment
from posts.models import Author, OriginalURL, Post, RelatedEntry

SEEDS = Path(__file__).resolve().parent.parent / "fixtures" / "seeds"

pytestmark = pytest.mark.django_db


def run_import(*args) -> str:
    out = io.StringIO()
    call_command("import_pages", *args, stdout=out)
    return out.getvalue()


def snapshot() -> str:
    """Every imported row, serialised, to compare database states."""
    models = [Author, Post, OriginalURL, RelatedEntry, Tag, TaggedItem, Comment]
    return serializers.serialize("json", [o for m in models for o in m.objects.order_by("pk")])


def tree_shape(post) -> list[tuple[int, str]]:
    return [(c.level, c.body[:30]) for c in post.comments.order_by("tree_id", "lft")]


def test_imports_all_five_seeds():
    """Five posts, their comments approved, with dates, slugs, URLs and the missing title."""
    run_import()
    posts = {p.slug: p for p in Post.objects.all()}
    assert len(posts) == 5
    replay = posts["alemtuzumab-replay"]
    assert replay.title == "Alemtuzumab replay"
    assert replay.get_absolute_url() == "/2020/05/01/alemtuzumab-replay/"
    assert posts["alemtuzumab-gets-a-license-in-mexico"].get_absolute_url() == (
        "/2014/02/08/alemtuzumab-gets-a-license-in-mexico/"
    )
    counts = {slug: p.comments.public().count() for slug, p in posts.items()}
    assert sorted(counts.values()) == [3, 5, 11, 24, 30]
    assert set(Comment.objects.values_list("status", flat=True)) == {"approved"}
    assert OriginalURL.objects.filter(
        url="http://multiple-sclerosis-research.blogspot.com/2013/06/good-news-alemtuzumab-gets-first-line.html"
    ).exists()


def test_hashtags_become_tags():
    """Hashtags in the lede become the post's tags, shared across posts."""
    run_import()
    post = Post.objects.get(slug="genzymespeak-derisking-alemtuzumab-is-it-too-late")
    assert sorted(post.tags.names()) == ["GenzymeSpeak", "MSBlog", "ResearchSpeak"]
    assert Tag.objects.get(name="MSBlog").taggit_taggeditem_items.count() == 4


def test_nesting_matches_the_pages():
    """Replies sit under the right comment, at the right depth, in page order."""
    run_import()
    post = Post.objects.get(slug="clinicspeak-when-to-say-no-to-alemtuzumab-treatment")
    shape = tree_shape(post)
    assert shape[:7] == [
        (0, "I don't think mitoxantrone-uri"),
        (0, "Prof G:\n\nYou mention 10 years "),
        (1, "The 10 year cut-off is based o"),
        (1, "Does that mean your basing you"),
        (1, 'Re: "Does that mean your basin'),
        (1, "Yes, I will prescribe alemtuzu"),
        (0, "Could you say whether trials a"),
    ]
    stand_in = Comment.objects.get(placeholder=True)
    assert stand_in.level == 1 and stand_in.get_children().get().level == 2


def test_author_bio_and_related_block():
    """The author box fills the author's bio; the related block is kept in order."""
    run_import()
    assert Author.objects.get().bio.startswith("Professor of Neurology")
    post = Post.objects.get(slug="good-news-alemtuzumab-gets-a-first-line-license-in-europe")
    assert post.related_entries.count() == 5
    assert post.related_entries.first().text.startswith("Flatlining MS disease activity")


def test_reimport_changes_nothing():
    """Running the import again leaves every row exactly as it was."""
    run_import()
    before = snapshot()
    report = run_import()
    assert snapshot() == before
    assert "Posts: 0 created, 0 updated, 5 unchanged" in report
    assert "Comments: 0 created (none), 0 updated, 74 unchanged" in report


def test_report_names_what_was_found():
    """The report gives per-page counts and the gap to the page's own count."""
    report = run_import()
    assert "page says 8 comments: +3 not in the capture" in report
    assert "comments found 11 (6 top-level, 5 replies" in report
    assert "stand-ins for missing parents 1" in report


def test_malformed_page_is_refused_with_nothing_written(tmp_path):
    """One broken page among good ones: file and line named, no row written."""
    for seed in SEEDS.iterdir():
        shutil.copy(seed, tmp_path / seed.name)
    broken = tmp_path / "004_02598ab91015d76d.txt"
    lines = broken.read_text().splitlines()
    lines[40] = "   • three-space indent"
    broken.write_text("\n".join(lines))
    with pytest.raises(CommandError) as caught:
        run_import(*sorted(tmp_path.glob("*.txt")))
    assert "004_02598ab91015d76d.txt:41: odd indentation" in str(caught.value)
    assert not Post.objects.exists() and not Comment.objects.exists()


def test_bad_sources_file_is_refused(tmp_path):
    """A sources.json that is not JSON is reported with its line."""
    shutil.copy(SEEDS / "000_aaf460e6cb237fa5.txt", tmp_path)
    (tmp_path / "sources.json").write_text('{\n  "seeds": [\n    oops\n  ]\n}\n')
    with pytest.raises(CommandError, match=r"sources.json:3: invalid JSON"):
        run_import(str(tmp_path / "000_aaf460e6cb237fa5.txt"))
    assert not Post.objects.exists()


def test_title_mismatch_is_refused(tmp_path):
    """A capture whose title line disagrees with sources.json is refused at line 1."""
    shutil.copy(SEEDS / "000_aaf460e6cb237fa5.txt", tmp_path)
    sources = json.loads((SEEDS / "sources.json").read_text())
    sources["seeds"][0]["title"] = "Something else"
    (tmp_path / "sources.json").write_text(json.dumps(sources))
    with pytest.raises(CommandError, match=r"000_aaf460e6cb237fa5.txt:1: the title line"):
        run_import(str(tmp_path / "000_aaf460e6cb237fa5.txt"))
    assert not Post.objects.exists()


def test_failure_in_a_later_page_rolls_back_earlier_pages(tmp_path):
    """A write-time conflict on the last page undoes the pages imported before it."""
    for seed in SEEDS.iterdir():
        shutil.copy(seed, tmp_path / seed.name)
    sources = json.loads((SEEDS / "sources.json").read_text())
    # Give the last page an old URL that already belongs to the first page.
    sources["seeds"][4]["legacy_urls"] = [sources["seeds"][0]["url"]]
    (tmp_path / "sources.json").write_text(json.dumps(sources))
    with pytest.raises(CommandError, match="already belongs to another post"):
        run_import(*sorted(tmp_path.glob("*.txt")))
    assert not Post.objects.exists() and not Comment.objects.exists()


def test_reimport_over_the_loaded_fixture_changes_nothing():
    """A site set up from fixtures/seed.json (as make run does), with a comment moderated
    since: running import_pages over it leaves every row as it was."""
    call_command("loaddata", "fixtures/seed.json", verbosity=0)
    removed = Comment.objects.filter(parent=None).first()
    Comment.objects.filter(pk=removed.pk).update(status="removed")
    before = snapshot()
    report = run_import()
    assert snapshot() == before
    assert not re.search(r"\b[1-9]\d* created", report), report
