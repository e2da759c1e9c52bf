"""Captured pages of every era of the blog (Blogspot and WordPress themes, 2010-2020):
each imports keeping every word; only the page's chrome is dropped, by documented rule."""

import io
import json
import re
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from comments.models import Comment
from posts.models import Post, SourceText

pytestmark = pytest.mark.django_db

CAPTURES = Path(__file__).resolve().parent / "data" / "captures"
SOURCES = {s["file"]: s for s in json.loads((CAPTURES / "sources.json").read_text())["seeds"]}
# Lines each capture may lose: the page's chrome, never the post's or readers' words.
CHROME = {
    "101_blogspot_weekday.txt": [
        "Friday, 10 May 2013",
        "4 comments:",
        "ReplyDelete",
        "Replies",
        "Delete",
        "Add comment",
        "Load more...",
        "Please note that all comments are moderated and may take a few days to appear. "
        "Comments that name other people's treatment are not published.",
    ],
    "102_author_box_empty.txt": ["About the author", "By MouseDoctor"],
    "103_cut_mid_comment.txt": ["4 thoughts on “Relapse or pseudo-relapse?”"],
    "106_no_body.txt": ["2 thoughts on “Open thread: your questions for the autumn meeting”"],
    "110_numbered_hanging.txt": ["2 thoughts on “Ten years of the blog”"],
}
# Each capture's thread: (depth, first words) in page order.
THREADS = {
    "101_blogspot_weekday.txt": [
        (0, "What dose do you take"),
        (1, "Four thousand units a day"),
        (1, "Is that measured against"),
        (0, "Our GP will not test"),
    ],
    "102_author_box_empty.txt": [
        (0, "Thank you for saying this"),
        (0, "Mice are not small people."),
        (1, "Nor are people large mice."),
    ],
    "103_cut_mid_comment.txt": [
        (0, "This happened to me last"),
        (1, "That is exactly why we wrote"),
        (0, "How long should I wait"),
    ],
    "104_cut_mid_body.txt": [],
    "105_no_title.txt": [(0, "Good to hear; I was told")],
    "106_no_body.txt": [(0, "Will there be news"), (0, "Please ask about fatigue")],
    "107_static_page.txt": [(0, "Thank you for all the work")],
    "108_indented_paragraphs.txt": [
        (0, "Pacing changed my life."),
        (1, "Thank you for sharing your"),
        (0, "Sleep is the hard part"),
    ],
    "109_mojibake.txt": [(0, "£1000 is more than my rent")],
    "110_numbered_hanging.txt": [
        (0, "I found the blog the week"),
        (1, "That is why we keep going."),
        (0, "Congratulations on ten years."),
    ],
}


