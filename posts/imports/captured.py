"""Captured post pages (plain text, see posts.imports.capture) and their sources.json,
read into the neutral records every importer plans and applies.

Rules the captures cannot decide, chosen here:

* Dates come from sources.json. A date without a day ("2020-05") is published on the
  1st of that month; every post is published at 12:00 in the site's time zone.
* The one capture without a title gets it from sources.json, or failing that from its
  slug ("alemtuzumab-replay" -> "Alemtuzumab replay").
* Captures carry no comment authors or dates: comments are "Anonymous" and dated one
  minute apart after the post, in page order, so the thread keeps the page's order.
* A reply whose parent is not in the capture hangs under a stand-in comment (placeholder)
  at the parent's depth, shown as "missing from the archived page" and never counted.
* An imported comment's reference is the post URL plus its position in the thread
  ("…#comment-3.2"); re-importing the same capture therefore changes nothing.
* A capture whose address has no date ("/about-this-blog/", Blogspot's "/p/…") is a
  page, served at its slug.
* Blogspot's date line above the title is checked against sources.json (a note when
  they differ; sources.json wins).
* A capture read in the wrong encoding ("ÂŁ1000" for "£1000") is repaired with ftfy
  before it is parsed; the capture as it was is kept with the post (SourceText).
"""

import datetime
import json
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import ftfy
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from posts.imports.capture import (
    CapturedComment,
    CapturedPage,
    CaptureError,
    ListBlock,
    Paragraph,
    decode_capture,
    parse_capture,
)
from posts.imports.markup import sanitize_html
from posts.imports.records import (
    ParsedFile,
    PostFields,
    SourceComment,
    SourcePost,
    SourceRelated,
    refuse,
)

PUBLISH_HOUR = 12
# A post's address carries its date ("/2014/02/08/slug/", "/2013/06/slug.html"); a
# page's does not.
DATED_PATH = re.compile(r"/\d{4}/\d{2}/")
DATE_LINE_FORMATS = ("%A, %d %B %Y", "%A, %B %d, %Y", "%A %d %B %Y", "%A, %B %d %Y")


@dataclass(frozen=True)
class Source:
    """What sources.json says about one capture."""

    file: str
    url: str
    published_at: datetime.datetime
    slug: str
    title: str | None = None
    legacy_urls: tuple[str, ...] = ()

    @property
    def urls(self) -> tuple[str, ...]:
        return (self.url, *self.legacy_urls)


def publication_date(value) -> datetime.datetime:
    """ "2014-02-08" or "2014-02" (the 1st), at noon in the site's time zone."""
    if not isinstance(value, str):
        raise ValueError(f'"published" must be a date like "2014-02-08", not {value!r}')
    try:
        parts = [int(p) for p in value.split("-")]
        if len(parts) not in (2, 3):
            raise ValueError
        year, month, day = [*parts, 1][:3]
        moment = datetime.datetime(year, month, day, PUBLISH_HOUR)
    except ValueError:
        raise ValueError(f'"published" must be YYYY-MM-DD or YYYY-MM, not {value!r}') from None
    return timezone.make_aware(moment)


def entry_lines(text: str) -> list[int]:
    """The line on which each entry of the "seeds" list starts (the JSON is valid)."""
    decoder = json.JSONDecoder()
    key = text.find('"seeds"')
    position = text.find("[", key) + 1 if key >= 0 else -1
    lines = []
    while 0 < position < len(text):
        while position < len(text) and text[position] in " \t\r\n,":
            position += 1
        if position >= len(text) or text[position] == "]":
            break
        lines.append(text.count("\n", 0, position) + 1)
        _, position = decoder.raw_decode(text, position)
    return lines


