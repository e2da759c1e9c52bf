"""Import captured post pages (see posts.capture) into posts, tags and comment trees.

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
"""

import datetime
import json
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import slugify

from comments.models import Comment
from comments.services import comment_import
from posts.caching import content_changed
from posts.capture import (
    CapturedComment,
    CapturedPage,
    CaptureError,
    ListBlock,
    Paragraph,
    decode_capture,
    parse_capture,
)
from posts.models import Author, OriginalURL, Post, RelatedEntry

PUBLISH_HOUR = 12


class ImportFailed(Exception):
    """Names the file and line of the first problem; nothing has been written."""

    def __init__(self, path, line: int, message: str):
        location = f"{path}:{line}" if line else str(path)
        super().__init__(f"{location}: {message}")


@dataclass(frozen=True)
class Source:
    file: str
    url: str
    published: str
    slug: str
    title: str | None = None
    legacy_urls: tuple[str, ...] = ()

    @property
    def published_at(self) -> datetime.datetime:
        parts = [int(p) for p in self.published.split("-")]
        if len(parts) not in (2, 3):
            raise ValueError(f"published must be YYYY-MM-DD or YYYY-MM, not {self.published!r}")
        year, month, day = [*parts, 1][:3]
        return timezone.make_aware(datetime.datetime(year, month, day, PUBLISH_HOUR))

    @property
    def urls(self) -> tuple[str, ...]:
        return (self.url, *self.legacy_urls)


@dataclass
class PageReport:
    file: str
    post: Post | None = None
    action: str = ""
    page: CapturedPage | None = None
    comment_actions: dict[str, int] = field(default_factory=dict)
    changed_fields: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        page = self.page
        comments = [c for c in page.all_comments() if not c.missing]
        stand_ins = sum(1 for c in page.all_comments() if c.missing)
        top = sum(1 for c in comments if c.depth == 0)
        deepest = max((c.depth for c in comments), default=0)
        paragraphs = sum(isinstance(b, Paragraph) for b in page.body)
        lists = sum(isinstance(b, ListBlock) for b in page.body)
        out = [
            f"{self.file}: {self.post.title!r} -> {self.post.get_absolute_url()} ({self.action}"
            + (f": {', '.join(self.changed_fields)}" if self.changed_fields else "")
            + ")",
            f"  layout {page.layout}; body {paragraphs} paragraphs, {lists} lists; "
            f"CoI {'yes' if page.coi else 'no'}; postscript {len(page.postscript)} blocks; "
            f"related posts {len(page.related)}; tags {', '.join(page.hashtags) or 'none'}",
            f"  comments found {len(comments)} ({top} top-level, {len(comments) - top} replies, "
            f"deepest level {deepest}); stand-ins for missing parents {stand_ins}",
        ]
        if page.declared_count is not None:
            difference = page.declared_count - len(comments)
            note = "matches" if difference == 0 else f"{difference:+d} not in the capture"
            out.append(f"  page says {page.declared_count} thoughts: {note}")
        actions = ", ".join(f"{n} {a}" for a, n in sorted(self.comment_actions.items()))
        out.append(f"  comment rows: {actions or 'none'}")
        out.extend(f"  note: {w}" for w in page.warnings)
        return out


