"""Parse a plain-text capture of a WordPress post page into its parts.

A capture is what a reader saw: title, standfirst (lede), body, "CoI:" line, optional
postscript, "Other relevant posts of interest" block, author box, the comment thread and
page chrome. Two thread layouts exist:

* classic: a "N thoughts on “Title”" header, then comments marked "1.", "2." … indented
  two spaces per level;
* newer: no header; comments marked "•", two spaces per level, with a comment's further
  paragraphs indented two spaces deeper than its marker.

The parser never guesses silently: anything it cannot place raises CaptureError with the
line number, and anything it places by rule (a reply whose parent is missing) is reported
in ``warnings``.
"""

import datetime
import re
import unicodedata
from dataclasses import dataclass, field

BULLET = "•"
MARKER_RE = re.compile(r"^(?P<marker>•|\d+\.)\s+(?P<text>.*)$")
HEADER_RE = re.compile(
    r"^(?P<count>\d+|One) (?:thoughts?|responses?|comments?|replies) on [“\"](?P<title>.*)[”\"]$"
)
COI_RE = re.compile(r"^CoI:\s*(?P<text>.*)$")
RELATED_HEADER = "Other relevant posts of interest:"
AUTHOR_BOX = "About the author"
BYLINE_RE = re.compile(r"^By (?P<name>\S.{0,80})$")
CHROME_RE = re.compile(
    r"^(Leave a Reply.*|Discover more from .*|Subscribe now to keep reading.*|Continue reading"
    r"|%d bloggers like this:?|Recent Posts|Recent Comments|Share this:?|Like this:?|Like"
    r" Loading\.\.\.)$"
)
RELATED_DATE_FORMAT = "%d %b %Y"
MAX_LEDE_LENGTH = 300


class CaptureError(ValueError):
    """A capture that cannot be read; ``line`` is 1-based (0 for the whole file)."""

    def __init__(self, line: int, message: str):
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line
        self.message = message


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
class CapturedComment:
    line: int
    depth: int
    paragraphs: list[str] = field(default_factory=list)
    children: list["CapturedComment"] = field(default_factory=list)
    # True for a stand-in: the capture has replies to a comment it does not contain.
    missing: bool = False

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


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


@dataclass(frozen=True)
class Line:
    number: int
    indent: int
    text: str  # without indentation or trailing whitespace

    @property
    def blank(self) -> bool:
        return not self.text