def read_source(item, path: Path, line: int) -> Source:
    if not isinstance(item, dict):
        raise refuse(path, line, "each seed must be an object with file, url, published, slug")
    missing = [k for k in ("file", "url", "published", "slug", "title") if k not in item]
    if missing:
        names = ", ".join(f'"{name}"' for name in missing)
        hint = ' ("title": null when the capture has no title line)' if "title" in missing else ""
        raise refuse(path, line, f"seed {item.get('file', '')!r} has no {names}{hint}")
    for name in ("file", "url", "slug"):
        if not isinstance(item[name], str) or not item[name].strip():
            raise refuse(path, line, f'seed {item.get("file")!r}: "{name}" must be a text')
    title = item["title"]
    if title is not None and (not isinstance(title, str) or not title.strip()):
        raise refuse(path, line, f'seed {item["file"]!r}: "title" must be a text or null')
    legacy = item.get("legacy_urls", [])
    if not isinstance(legacy, list) or not all(isinstance(u, str) for u in legacy):
        raise refuse(path, line, f'seed {item["file"]!r}: "legacy_urls" must be a list of URLs')
    try:
        published_at = publication_date(item["published"])
    except ValueError as exc:
        raise refuse(path, line, f"seed {item['file']!r}: {exc}") from None
    return Source(
        file=item["file"],
        url=item["url"],
        published_at=published_at,
        slug=item["slug"],
        title=title,
        legacy_urls=tuple(legacy),
    )