def load_sources(path: Path) -> dict[str, Source]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ImportFailed(path, exc.lineno, f"invalid JSON: {exc.msg}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFailed(path, 0, f"cannot read: {exc}") from None
    sources = {}
    for index, item in enumerate(data.get("seeds", []) if isinstance(data, dict) else []):
        try:
            source = Source(
                file=item["file"],
                url=item["url"],
                published=item["published"],
                slug=item["slug"],
                title=item.get("title"),
                legacy_urls=tuple(item.get("legacy_urls", ())),
            )
            source.published_at  # noqa: B018 -- validates the date now, before any write
        except (KeyError, TypeError, ValueError) as exc:
            raise ImportFailed(path, 0, f"seed #{index + 1} is invalid: {exc!r}") from None
        sources[source.file] = source
    if not sources:
        raise ImportFailed(path, 0, 'no "seeds" listed')
    return sources


def read_page(path: Path, source: Source) -> CapturedPage:
    try:
        page = parse_capture(decode_capture(path.read_bytes()), has_title=source.title is not None)
    except CaptureError as exc:
        raise ImportFailed(path, exc.line, exc.message) from None
    except OSError as exc:
        raise ImportFailed(path, 0, f"cannot read: {exc}") from None
    if page.title is not None and source.title is not None and page.title != source.title:
        raise ImportFailed(
            path, 1, f"the title line {page.title!r} differs from sources.json {source.title!r}"
        )
    return page


def import_pages(paths: list[Path], sources_path: Path, *, default_author: str) -> list[PageReport]:
    """Parse every page first, then write them all in one transaction."""
    sources = load_sources(sources_path)
    parsed = []
    for path in paths:
        source = sources.get(path.name)
        if source is None:
            raise ImportFailed(path, 0, f"not listed in {sources_path.name}")
        parsed.append((path, source, read_page(path, source)))
    reports = []
    with transaction.atomic():
        content_changed()
        for path, source, page in parsed:
            try:
                reports.append(import_page(page, source, default_author=default_author))
            except ValidationError as exc:
                raise ImportFailed(path, 0, "; ".join(exc.messages)) from None
        content_changed()  # again, now that the posts are written: see posts.caching
    return reports


def import_page(page: CapturedPage, source: Source, *, default_author: str) -> PageReport:
    report = PageReport(file=source.file, page=page)
    author = upsert_author(page, default_author)
    post, report.action, report.changed_fields = upsert_post(page, source, author)
    report.post = post
    sync_tags(post, page.hashtags)
    sync_original_urls(post, source.urls)
    sync_related(post, page)
    report.comment_actions = import_comments(post, source, page)
    return report


def upsert_author(page: CapturedPage, default_author: str) -> Author:
    name = page.author_name or page.byline or default_author
    author = Author.objects.filter(name=name).first()
    if author is None:
        author = Author.objects.create(name=name, slug=unique_author_slug(name))
    if page.author_bio and not author.bio:
        author.bio = page.author_bio
        author.save(update_fields=["bio"])
    return author


def unique_author_slug(name: str) -> str:
    base = slugify(name) or "author"
    slug, n = base, 1
    while Author.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def title_for(page: CapturedPage, source: Source) -> str:
    return source.title or page.title or source.slug.replace("-", " ").capitalize()


def upsert_post(page: CapturedPage, source: Source, author: Author):
    values = {
        "title": title_for(page, source),
        "slug": source.slug,
        "author": author,
        "lede": page.lede,
        "body": blocks_to_html(page.body),
        "coi": page.coi,
        "postscript": blocks_to_html(page.postscript),
        "status": Post.Status.PUBLISHED,
        "published_at": source.published_at,
    }
    post = Post.objects.filter(import_ref=source.url).first()
    if post is None:
        post = Post(import_ref=source.url, updated_at=source.published_at, **values)
        post.full_clean()
        post.save()
        return post, "created", []
    changed = [name for name, value in values.items() if getattr(post, name) != value]
    if not changed:
        return post, "unchanged", []
    for name in changed:
        setattr(post, name, values[name])
    post.updated_at = timezone.now()
    post.full_clean()
    post.save()
    return post, "updated", changed


def sync_tags(post: Post, hashtags: list[str]) -> None:
    current = {tag.lower() for tag in post.tags.names()}
    if current != {tag.lower() for tag in hashtags}:
        post.tags.set(hashtags)


def sync_original_urls(post: Post, urls: tuple[str, ...]) -> None:
    for url in urls:
        original, _ = OriginalURL.objects.get_or_create(url=url, defaults={"post": post})
        if original.post_id != post.pk:
            raise ValidationError(f"{url} already belongs to another post ({original.post}).")


def sync_related(post: Post, page: CapturedPage) -> None:
    existing = {entry.position: entry for entry in post.related_entries.all()}
    for position, entry in enumerate(page.related, start=1):
        current = existing.get(position)
        if current is None:
            RelatedEntry.objects.create(
                post=post, position=position, published_on=entry.date, text=entry.text
            )
        elif (current.published_on, current.text) != (entry.date, entry.text):
            current.published_on, current.text = entry.date, entry.text
            current.save(update_fields=["published_on", "text"])
    post.related_entries.filter(position__gt=len(page.related)).delete()


def import_comments(post: Post, source: Source, page: CapturedPage) -> dict[str, int]:
    actions: dict[str, int] = {}
    order = iter(range(1, 1_000_000))

    def visit(node: CapturedComment, parent: Comment | None, path: str) -> None:
        fields = {
            "author_name": "" if node.missing else "Anonymous",
            "body": node.body,
            "status": Comment.Status.APPROVED,
            "created_at": source.published_at + datetime.timedelta(minutes=next(order)),
            "placeholder": node.missing,
        }
        comment, action = comment_import(
            post=post, parent=parent, import_ref=f"{source.url}#comment-{path}", **fields
        )
        actions[action] = actions.get(action, 0) + 1
        for index, child in enumerate(node.children, start=1):
            visit(child, comment, f"{path}.{index}")

    for index, root in enumerate(page.comments, start=1):
        visit(root, None, str(index))
    return actions


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
