"""The captured-page parser on the five seeds and on broken input."""

import json
import re
from pathlib import Path

import pytest

from posts.imports.capture import CaptureError, ListBlock, Paragraph, decode_capture, parse_capture

SEEDS = Path(__file__).resolve().parent.parent / "fixtures" / "seeds"
SOURCES = {s["file"]: s for s in json.loads((SEEDS / "sources.json").read_text())["seeds"]}

# Per seed: comments in the capture, top-level ones, stand-ins, the page's own count.
EXPECTED = {
    "000_aaf460e6cb237fa5.txt": (5, 2, 0, 8),
    "001_caafa2c5b08b6bde.txt": (24, 12, 0, 29),
    "002_6da8a061875fc053.txt": (30, 11, 0, 35),
    "003_062786c006a3df56.txt": (3, 2, 1, None),
    "004_02598ab91015d76d.txt": (11, 6, 0, None),
}
CHROME = (
    "Leave a Reply",
    "Discover more from",
    "Subscribe now",
    "Continue reading",
    "%d bloggers like this",
    "By Prof G",
    "Recent Posts",
    "Recent Comments",
    "About the author",
)


MARKER = re.compile(r"^(•|\d+\.)\s+")
RELATED_DATE = re.compile(r"^\d\d [A-Z][a-z]{2} \d{4}$")


def parse_seed(name):
    has_title = SOURCES[name]["title"] is not None
    return parse_capture(decode_capture((SEEDS / name).read_bytes()), has_title=has_title)


def all_text(page):
    blocks = [*page.body, *page.postscript]
    texts = [page.title or "", page.lede, page.coi, page.author_name, page.author_bio]
    texts += [
        b.text if isinstance(b, Paragraph) else " ".join(t for _, t in b.items) for b in blocks
    ]
    texts += [entry.text for entry in page.related]
    texts += [c.body for c in page.all_comments()]
    return "\n".join(texts)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_seed_comment_counts(name):
    """Each seed yields the comments visible on the page, and keeps the page's own count."""
    found, top_level, stand_ins, declared = EXPECTED[name]
    page = parse_seed(name)
    comments = list(page.all_comments())
    assert page.found_count == found
    assert len(page.comments) == top_level
    assert sum(c.missing for c in comments) == stand_ins
    assert page.declared_count == declared


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_seed_line_is_kept_and_chrome_dropped(name):
    """Every non-chrome line of the capture appears, whole, in exactly one parsed part."""
    page = parse_seed(name)
    text = all_text(page)
    for raw in (SEEDS / name).read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(CHROME) or line == "Prof G" or RELATED_DATE.match(line):
            continue
        if raw.startswith(" "):
            line = MARKER.sub("", line)
        if line.startswith(("CoI:", "Other relevant posts of interest")) or "thoughts on" in line:
            continue
        assert line in text, f"{name}: lost {line[:60]!r}"
    for chrome in CHROME:
        assert not re.search(rf"^{re.escape(chrome)}", text, re.MULTILINE)


def test_classic_layout_nesting():
    """Numbered comments indented two more spaces are replies to the comment above."""
    page = parse_seed("001_caafa2c5b08b6bde.txt")
    first = page.comments[0]
    assert first.body.startswith("This is a sad day.")
    assert [c.body[:20] for c in first.children] == [
        "A Dr Dre disciple I ",
        "MS is not an autoimm",
        "Well that's your opi",
        "Wow some fantastic n",
    ]
    assert page.layout == "classic"


def test_newer_layout_multi_paragraph_comments():
    """A bulleted comment keeps each of its paragraphs, and lines within one paragraph."""
    page = parse_seed("004_02598ab91015d76d.txt")
    analogy = page.comments[4]
    assert analogy.paragraphs[0].startswith('"Do you have any suggestions')
    assert len(analogy.paragraphs) == 4
    heather = analogy.children[0]
    assert heather.paragraphs == [
        "Excellent explanation Heather",
        "Question to the docs:\nWhen a CNS has the equivalent of 'physical damage to hard disk "
        "sectors'",
        "Is it possible that the brain will get worse or more worn out if you use the damaged "
        "areas?\nCould it be wiser to avoid stressing or overusing the CNS",
    ]
    assert page.layout == "threaded"


