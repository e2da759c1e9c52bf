"""Read a WordPress eXtended RSS export (WXR 1.0 to 1.2) into SourcePost records.

Choices:

* Only items of type ``post`` are imported; pages, attachments, menus and other types
  are counted as not imported. ``publish`` and ``future`` become published (a future
  date stays scheduled); ``draft``, ``pending``, ``private`` and ``trash`` become drafts.
* Categories and tags both become tags, except WordPress's default "Uncategorized".
* Pingbacks and trackbacks are not comments anyone wrote here: they are counted and
  left out. Comment status: ``1`` approved, ``0`` pending, ``spam`` spam, ``trash`` and
  ``post-trashed`` removed.
* A post's reference is its WordPress short link, ``{base_blog_url}/?p={ID}``; a
  comment's is that plus ``#comment-{ID}``. The permalink and the short link become
  redirects. ``_msblog_…`` meta written by export_wxr restores what WordPress has no
  field for (see posts.imports.export).
"""

import datetime
import email.utils
import json
import re
from pathlib import Path
from urllib.parse import unquote

from django.utils import timezone
from django.utils.text import slugify

from posts.imports import xmlstream
from posts.imports.markup import html_to_text, sanitize_html, wordpress_content_to_html
from posts.imports.progress import Progress
from posts.imports.records import (
    ParsedFile,
    PostFields,
    SourceComment,
    SourcePost,
    SourceRelated,
)

# WordPress.com and newer exports write https://; WordPress's importer reads both.
WP_PREFIXES = ("http://wordpress.org/export/", "https://wordpress.org/export/")
WXR_VERSION = re.compile(r"\d+\.\d+")
POST_STATUS = {
    "publish": "published",
    "future": "published",
    "draft": "draft",
    "pending": "draft",
    "private": "draft",
    "auto-draft": "draft",
    "trash": "draft",
}
COMMENT_STATUS = {
    "1": "approved",
    "approve": "approved",
    "0": "pending",
    "hold": "pending",
    "spam": "spam",
    "trash": "removed",
    "post-trashed": "removed",
}
COMMENT_TYPES = {"", "comment"}
DEFAULT_CATEGORY = "uncategorized"
NO_DATE = "0000-00-00 00:00:00"
TAGS = (
    "item",
    "{*}author",
    "{*}base_site_url",
    "{*}base_blog_url",
    "{*}wxr_version",
    "link",
    "pubDate",
)
META = "_msblog_"


def short_tag(tag: str) -> str:
    """``{http://wordpress.org/export/1.2/}post_id`` -> ``wp:post_id`` and so on."""
    ns, local = xmlstream.namespace(tag), xmlstream.local_name(tag)
    if ns.startswith(WP_PREFIXES):
        return f"{'excerpt' if ns.rstrip('/').endswith('excerpt') else 'wp'}:{local}"
    return {
        "http://purl.org/rss/1.0/modules/content/": "content:",
        "http://purl.org/dc/elements/1.1/": "dc:",
    }.get(ns, "") + local


def parse_wxr(path: Path, *, progress: Progress | None = None) -> ParsedFile:
    parsed = ParsedFile(path)
    channel: dict[str, str] = {}
    logins: dict[str, str] = {}
    for element in xmlstream.elements(path, TAGS, progress=progress):
        name = short_tag(element.tag)
        parent = element.getparent()
        if parent is None or xmlstream.local_name(parent.tag) != "channel":
            continue  # a <link> inside an item: read with the item
        if name == "item":
            check_version(path, channel.get("wp:wxr_version", ""), element.sourceline)
            base = channel.get("wp:base_blog_url") or channel.get("link", "")
            file_date = rss_date(channel.get("pubDate"))
            read_item(parsed, element, base=base.rstrip("/"), logins=logins, file_date=file_date)
        elif name == "wp:author":
            fields = {short_tag(c.tag): xmlstream.text(c).strip() for c in element}
            login = fields.get("wp:author_login", "")
            logins[login] = fields.get("wp:author_display_name") or login
        else:
            channel[name] = xmlstream.text(element).strip()
        xmlstream.release(element)
    check_version(path, channel.get("wp:wxr_version", ""), 0)
    return parsed


def check_version(path: Path, version: str, line: int) -> None:
    """What WordPress's importer asks of a file: a wp:wxr_version that is a number."""
    if not version:
        raise xmlstream.refuse(path, line, "not a WordPress export: no wp:wxr_version")
    if not WXR_VERSION.fullmatch(version):
        raise xmlstream.refuse(path, line, f"wp:wxr_version {version!r} is not a WXR version")


