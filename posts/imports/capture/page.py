"""The parts of a captured page around its thread: lede, body, CoI, postscript, related
posts, author box and byline."""

import datetime
import re
from dataclasses import dataclass, field

from posts.imports.capture.lines import (
    BULLET,
    BYLINE_RE,
    CHROME_RE,
    MARKER_RE,
    CaptureError,
    Line,
)
from posts.imports.capture.thread import CapturedComment

WEEKDAY = r"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day"
MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
# Blogspot's date header above a post: "Friday, 10 May 2013" or "Friday, May 10, 2013".
DATE_LINE_RE = re.compile(rf"^{WEEKDAY},? (?:\d{{1,2}} {MONTH}|{MONTH} \d{{1,2}}),? \d{{4}}$")
COI_RE = re.compile(r"^CoI:\s*(?P<text>.*)$")
RELATED_HEADER = "Other relevant posts of interest:"
AUTHOR_BOX = "About the author"
RELATED_DATE_FORMAT = "%d %b %Y"
MAX_LEDE_LENGTH = 300


@dataclass(frozen=True)
class Paragraph:
    line: int
    text: str  # the paragraph's lines joined by "\n"


@dataclass(frozen=True)
class ListBlock:
    line: int
    ordered: bool
    items: tuple[tuple[int, str], ...]  # (nesting level, text)


Block = Paragraph | ListBlock


@dataclass(frozen=True)
class RelatedEntry:
    line: int
    date: datetime.date
    text: str


@dataclass
class CapturedPage:
    title: str | None = None
    lede: str = ""
    body: list[Block] = field(default_factory=list)
    coi: str = ""
    postscript: list[Block] = field(default_factory=list)
    related: list[RelatedEntry] = field(default_factory=list)
    author_name: str = ""
    author_bio: str = ""
    byline: str = ""
    date_line: str = ""
    layout: str = "none"
    declared_count: int | None = None
    declared_title: str | None = None
    comments: list[CapturedComment] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def all_comments(self):
        for root in self.comments:
            yield from root.walk()

    @property
    def found_count(self) -> int:
        return sum(1 for c in self.all_comments() if not c.missing)

    @property
    def hashtags(self) -> list[str]:
        return list(dict.fromkeys(re.findall(r"#(\w+)", self.lede)))


def take_lede(page: CapturedPage, groups: list[list[Line]]) -> None:
    # The standfirst is the first paragraph when it is one short unindented line.
    if not groups:
        return
    first = groups[0]
    line = first[0]
    short = len(line.text) <= MAX_LEDE_LENGTH
    if len(first) == 1 and not line.indent and short and not is_section_start(line.text):
        page.lede = line.text
        groups.pop(0)


def is_section_start(text: str) -> bool:
    return bool(COI_RE.match(text)) or text in (RELATED_HEADER, AUTHOR_BOX)


def sort_page_blocks(page: CapturedPage, groups: list[list[Line]]) -> None:
    """Assign each group to body, CoI, postscript, related block or author box."""
    target = page.body
    index = 0
    while index < len(groups):
        group = groups[index]
        head = group[0]
        if not head.indent and COI_RE.match(head.text) and not page.coi:
            page.coi = COI_RE.match(head.text)["text"]
            if len(group) > 1:
                raise CaptureError(group[1].number, "the CoI statement must stand alone")
            target = page.postscript
        elif not head.indent and head.text == RELATED_HEADER:
            index = read_related(page, groups, index)
            target = page.postscript
        elif not head.indent and head.text == AUTHOR_BOX:
            index = read_author_box(page, groups, index)
            target = page.postscript
        elif not head.indent and (CHROME_RE.match(head.text) or BYLINE_RE.match(head.text)):
            if len(group) > 1:
                raise CaptureError(group[1].number, f"unexpected text after {head.text!r}")
            byline = BYLINE_RE.match(head.text)
            if byline:
                page.byline = byline["name"]
        else:
            target.extend(blocks_from_group(group))
        index += 1


def read_related(page: CapturedPage, groups: list[list[Line]], index: int) -> int:
    header = groups[index]
    entries = header[1:]
    if not entries and index + 1 < len(groups):
        index += 1
        entries = groups[index]
    if len(entries) % 2:
        raise CaptureError(entries[-1].number, "a related post needs a date line and a text line")
    for date_line, text_line in zip(entries[::2], entries[1::2], strict=True):
        try:
            date = datetime.datetime.strptime(date_line.text, RELATED_DATE_FORMAT).date()
        except ValueError:
            raise CaptureError(
                date_line.number, f"expected a date like '25 Jun 2013', got {date_line.text[:40]!r}"
            ) from None
        page.related.append(RelatedEntry(date_line.number, date, text_line.text))
    return index


def read_author_box(page: CapturedPage, groups: list[list[Line]], index: int) -> int:
    """The author box: a name line, then a bio paragraph; either may be missing (a
    theme that prints the heading alone). Returns the index of its last group."""
    if len(groups[index]) > 1:
        raise CaptureError(groups[index][1].number, "unexpected text after 'About the author'")
    following = [group for group in groups[index + 1 : index + 3]]
    if following and is_name(following[0]):
        page.author_name = following[0][0].text
        index += 1
        if len(following) > 1 and len(following[1]) == 1 and not is_section(following[1][0]):
            page.author_bio = following[1][0].text
            index += 1
    return index


def is_name(group: list[Line]) -> bool:
    line = group[0]
    return (
        len(group) == 1
        and not line.indent
        and len(line.text) <= 60
        and not line.text.endswith((".", "?", "!", ":"))
        and not is_section(line)
    )


def is_section(line: Line) -> bool:
    return bool(
        is_section_start(line.text) or CHROME_RE.match(line.text) or BYLINE_RE.match(line.text)
    )


def blocks_from_group(group: list[Line]) -> list[Block]:
    blocks: list[Block] = []
    paragraph: list[Line] = []
    items: list[tuple[int, str]] = []
    list_line, ordered = 0, False

    def flush_paragraph():
        if paragraph:
            blocks.append(Paragraph(paragraph[0].number, "\n".join(p.text for p in paragraph)))
            paragraph.clear()

    def flush_list():
        if items:
            blocks.append(ListBlock(list_line, ordered, tuple(items)))
            items.clear()

    for line in group:
        marker = MARKER_RE.match(line.text) if line.indent else None
        if marker:
            flush_paragraph()
            if not items:
                list_line, ordered = line.number, marker["marker"] != BULLET
            items.append((max(0, (line.indent - 2) // 2), marker["text"]))
        elif line.indent and items:
            level, text = items[-1]
            items[-1] = (level, f"{text}\n{line.text}")
        else:
            flush_list()
            paragraph.append(line)
    flush_paragraph()
    flush_list()
    return blocks