def test_author_box_and_byline_are_read():
    """The author box gives the author's name and bio; it is not body text."""
    page = parse_seed("004_02598ab91015d76d.txt")
    assert page.author_name == "Prof G"
    assert page.author_bio.startswith("Professor of Neurology, Barts & The London")
    assert page.byline == "Prof G"
    assert not any("Professor of Neurology" in b.text for b in page.body)


def test_missing_parent_gets_a_stand_in():
    """Seed 003's level-2 reply hangs under a stand-in at level 1, with a warning."""
    page = parse_seed("003_062786c006a3df56.txt")
    stand_in = page.comments[0].children[0]
    assert stand_in.missing and stand_in.paragraphs == []
    assert stand_in.children[0].body.startswith("Thanks Prof G. Great article.")
    assert page.warnings and "line 28" in page.warnings[0]


def test_lede_hashtags_related_block_and_postscript():
    """The lede carries hashtags; related posts and the P.S. are kept in their own parts."""
    related = parse_seed("001_caafa2c5b08b6bde.txt").related
    assert [e.date.isoformat() for e in related] == [
        "2013-06-25",
        "2013-06-20",
        "2013-06-12",
        "2013-06-17",
        "2013-06-14",
    ]
    assert related[0].text.startswith("Flatlining MS disease activity")
    page = parse_seed("002_6da8a061875fc053.txt")
    assert page.hashtags == ["GenzymeSpeak", "MSBlog", "ResearchSpeak"]
    assert page.coi == "multiple"
    assert page.postscript[0].text.startswith("P.S. #GenzymeSpeak")


def test_untitled_capture_starts_with_the_lede():
    """Without a title line, the first short line is the lede, not a title."""
    page = parse_seed("003_062786c006a3df56.txt")
    assert page.title is None
    assert page.lede.startswith("Sometimes it’s better the devil you know")


def test_lists_in_the_body_are_not_comments():
    """Bulleted and numbered lists before the CoI line stay in the body."""
    text = (
        "A title\n\nA lede #Tag\n\nIntro paragraph.\n\n  • first point\n  • second point\n"
        "    • nested point\n\n  1. step one\n  2. step two\n\nCoI: none\n\n"
        "  • A real comment\n\n    • A reply\n"
    )
    page = parse_capture(text)
    lists = [b for b in page.body if isinstance(b, ListBlock)]
    assert [b.ordered for b in lists] == [False, True]
    assert lists[0].items == ((0, "first point"), (0, "second point"), (1, "nested point"))
    assert page.found_count == 2
    assert page.comments[0].children[0].body == "A reply"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("", 1, "empty"),
        ("Title\n\nLede\n\nBody\x07 with a bell\n", 5, "control character"),
        ("Title\n\nBody\n\n2 thoughts on “Title”\n\n   1. odd indent\n", 7, "odd indentation"),
        ("Title\n\nBody\n\n1 thought on “Title”\n\n  1. ok\n\nStray words\n", 9, "unexpected"),
        ("Title\n\nOther relevant posts of interest:\n\nnot a date\nsome text\n", 5, "date"),
        ("Title\n\nBody\n\n3 thoughts on “Title”\n\n\tno tabs\n", 7, "tabs"),
    ],
)
def test_malformed_capture_names_the_line(text, line, message):
    """Broken input is refused with its line number and a reason."""
    with pytest.raises(CaptureError) as caught:
        parse_capture(text)
    assert caught.value.line == line
    assert message in str(caught.value)


def test_invalid_utf8_names_the_line():
    """Bytes that are not UTF-8 are reported with the line they sit on."""
    with pytest.raises(CaptureError, match="line 3: not valid UTF-8"):
        decode_capture(b"Title\n\nBad \xff byte\n")