def load_sources(path: Path) -> dict[str, Source]:
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise refuse(path, exc.lineno, f"invalid JSON: {exc.msg}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise refuse(path, 0, f"cannot read: {exc}") from None
    items = data.get("seeds") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise refuse(path, 1, 'no "seeds" listed')
    lines = entry_lines(text)
    sources = {}
    for index, item in enumerate(items):
        source = read_source(item, path, lines[index] if index < len(lines) else 0)
        sources[source.file] = source
    return sources


def read_page(path: Path, source: Source) -> tuple[CapturedPage, str, str]:
    """The parsed page, and when ftfy repaired the capture, the capture as it was and
    what was done ("" and "" otherwise)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise refuse(path, 0, f"cannot read: {exc.strerror or exc}") from None
    try:
        captured = decode_capture(data)
        text, steps = ftfy.fix_encoding_and_explain(captured)
        page = parse_capture(text, has_title=source.title is not None)
    except CaptureError as exc:
        raise refuse(path, exc.line, exc.message) from None
    if page.title is not None and source.title is not None and page.title != source.title:
        raise refuse(
            path, 1, f"the title line {page.title!r} differs from sources.json {source.title!r}"
        )
    if text == captured:
        return page, "", ""
    encodings = " then ".join(f"{step} {codec}" for step, codec in steps or ())
    return page, captured, f"repaired mojibake ({encodings or 'ftfy'})"


def parse_captured(paths: list[Path], sources_path: Path) -> list[ParsedFile]:
    """Every capture, read against sources.json; the first bad one stops the import."""
    sources = load_sources(sources_path)
    parsed = []
    for path in paths:
        source = sources.get(path.name)
        if source is None:
            raise refuse(path, 0, f"not listed in {sources_path}")
        page, original, repair = read_page(path, source)
        records = page_records(path, source, page)
        if original:
            records.posts[0].originals[repair] = original
            records.notes.append(f"{repair}; the capture as it was is kept with the post")
        parsed.append(records)
    return parsed


def page_records(path: Path, source: Source, page: CapturedPage) -> ParsedFile:
    parsed = ParsedFile(path)
    fields = PostFields(
        title=source.title or page.title or source.slug.replace("-", " ").capitalize(),
        slug=source.slug,
        author_name=page.author_name or page.byline,
        author_bio=page.author_bio,
        lede=page.lede,
        # Stored in the form the post HTML cleaner gives (see posts.html), as by every
        # importer, so an export read back in is the same row.
        body=sanitize_html(blocks_to_html(page.body)),
        coi=page.coi,
        postscript=sanitize_html(blocks_to_html(page.postscript)),
        status="published",
        kind="post" if DATED_PATH.search(urlsplit(source.url).path) else "page",
        published_at=source.published_at,
        updated_at=source.published_at,
        tags=[(tag, "") for tag in page.hashtags],
        urls=list(source.urls),
        related=[
            SourceRelated(position=n, published_on=entry.date, text=entry.text)
            for n, entry in enumerate(page.related, start=1)
        ],
    )
    post = SourcePost(ref=source.url, line=1, label=path.name, path=path, fields=fields)
    post.comments = page_comments(page, source)
    parsed.posts.append(post)
    parsed.notes.extend(page_notes(page))
    parsed.notes.extend(date_line_note(page, source))
    return parsed


def page_comments(page: CapturedPage, source: Source) -> list[SourceComment]:
    """Every comment in page order, each a minute after the one before it."""
    comments: list[SourceComment] = []

    def visit(node: CapturedComment, parent_ref: str | None, position: str) -> None:
        ref = f"{source.url}#comment-{position}"
        comments.append(
            SourceComment(
                ref=ref,
                line=node.line,
                label=f"comment {position}",
                parent_ref=parent_ref,
                author_name="" if node.missing else "Anonymous",
                body=node.body,
                status="approved",
                created_at=source.published_at + datetime.timedelta(minutes=len(comments) + 1),
                placeholder=node.missing,
            )
        )
        for index, child in enumerate(node.children, start=1):
            visit(child, ref, f"{position}.{index}")

    for index, root in enumerate(page.comments, start=1):
        visit(root, None, str(index))
    return comments


def date_line_note(page: CapturedPage, source: Source) -> list[str]:
    """Blogspot's "Friday, 10 May 2013" above the title, checked against sources.json."""
    for layout in DATE_LINE_FORMATS:
        try:
            day = datetime.datetime.strptime(page.date_line, layout).date()
        except ValueError:
            continue
        if day != source.published_at.date():
            return [f"the date line {page.date_line!r} differs from sources.json; its date is used"]
        return []
    return []


def page_notes(page: CapturedPage) -> list[str]:
    comments = [c for c in page.all_comments() if not c.missing]
    stand_ins = sum(1 for c in page.all_comments() if c.missing)
    top = sum(1 for c in comments if c.depth == 0)
    deepest = max((c.depth for c in comments), default=0)
    paragraphs = sum(isinstance(b, Paragraph) for b in page.body)
    lists = sum(isinstance(b, ListBlock) for b in page.body)
    notes = [
        f"layout {page.layout}; body {paragraphs} paragraphs, {lists} lists; "
        f"CoI {'yes' if page.coi else 'no'}; postscript {len(page.postscript)} blocks; "
        f"related posts {len(page.related)}; tags {', '.join(page.hashtags) or 'none'}",
        f"comments found {len(comments)} ({top} top-level, {len(comments) - top} replies, "
        f"deepest level {deepest}); stand-ins for missing parents {stand_ins}",
    ]
    if page.declared_count is not None:
        difference = page.declared_count - len(comments)
        note = "matches" if difference == 0 else f"{difference:+d} not in the capture"
        notes.append(f"page says {page.declared_count} comments: {note}")
    notes.extend(page.warnings)
    return notes


def blocks_to_html(blocks) -> str:
    return "\n".join(block_to_html(block) for block in blocks)


def block_to_html(block) -> str:
    if isinstance(block, Paragraph):
        return format_html("<p>{}</p>", lines_to_html(block.text))
    tag = "ol" if block.ordered else "ul"
    return list_to_html(tag, list(block.items))


def lines_to_html(text: str) -> str:
    return format_html_join("<br>\n", "{}", ((line,) for line in text.split("\n")))


def list_to_html(tag: str, items: list[tuple[int, str]]) -> str:
    # Items carry their nesting level; a deeper item opens a list inside the previous one.
    html, depth = [f"<{tag}>"], 0
    for index, (level, text) in enumerate(items):
        level = min(level, depth + 1)
        if index and level > depth:
            html.append(f"<{tag}>")
        elif index:
            html.append("</li>" + f"</{tag}></li>" * (depth - level))
        html.append(f"<li>{lines_to_html(text)}")
        depth = level
    html.append("</li>" + f"</{tag}></li>" * depth + f"</{tag}>")
    return "".join(html)