def words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+(?:[’'][^\W_]+)*", text)


@pytest.fixture(scope="module")
def repaired_text():
    """The mojibake capture as it was written, before the wrong encoding garbled it."""
    return (CAPTURES / "109_mojibake.txt").read_text().encode("cp1250").decode("utf-8")


def run(*files, sources=CAPTURES / "sources.json") -> str:
    out = io.StringIO()
    call_command("import_pages", *map(str, files), "--sources", str(sources), stdout=out)
    return out.getvalue()


def stored_text(post: Post) -> str:
    """Everything a reader of the imported post can read, as text."""
    parts = [post.title, post.lede, re.sub(r"<[^>]+>", " ", post.body), post.coi]
    parts += [re.sub(r"<[^>]+>", " ", post.postscript), post.author.name, post.author.bio]
    parts += [c.body for c in post.comments.all()]
    return "\n".join(parts).replace("&#x27;", "'").replace("&nbsp;", " ").replace("&amp;", "&")


@pytest.mark.parametrize("name", sorted(THREADS))
def test_every_capture_imports_keeping_every_word(name, repaired_text):
    """Each word of the capture, less its chrome lines, is in the post, its author or its
    comments; the thread has the page's shape."""
    run(CAPTURES / name)
    source = SOURCES[name]
    post = Post.objects.get(import_ref=source["url"])
    text = repaired_text if name == "109_mojibake.txt" else (CAPTURES / name).read_text()
    kept = [line for line in text.splitlines() if line.strip() not in CHROME.get(name, [])]
    # Comment numbers and bullets, and the "CoI:" label, are layout, not words.
    kept = [re.sub(r"^\s*(?:\d+\.|•)\s|^CoI:", "", line) for line in kept]
    missing = set(words("\n".join(kept))) - set(words(stored_text(post)))
    assert not missing, missing
    thread = [
        (c.level, c.body[: len(start)])
        for c, (_, start) in zip(
            post.comments.order_by("tree_id", "lft"), THREADS[name], strict=False
        )
    ]
    assert thread == THREADS[name]
    assert post.comments.count() == len(THREADS[name])


def test_blogspot_era_pages_read_their_date_line_and_comment_chrome():
    """The weekday date line above the title agrees with sources.json; "N comments:",
    ReplyDelete and the moderation footer are chrome; replies nest under "Replies"."""
    report = run(CAPTURES / "101_blogspot_weekday.txt")
    post = Post.objects.get(slug="vitamin-d-the-dose-question")
    assert post.title == "Vitamin D: the dose question"
    assert post.lede == "How much vitamin D should MSers take? #MSBlog #VitaminD"
    assert "page says 4 comments: matches" in report


def test_an_empty_author_box_and_another_authors_byline():
    """ "About the author" with no name or bio is left out; "By MouseDoctor" names the
    author; a body sentence starting "By the end" stays in the body."""
    run(CAPTURES / "102_author_box_empty.txt")
    post = Post.objects.get(slug="the-mouse-model-is-not-the-disease")
    assert (post.author.name, post.author.bio) == ("MouseDoctor", "")
    assert "By the end of this year" in post.body


def test_cut_off_captures_keep_what_they_have_and_say_so():
    """A capture that stops mid-comment or mid-body is imported as far as it goes."""
    report = run(CAPTURES / "103_cut_mid_comment.txt", CAPTURES / "104_cut_mid_body.txt")
    last = Comment.objects.get(body__startswith="How long should I wait")
    assert last.body.endswith("and I never know whether the")
    assert "page says 4 comments: +1 not in the capture" in report
    assert Post.objects.get(slug="smoking-and-progression").body.endswith("even after the</p>")


def test_a_static_page_is_a_page(client):
    """A capture whose address has no date is a WordPress page, served at its path."""
    run(CAPTURES / "107_static_page.txt")
    page = Post.objects.get(slug="about-this-blog")
    assert (page.kind, page.get_absolute_url()) == ("page", "/about-this-blog/")
    assert "written by a team of MS researchers" in client.get("/about-this-blog/").content.decode()


def test_mojibake_is_repaired_and_the_capture_kept(repaired_text):
    """ "ÂŁ1000" is "£1000" again (ftfy), and the capture as it was is kept with the post."""
    report = run(CAPTURES / "109_mojibake.txt")
    post = Post.objects.get(slug="drug-prices")
    assert post.title == "Drug prices: £1000 a month is not “value”"
    assert "£1000 a month – that’s £12,000 a year" in post.body
    original = SourceText.objects.get(post=post)
    assert original.text == (CAPTURES / "109_mojibake.txt").read_text()
    assert "ÂŁ1000" in original.text
    assert "repaired mojibake" in report
    before = list(SourceText.objects.values_list("pk", "text"))
    run(CAPTURES / "109_mojibake.txt")
    assert list(SourceText.objects.values_list("pk", "text")) == before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.pop("published"), r'sources\.json:11: seed .* has no "published"'),
        (lambda s: s.update(published=None), r"sources\.json:11: seed .*\"published\" must be"),
        (lambda s: s.pop("title"), r'sources\.json:11: seed .* has no "title"'),
    ],
)
def test_a_bad_sources_entry_is_refused_with_file_and_line(tmp_path, change, message):
    """No date or no title in sources.json: refused with its line, nothing written."""
    data = json.loads((CAPTURES / "sources.json").read_text())
    change(data["seeds"][1])
    (tmp_path / "sources.json").write_text(json.dumps(data, indent=2))
    shutil.copy(CAPTURES / "102_author_box_empty.txt", tmp_path)
    with pytest.raises(CommandError, match=message):
        run(tmp_path / "102_author_box_empty.txt", sources=tmp_path / "sources.json")
    assert not Post.objects.exists()


def test_the_capture_as_it_was_is_shown_to_editors(admin_client):
    """The post's admin page shows the source the import repaired, read only."""
    run(CAPTURES / "109_mojibake.txt")
    post = Post.objects.get(slug="drug-prices")
    page = admin_client.get(f"/admin/posts/post/{post.pk}/change/").content.decode()
    assert "repaired mojibake" in page and "ÂŁ1000" in page
