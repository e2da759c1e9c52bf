"""Read a Blogger export (Atom, Settings -> Back up content) into SourcePost records.

Choices:

* Entries are told apart by their ``kind`` category: posts and comments are imported;
  settings, the template and pages are counted as not imported.
* A post with ``app:control/app:draft`` = ``yes`` is a draft; every other post is
  published. Labels become tags. The post's Blogger address becomes a redirect, and its
  slug is that address's last part without ``.html``. Blogger has no excerpt: no lede.
* Bodies are HTML already (Blogger stores its line breaks as <br>), so they are only
  sanitised, not auto-paragraphed.
* ``thr:in-reply-to`` names the post a comment belongs to; a reply also links to its
  parent comment (``link rel="related"``, or an in-reply-to that names a comment).
  Blogger exports only published comments: they are approved, except those whose text
  Blogger replaced with "This comment has been removed…", which are removed.
* References are Blogger's own entry ids (``tag:blogger.com,1999:blog-….post-…``).
"""

import datetime
import re
from pathlib import Path

from django.utils.text import slugify

from posts.imports import xmlstream
from posts.imports.markup import html_to_text, sanitize_html
from posts.imports.progress import Progress
from posts.imports.records import ParsedFile, PostFields, SourceComment, SourcePost

ATOM = "{http://www.w3.org/2005/Atom}"
THR = "{http://purl.org/syndication/thread/1.0}"
GD = "{http://schemas.google.com/g/2005}"
KIND_SCHEME = "http://schemas.google.com/g/2005#kind"
LABEL_SCHEME = "http://www.blogger.com/atom/ns#"
REMOVED = re.compile(r"^This (comment|post) has been removed by", re.I)
NO_EMAIL = {"noreply@blogger.com", "anonymous@blogger.com"}


def parse_blogger(path: Path, *, progress: Progress | None = None) -> ParsedFile:
    parsed = ParsedFile(path)
    posts: dict[str, SourcePost] = {}
    comments: list[tuple[SourceComment, str]] = []  # with the ref their in-reply-to names
    seen_feed = False
    for entry in xmlstream.elements(path, (f"{ATOM}entry",), progress=progress):
        if not seen_feed:
            root = entry.getroottree().getroot()
            if root.tag != f"{ATOM}feed":
                raise xmlstream.refuse(path, 1, "not a Blogger export: no Atom feed")
            seen_feed = True
        kind = entry_kind(entry)
        if kind == "post":
            post = read_post(parsed, entry)
            if post is not None:
                posts[post.ref] = post
        elif kind == "comment":
            read_comment(parsed, entry, comments)
        else:
            parsed.leave_out(kind or "entry without a kind")
        xmlstream.release(entry)
    if not seen_feed:
        raise xmlstream.refuse(path, 0, "not a Blogger export: no entries")
    attach(parsed, posts, comments)
    parsed.posts.extend(posts.values())
    return parsed


def entry_kind(entry) -> str:
    for category in entry.iter(f"{ATOM}category"):
        if category.get("scheme") == KIND_SCHEME:
            return (category.get("term") or "").rpartition("#")[2]
    return ""


def link(entry, rel: str) -> str:
    for element in entry.iter(f"{ATOM}link"):
        if element.get("rel") == rel:
            return element.get("href") or ""
    return ""


def iso_date(value: str) -> datetime.datetime | None:
    try:
        moment = datetime.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def read_post(parsed: ParsedFile, entry) -> SourcePost | None:
    ref = xmlstream.text(entry.find(f"{ATOM}id")).strip()
    title = xmlstream.text(entry.find(f"{ATOM}title")).strip()
    label = f"post {title[:60]!r}"
    published = iso_date(xmlstream.text(entry.find(f"{ATOM}published")))
    if not ref or published is None:
        parsed.problem(entry.sourceline, f"{label}: no id or no valid <published> date")
        return None
    draft = any(
        xmlstream.text(d).strip() == "yes" for d in entry.iter("{*}draft")
    )  # app:control/app:draft, whichever app namespace version
    address = link(entry, "alternate")
    slug_source = address.rstrip("/").rpartition("/")[2].removesuffix(".html") if address else ""
    labels = [
        (c.get("term", "").strip()[:100], "")
        for c in entry.iter(f"{ATOM}category")
        if c.get("scheme") == LABEL_SCHEME and c.get("term", "").strip()
    ]
    fields = PostFields(
        title=title[:300] or "Untitled",
        slug=(slugify(slug_source) or slugify(title) or f"post-{ref.rpartition('-')[2]}")[:200],
        author_name=xmlstream.text(entry.find(f"{ATOM}author/{ATOM}name")).strip(),
        lede="",
        body=sanitize_html(xmlstream.text(entry.find(f"{ATOM}content"))).strip(),
        status="draft" if draft else "published",
        published_at=published,
        updated_at=iso_date(xmlstream.text(entry.find(f"{ATOM}updated"))),
        tags=labels,
        urls=[address] if address else [],
    )
    return SourcePost(ref=ref, line=entry.sourceline, label=label, path=parsed.path, fields=fields)


def read_comment(parsed: ParsedFile, entry, comments: list) -> None:
    ref = xmlstream.text(entry.find(f"{ATOM}id")).strip()
    line = entry.sourceline
    number = ref.rpartition("-")[2]
    label = f"comment {number}"
    created_at = iso_date(xmlstream.text(entry.find(f"{ATOM}published")))
    reply_to = entry.find(f"{THR}in-reply-to")
    target = reply_to.get("ref", "") if reply_to is not None else ""
    if not ref or created_at is None or not target:
        parsed.problem(line, f"{label}: no id, no valid date or no thr:in-reply-to")
        return
    parent_ref = None
    related = link(entry, "related")
    if related:
        # …/feeds/BLOG/POST/comments/default/PARENT: the parent has this comment's prefix.
        parent_ref = f"{ref.rpartition('.post-')[0]}.post-{related.rstrip('/').rpartition('/')[2]}"
    html = xmlstream.text(entry.find(f"{ATOM}content"))
    removed = REMOVED.match(html_to_text(html)) or any(
        p.get("name") == "blogger.contentRemoved" and p.get("value") == "true"
        for p in entry.iter(f"{GD}extendedProperty")
    )
    email = xmlstream.text(entry.find(f"{ATOM}author/{ATOM}email")).strip()
    comment = SourceComment(
        ref=ref,
        line=line,
        label=label,
        parent_ref=parent_ref,
        author_name=xmlstream.text(entry.find(f"{ATOM}author/{ATOM}name")).strip(),
        body=html_to_text(html),
        status="removed" if removed else "approved",
        created_at=created_at,
        author_email="" if email.lower() in NO_EMAIL else email,
        author_url=xmlstream.text(entry.find(f"{ATOM}author/{ATOM}uri")).strip(),
    )
    comments.append((comment, target))


def attach(parsed: ParsedFile, posts: dict[str, SourcePost], comments: list) -> None:
    """Put each comment on its post; an in-reply-to naming a comment makes it the parent."""
    by_ref = {comment.ref: (comment, target) for comment, target in comments}
    for comment, target in comments:
        seen = {comment.ref}
        while target in by_ref and target not in seen:  # in-reply-to names a comment
            seen.add(target)
            comment.parent_ref = comment.parent_ref or target
            target = by_ref[target][1]
        post = posts.get(target)
        if post is None:
            # Not a post in this file: maybe imported before; the plan checks.
            post = posts[target] = SourcePost(
                ref=target, line=comment.line, label=f"post {target}", path=parsed.path, fields=None
            )
        post.comments.append(comment)
