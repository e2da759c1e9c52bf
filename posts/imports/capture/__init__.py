"""Parse a plain-text capture of a post page of the blog, of any era, into its parts.

A capture is what a reader saw: on Blogspot a weekday date line above the title
("Friday, 10 May 2013"); the title, standfirst (lede), body, "CoI:" line, optional
postscript, "Other relevant posts of interest" block, author box (which may be empty),
a byline ("By MouseDoctor"), the comment thread and page chrome. Two thread layouts exist:

* classic: a header ("N thoughts on “Title”", "N responses to …", or Blogspot's
  "N comments:"), then comments marked "1.", "2." … indented two spaces per level;
  Blogspot's "ReplyDelete", "Replies" and "Delete" between them, and its footer ("Add
  comment", "Please note that all comments are moderated…"), are chrome;
* newer: no header; comments marked "•", two spaces per level.

In both, a comment's further paragraphs are indented past its marker (to its text or
deeper), with or without a blank line before them: without one, the line is a line
break in the same paragraph. A capture may stop anywhere (mid-body, mid-comment): what
it holds is kept.

The parser never guesses silently: anything it cannot place raises CaptureError with the
line number, and anything it places by rule (a reply whose parent is missing) is reported
in ``warnings``.
"""

from posts.imports.capture.lines import (
    CaptureError,
    Line,
    decode_capture,
    group_blocks,
    skip_blank,
    split_lines,
)
from posts.imports.capture.page import (
    DATE_LINE_RE,
    CapturedPage,
    ListBlock,
    Paragraph,
    RelatedEntry,
    sort_page_blocks,
    take_lede,
)
from posts.imports.capture.thread import CapturedComment, parse_comments, split_comment_section

__all__ = [
    "CaptureError",
    "CapturedComment",
    "CapturedPage",
    "Line",
    "ListBlock",
    "Paragraph",
    "RelatedEntry",
    "decode_capture",
    "parse_capture",
]


def parse_capture(text: str, *, has_title: bool = True) -> CapturedPage:
    lines = split_lines(text)
    if not any(not line.blank for line in lines):
        raise CaptureError(1, "the capture is empty")
    page = CapturedPage()
    content, comment_lines = split_comment_section(lines, page)
    position = skip_blank(content, 0)
    if position < len(content) and DATE_LINE_RE.match(content[position].text):
        page.date_line = content[position].text
        position = skip_blank(content, position + 1)
    if has_title:
        if position >= len(content):
            raise CaptureError(
                1, 'no title line (set "title" to null in sources.json for a capture without one)'
            )
        page.title = content[position].text
        if content[position].indent:
            raise CaptureError(content[position].number, "the title line must not be indented")
        position += 1
    paragraphs = group_blocks(content[position:])
    take_lede(page, paragraphs)
    sort_page_blocks(page, paragraphs)
    page.comments = parse_comments(comment_lines, page)
    declared = page.declared_title
    if page.layout == "classic" and page.title and declared and declared != page.title:
        page.warnings.append(f"the comment header names {page.declared_title!r}, not the title")
    return page