def decode_capture(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CaptureError(line, f"not valid UTF-8 (byte {data[exc.start]:#04x})") from None


def split_lines(text: str) -> list[Line]:
    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        raw = raw.rstrip()
        bad = next((ch for ch in raw if is_forbidden_control(ch)), None)
        if bad is not None:
            raise CaptureError(number, f"control character U+{ord(bad):04X} is not allowed")
        stripped = raw.lstrip(" ")
        if stripped.startswith("\t"):
            raise CaptureError(number, "indentation must be spaces, not tabs")
        lines.append(Line(number, len(raw) - len(stripped), stripped))
    return lines


def is_forbidden_control(ch: str) -> bool:
    return ch != "\t" and unicodedata.category(ch) == "Cc"


def parse_capture(text: str, *, has_title: bool = True) -> CapturedPage:
    lines = split_lines(text)
    if not any(not line.blank for line in lines):
        raise CaptureError(1, "the capture is empty")
    page = CapturedPage()
    content, comment_lines = split_comment_section(lines, page)
    position = 0
    if has_title:
        position = skip_blank(content, position)
        page.title = content[position].text
        if content[position].indent:
            raise CaptureError(content[position].number, "the title line must not be indented")
        position += 1
    paragraphs = group_blocks(content[position:])
    take_lede(page, paragraphs)
    sort_page_blocks(page, paragraphs)
    page.comments = parse_comments(comment_lines, page)
    if page.layout == "classic" and page.title and page.declared_title != page.title:
        page.warnings.append(f"the comment header names {page.declared_title!r}, not the title")
    return page


def skip_blank(lines: list[Line], position: int) -> int:
    while position < len(lines) and lines[position].blank:
        position += 1
    return position


def split_comment_section(lines: list[Line], page: CapturedPage):
    """Cut the page into (content lines, comment lines), dropping chrome after the thread."""
    header_at = next(
        (i for i, line in enumerate(lines) if not line.indent and HEADER_RE.match(line.text)),
        None,
    )
    if header_at is not None:
        match = HEADER_RE.match(lines[header_at].text)
        count = match["count"]
        page.declared_count = 1 if count == "One" else int(count)
        page.declared_title = match["title"]
        page.layout = "classic"
        content, rest = lines[:header_at], lines[header_at + 1 :]
        comment_lines, tail = take_indented_run(rest)
        read_trailing_chrome(tail, page)
        return content, comment_lines

    end = len(lines)
    tail_start = end
    # Walk back over trailing chrome and blank lines, then over the indented thread.
    while tail_start > 0 and (lines[tail_start - 1].blank or is_chrome(lines[tail_start - 1])):
        tail_start -= 1
    thread_start = tail_start
    while thread_start > 0 and (lines[thread_start - 1].blank or lines[thread_start - 1].indent):
        thread_start -= 1
    first = skip_blank(lines, thread_start)
    if first < tail_start and starts_thread(lines[first]):
        page.layout = "threaded"
        read_trailing_chrome(lines[tail_start:], page)
        return lines[:thread_start], lines[thread_start:tail_start]
    read_trailing_chrome(lines[tail_start:], page)
    return lines[:tail_start], []


def starts_thread(line: Line) -> bool:
    match = MARKER_RE.match(line.text)
    return line.indent == 2 and match is not None and match["marker"] == BULLET


def is_chrome(line: Line) -> bool:
    if line.indent:
        return False
    return bool(CHROME_RE.match(line.text) or BYLINE_RE.match(line.text))


def take_indented_run(lines: list[Line]) -> tuple[list[Line], list[Line]]:
    for index, line in enumerate(lines):
        if not line.blank and not line.indent:
            return lines[:index], lines[index:]
    return lines, []


def read_trailing_chrome(lines: list[Line], page: CapturedPage) -> None:
    for line in lines:
        if line.blank or CHROME_RE.match(line.text):
            continue
        byline = BYLINE_RE.match(line.text)
        if byline and not line.indent:
            page.byline = byline["name"]
            continue
        raise CaptureError(line.number, f"unexpected text after the comments: {line.text[:60]!r}")


def group_blocks(lines: list[Line]) -> list[list[Line]]:
    """Split lines into runs separated by blank lines."""
    groups: list[list[Line]] = []
    current: list[Line] = []
    for line in lines:
        if line.blank:
            if current:
                groups.append(current)
                current = []
        else:
            current.append(line)
    if current:
        groups.append(current)
    return groups


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
    rest = [line for group in groups[index + 1 : index + 3] for line in group]
    if len(groups[index]) > 1 or len(rest) != 2:
        raise CaptureError(groups[index][0].number, "the author box needs a name and a bio")
    page.author_name, page.author_bio = rest[0].text, rest[1].text
    return index + 2


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


def parse_comments(lines: list[Line], page: CapturedPage) -> list[CapturedComment]:
    roots: list[CapturedComment] = []
    stack: list[CapturedComment] = []  # the open path, one entry per depth
    current: CapturedComment | None = None
    pending_lines: list[str] = []  # lines of the paragraph being read

    def close_paragraph():
        if current is not None and pending_lines:
            current.paragraphs.append("\n".join(pending_lines))
            pending_lines.clear()

    for line in lines:
        if line.blank:
            close_paragraph()
            continue
        marker = MARKER_RE.match(line.text)
        if marker and line.indent % 2 == 0 and line.indent >= 2 and opens_comment(marker, page):
            close_paragraph()
            depth = (line.indent - 2) // 2
            current = CapturedComment(line=line.number, depth=depth)
            attach(current, stack, roots, page)
            pending_lines.append(marker["text"])
        elif current is not None and line.indent > 2 + 2 * current.depth:
            pending_lines.append(line.text)
        elif line.indent % 2:
            raise CaptureError(line.number, f"odd indentation ({line.indent} spaces) in comments")
        else:
            raise CaptureError(
                line.number, f"text outside any comment in the thread: {line.text[:60]!r}"
            )
    close_paragraph()
    return roots


def opens_comment(marker: re.Match, page: CapturedPage) -> bool:
    # Each layout marks comments one way; the other marker inside a comment is its own
    # list, kept as text.
    is_bullet = marker["marker"] == BULLET
    return is_bullet if page.layout == "threaded" else not is_bullet


def attach(comment: CapturedComment, stack, roots, page: CapturedPage) -> None:
    depth = comment.depth
    del stack[depth:]
    while len(stack) < depth:
        missing = CapturedComment(line=comment.line, depth=len(stack), missing=True)
        page.warnings.append(
            f"line {comment.line}: reply at depth {depth} has no parent in the capture; "
            f"kept under a stand-in for the missing comment"
        )
        link(missing, stack, roots)
        stack.append(missing)
    link(comment, stack, roots)
    stack.append(comment)


def link(comment: CapturedComment, stack, roots) -> None:
    if comment.depth == 0:
        roots.append(comment)
    else:
        stack[comment.depth - 1].children.append(comment)