def rss_date(value: str | None) -> datetime.datetime | None:
    """An RSS date ("Tue, 05 Mar 2019 18:00:00 +0000"), or None."""
    try:
        moment = email.utils.parsedate_to_datetime((value or "").strip())
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else None


def children(element) -> tuple[dict[str, str], list]:
    """First text of each simple child, and the repeated children in order."""
    values: dict[str, str] = {}
    repeated = []
    for child in element:
        if not isinstance(child.tag, str):
            continue
        name = short_tag(child.tag)
        if name in ("category", "wp:postmeta", "wp:comment", "wp:commentmeta"):
            repeated.append((name, child))
        elif name not in values:
            values[name] = xmlstream.text(child)
    return values, repeated


def meta(element) -> tuple[str, str]:
    values, _ = children(element)
    return values.get("wp:meta_key", "").strip(), values.get("wp:meta_value", "")


def read_item(
    parsed: ParsedFile,
    item,
    *,
    base: str,
    logins: dict[str, str],
    file_date: datetime.datetime | None,
) -> None:
    values, repeated = children(item)
    line = item.sourceline
    kind = values.get("wp:post_type", "post").strip()
    if kind != "post":
        parsed.leave_out(kind or "item without a type")
        return
    post_id = values.get("wp:post_id", "").strip()
    title = values.get("title", "").strip()
    label = f"post {post_id} {title[:60]!r}"
    if not post_id.isdigit():
        parsed.problem(line, f"post {title[:60]!r} has no numeric wp:post_id")
        return
    wp_status = values.get("wp:status", "").strip()
    status = POST_STATUS.get(wp_status)
    if not wp_status:
        parsed.problem(line, f"{label}: no wp:status (publish, draft, private…)")
        return
    if status is None:
        parsed.problem(line, f"{label}: unknown status {wp_status!r}")
        return
    # No date: the item's RSS date, else the file's own (it was made after the post).
    published_at = (
        wp_date(values.get("wp:post_date_gmt"), values.get("wp:post_date"))
        or rss_date(values.get("pubDate"))
        or file_date
    )
    if published_at is None:
        parsed.problem(line, f"{label}: no valid wp:post_date, and the file has no date")
        return
    metas: dict[str, list[str]] = {}
    tags: list[tuple[str, str]] = []
    comment_elements = []
    for name, child in repeated:
        if name == "wp:postmeta":
            key, value = meta(child)
            metas.setdefault(key, []).append(value)
        elif name == "wp:comment":
            comment_elements.append(child)
        elif child.get("domain") in ("category", "post_tag"):
            nicename = unquote(child.get("nicename") or "")
            tag_name = xmlstream.text(child).strip()
            if tag_name and not (
                child.get("domain") == "category" and nicename == DEFAULT_CATEGORY
            ):
                tags.append((tag_name[:100], nicename))
    short_link = f"{base}/?p={post_id}"
    link = values.get("link", "").strip()
    first = {key: found[0] for key, found in metas.items()}
    fields = PostFields(
        title=title[:300] or "Untitled",
        slug=post_slug(values.get("wp:post_name", ""), title, post_id),
        author_name=logins.get(values.get("dc:creator", "").strip())
        or values.get("dc:creator", "").strip(),
        lede=html_to_text(values.get("excerpt:encoded", "")),
        body=sanitize_html(first[f"{META}body"])
        if f"{META}body" in first
        else wordpress_content_to_html(values.get("content:encoded", "")),
        status=status,
        published_at=published_at,
        updated_at=wp_date(values.get("wp:post_modified_gmt"), values.get("wp:post_modified")),
        comments_open=values.get("wp:comment_status", "open").strip() == "open",
        coi=first.get(f"{META}coi", "")[:500],
        postscript=sanitize_html(first.get(f"{META}postscript", "")),
        author_bio=first.get(f"{META}author_bio", ""),
        tags=tags,
        urls=[u for u in (link, short_link, *metas.get(f"{META}original_url", [])) if u],
        related=related_entries(first.get(f"{META}related")),
    )
    post = SourcePost(
        ref=first.get(f"{META}import_ref") or short_link,
        line=line,
        label=label,
        path=parsed.path,
        fields=fields,
    )
    read_comments(parsed, post, comment_elements, short_link=short_link, post_date=published_at)
    parsed.posts.append(post)


