"""The comment thread of a capture: where it starts and ends, and its comments nested
by indentation (two spaces per level)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from posts.imports.capture.lines import (
    BULLET,
    BYLINE_RE,
    CHROME_RE,
    MARKER_RE,
    CaptureError,
    Line,
    is_chrome,
    skip_blank,
)

if TYPE_CHECKING:
    from posts.imports.capture.page import CapturedPage

HEADER_RE = re.compile(
    r"^(?P<count>\d+|One|No) (?:thoughts?|responses?|comments?|replies)"
    r"(?: (?:on|to) [“\"](?P<title>.*)[”\"]|:)$",
    re.I,
)
# Links under each Blogspot comment, copied with it: never a reader's words.
THREAD_CHROME_RE = re.compile(r"^(?:Reply ?Delete|Reply|Delete|Replies)$")
# Blogspot's footer under the thread.
TRAILING_CHROME_RE = re.compile(
    r"^(?:Add comment|Load more\.\.\.|Post a Comment|Newer Post|Older Post|Home"
    r"|Subscribe to: Post Comments \(Atom\)|Please note that all comments are moderated.*)$"
)


@dataclass
class CapturedComment:
    line: int
    depth: int
    paragraphs: list[str] = field(default_factory=list)
    children: list[CapturedComment] = field(default_factory=list)
    # True for a stand-in: the capture has replies to a comment it does not contain.
    missing: bool = False

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


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


def take_indented_run(lines: list[Line]) -> tuple[list[Line], list[Line]]:
    for index, line in enumerate(lines):
        if not line.blank and not line.indent:
            return lines[:index], lines[index:]
    return lines, []


def read_trailing_chrome(lines: list[Line], page: CapturedPage) -> None:
    for line in lines:
        if line.blank or CHROME_RE.match(line.text) or TRAILING_CHROME_RE.match(line.text):
            continue
        byline = BYLINE_RE.match(line.text)
        if byline and not line.indent:
            page.byline = byline["name"]
            continue
        raise CaptureError(line.number, f"unexpected text after the comments: {line.text[:60]!r}")


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
        if line.blank or THREAD_CHROME_RE.match(line.text):
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