def read_comments(
    parsed: ParsedFile,
    post: SourcePost,
    elements,
    *,
    short_link: str,
    post_date: datetime.datetime,
) -> None:
    refs: dict[str, str] = {}
    left_out: dict[str, tuple[str, str]] = {}  # pingbacks and trackbacks: id -> (kind, parent)
    pending: list[tuple[SourceComment, str]] = []
    for element in elements:
        values, repeated = children(element)
        line = element.sourceline
        comment_id = values.get("wp:comment_id", "").strip()
        kind = values.get("wp:comment_type", "").strip()
        if kind not in COMMENT_TYPES:
            parsed.leave_out(kind)
            left_out[comment_id] = (kind, values.get("wp:comment_parent", "0").strip())
            continue
        label = f"comment {comment_id or '?'} on post {post.label}"
        # WordPress stores a comment without wp:comment_approved as not approved.
        approved = values.get("wp:comment_approved", "0").strip() or "0"
        status = COMMENT_STATUS.get(approved)
        if not comment_id.isdigit():
            parsed.problem(line, f"{label}: no numeric wp:comment_id")
            continue
        if status is None:
            parsed.problem(line, f"{label}: unknown status {approved!r}")
            continue
        created_at = (
            wp_date(values.get("wp:comment_date_gmt"), values.get("wp:comment_date")) or post_date
        )
        metas = dict(meta(child) for name, child in repeated if name == "wp:commentmeta")
        ref = metas.get(f"{META}import_ref") or f"{short_link}#comment-{comment_id}"
        refs[comment_id] = ref
        placeholder = metas.get(f"{META}placeholder") == "1"
        comment = SourceComment(
            ref=ref,
            line=line,
            label=f"comment {comment_id}",
            parent_ref=None,
            author_name=values.get("wp:comment_author", "").strip(),
            body="" if placeholder else html_to_text(values.get("wp:comment_content", "")),
            status=status,
            created_at=created_at,
            author_email=values.get("wp:comment_author_email", "").strip(),
            author_url=values.get("wp:comment_author_url", "").strip(),
            ip_address=values.get("wp:comment_author_IP", "").strip() or None,
            placeholder=placeholder,
            username=metas.get(f"{META}username", ""),
        )
        pending.append((comment, values.get("wp:comment_parent", "0").strip()))
    for comment, parent_id in pending:
        parent_id = kept_parent(parsed, comment, parent_id, left_out)
        if parent_id not in ("", "0"):
            # A parent missing from the file may have come in with an earlier export.
            comment.parent_ref = refs.get(parent_id, f"{short_link}#comment-{parent_id}")
        post.comments.append(comment)


def kept_parent(parsed: ParsedFile, comment, parent_id: str, left_out: dict) -> str:
    """A reply to a pingback or trackback, which are left out, hangs where that notice
    hung (top level, as a rule); the report says so."""
    if parent_id not in left_out:
        return parent_id
    kind, notice = parent_id, parent_id
    seen = set()
    while parent_id in left_out and parent_id not in seen:
        seen.add(parent_id)
        kind = left_out[parent_id][0]
        parent_id = left_out[parent_id][1]
    where = "now top-level" if parent_id in ("", "0") else f"now a reply to comment {parent_id}"
    parsed.notes.append(
        f"{comment.label} replied to {kind} {notice}, which is not imported: {where}"
    )
    return parent_id


def wp_date(gmt: str | None, local: str | None) -> datetime.datetime | None:
    """WordPress dates are "Y-m-d H:i:s"; GMT when set, else the site's local time."""
    for value, zone in ((gmt, datetime.UTC), (local, timezone.get_current_timezone())):
        value = (value or "").strip()
        if not value or value == NO_DATE:
            continue
        try:
            naive = datetime.datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
        except ValueError:
            continue
        return timezone.make_aware(naive, zone)
    return None


def post_slug(post_name: str, title: str, post_id: str) -> str:
    """WordPress keeps non-ASCII slugs percent-encoded; URLs here are ASCII slugs."""
    return (slugify(unquote(post_name.strip())) or slugify(title) or f"post-{post_id}")[:200]


def related_entries(value: str | None) -> list[SourceRelated] | None:
    if not value:
        return None
    try:
        items = json.loads(value)
        return [
            SourceRelated(
                position=int(item["position"]),
                published_on=datetime.date.fromisoformat(item["published_on"])
                if item.get("published_on")
                else None,
                text=str(item["text"]),
                url=str(item.get("url") or "")[:500],
            )
            for item in items
        ]
    except (ValueError, TypeError, KeyError):
        return None
