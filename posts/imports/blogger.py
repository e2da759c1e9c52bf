"""Read a Blogger export (Atom) into SourcePost records: the classic backup (Settings ->
Back up content) and the newer one (Google Takeout's feed.atom).

Choices:

* The classic format tells entries apart by their ``kind`` category, the newer by
  ``blogger:type``. Posts, pages and comments are imported; settings and the template
  are counted as not imported. A feed with neither is refused.
* Posts: classic ``app:draft`` = ``yes``, or newer ``blogger:status`` DRAFT, make a draft;
  a post in the bin (SOFT_TRASHED, DELETED or a ``blogger:trashed`` date) is kept as a
  draft too; every other post is published. Labels become tags. Blogger has no excerpt.
* Bodies are HTML already (Blogger stores its line breaks as <br>), so they are only
  sanitised, not auto-paragraphed.
* The post's Blogger address becomes a redirect and its last part, without ``.html``,
  the slug; a page ("/p/about.html") is served at "/about/". The newer format gives only
  the path: its blog's address comes from ``--blog-url`` (else those redirects are left
  out, and the report says so).
* Comments: classic ``thr:in-reply-to`` names the post, and a reply links its parent
  (``link rel="related"``); newer ``blogger:parent`` names the post and
  ``blogger:inReplyTo`` the parent. Classic exports hold published comments only: they
  are approved, except those whose text Blogger replaced with "This comment has been
  removed…", which are removed. Newer statuses: LIVE approved, PENDING pending, SPAM
  spam, anything else (DELETED, EMPTIED…) removed.
* References are Blogger's own entry ids (``tag:blogger.com,1999:blog-….post-…``).
"""

import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.text import slugify

from posts.imports import xmlstream
from posts.imports.markup import html_to_comment, html_to_text, sanitize_html
from posts.imports.progress import Progress
from posts.imports.records import ParsedFile, PostFields, SourceComment, SourcePost

ATOM = "{http://www.w3.org/2005/Atom}"
THR = "{http://purl.org/syndication/thread/1.0}"
GD = "{http://schemas.google.com/g/2005}"
B2018 = "{http://schemas.google.com/blogger/2018}"
KIND_SCHEME = "http://schemas.google.com/g/2005#kind"
LABEL_SCHEME = "http://www.blogger.com/atom/ns#"
REMOVED = re.compile(r"^This (comment|post) has been removed by", re.I)
NO_EMAIL = {"noreply@blogger.com", "anonymous@blogger.com"}
KINDS = {"post": "post", "page": "page", "comment": "comment"}
DRAFT_STATUSES = {"DRAFT", "SCHEDULED_DRAFT", "SOFT_TRASHED", "DELETED", "TRASHED"}
COMMENT_STATUS = {"LIVE": "approved", "PENDING": "pending", "SPAM": "spam"}


@dataclass
class Entry:
    """What both formats say about one entry, in one shape."""

    kind: str  # "post", "page", "comment", or what is not imported ("settings", …)
    ref: str
    line: int
    title: str = ""
    html: str = ""
    published: datetime.datetime | None = None
    updated: datetime.datetime | None = None
    author: str = ""
    email: str = ""
    uri: str = ""
    draft: bool = False
    labels: list[str] = field(default_factory=list)
    address: str = ""  # the post's Blogger address, or its path ("/2012/03/x.html")
    target: str = ""  # a comment's post (or, classic, the comment it answers)
    parent: str = ""  # a reply's parent comment
    status: str = "approved"  # a comment's


def parse_blogger(
    path: Path, *, progress: Progress | None = None, blog_url: str = ""
) -> ParsedFile:
    parsed = ParsedFile(path)
    posts: dict[str, SourcePost] = {}
    comments: list[tuple[SourceComment, str]] = []  # with the ref their target names
    seen_feed = False
    paths_only = 0
    for element in xmlstream.elements(path, (f"{ATOM}entry",), progress=progress):
        if not seen_feed:
            if element.getroottree().getroot().tag != f"{ATOM}feed":
                raise xmlstream.refuse(path, 1, "not a Blogger export: no Atom feed")
            seen_feed = True
        entry = read_entry(element)
        xmlstream.release(element)
        if entry.kind in ("post", "page"):
            post = make_post(parsed, entry, blog_url)
            if post is not None:
                posts[post.ref] = post
                paths_only += entry.address.startswith("/") and not blog_url
        elif entry.kind == "comment":
            make_comment(parsed, entry, comments)
        else:
            parsed.leave_out(entry.kind or "entry without a kind")
    if not seen_feed:
        raise xmlstream.refuse(path, 0, "not a Blogger export: no entries")
    if not posts and not comments and not parsed.problems:
        raise xmlstream.refuse(
            path, 0, "not a Blogger export: no entry has a kind category or a blogger:type"
        )
    if paths_only:
        parsed.notes.append(
            f"{paths_only} old addresses not kept: the file gives their paths only; "
            "give the blog's address with --blog-url"
        )
    attach(parsed, posts, comments)
    parsed.posts.extend(posts.values())
    return parsed


def read_entry(element) -> Entry:
    """An entry of either format; the newer has a blogger:type of its own."""
    newer = element.find(f"{B2018}type")
    entry = Entry(
        kind="",
        ref=xmlstream.text(element.find(f"{ATOM}id")).strip(),
        line=element.sourceline,
        title=xmlstream.text(element.find(f"{ATOM}title")).strip(),
        html=xmlstream.text(element.find(f"{ATOM}content")),
        published=iso_date(xmlstream.text(element.find(f"{ATOM}published"))),
        updated=iso_date(xmlstream.text(element.find(f"{ATOM}updated"))),
        author=xmlstream.text(element.find(f"{ATOM}author/{ATOM}name")).strip(),
        email=xmlstream.text(element.find(f"{ATOM}author/{ATOM}email")).strip(),
        uri=xmlstream.text(element.find(f"{ATOM}author/{ATOM}uri")).strip(),
    )
    if newer is not None:
        read_newer(element, entry, xmlstream.text(newer).strip().lower())
    else:
        read_classic(element, entry)
    return entry


def read_classic(element, entry: Entry) -> None:
    for category in element.iter(f"{ATOM}category"):
        term = (category.get("term") or "").strip()
        if category.get("scheme") == KIND_SCHEME:
            entry.kind = KINDS.get(term.rpartition("#")[2], term.rpartition("#")[2])
        elif category.get("scheme") == LABEL_SCHEME and term:
            entry.labels.append(term)
    # app:control/app:draft, whichever app namespace version
    entry.draft = any(xmlstream.text(d).strip() == "yes" for d in element.iter("{*}draft"))
    entry.address = link(element, "alternate")
    reply_to = element.find(f"{THR}in-reply-to")
    entry.target = reply_to.get("ref", "") if reply_to is not None else ""
    related = link(element, "related")
    if related:
        # …/feeds/BLOG/POST/comments/default/PARENT: the parent has this comment's prefix.
        parent_id = related.rstrip("/").rpartition("/")[2]
        entry.parent = f"{entry.ref.rpartition('.post-')[0]}.post-{parent_id}"
    removed = REMOVED.match(html_to_text(entry.html)) or any(
        p.get("name") == "blogger.contentRemoved" and p.get("value") == "true"
        for p in element.iter(f"{GD}extendedProperty")
    )
    entry.status = "removed" if removed else "approved"


def read_newer(element, entry: Entry, kind: str) -> None:
    entry.kind = KINDS.get(kind, kind)
    status = xmlstream.text(element.find(f"{B2018}status")).strip().upper()
    trashed = xmlstream.text(element.find(f"{B2018}trashed")).strip()
    entry.draft = status in DRAFT_STATUSES or bool(trashed)
    entry.labels = [
        (c.get("term") or "").strip()
        for c in element.iter(f"{ATOM}category")
        if c.get("scheme") != KIND_SCHEME and (c.get("term") or "").strip()
    ]
    entry.address = (
        link(element, "alternate") or xmlstream.text(element.find(f"{B2018}filename")).strip()
    )
    entry.target = xmlstream.text(element.find(f"{B2018}parent")).strip()
    parent = xmlstream.text(element.find(f"{B2018}inReplyTo")).strip()
    if parent.isdigit():  # a bare id: the parent has this comment's prefix
        parent = f"{entry.ref.rpartition('.post-')[0]}.post-{parent}"
    entry.parent = parent
    entry.status = "removed" if trashed else COMMENT_STATUS.get(status, "removed")


def link(element, rel: str) -> str:
    for child in element.iter(f"{ATOM}link"):
        if child.get("rel") == rel:
            return child.get("href") or ""
    return ""


def iso_date(value: str) -> datetime.datetime | None:
    try:
        moment = datetime.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def old_address(address: str, blog_url: str) -> str:
    if address.startswith("/"):
        return f"{blog_url.rstrip('/')}{address}" if blog_url else ""
    return address


def make_post(parsed: ParsedFile, entry: Entry, blog_url: str) -> SourcePost | None:
    label = f"{entry.kind} {entry.title[:60]!r}"
    if not entry.ref:
        parsed.problem(entry.line, f"{label}: no <id>")
        return None
    if entry.published is None:
        parsed.problem(entry.line, f"{label}: no valid <published> date")
        return None
    last = entry.address.rstrip("/").rpartition("/")[2].removesuffix(".html")
    number = entry.ref.rpartition("-")[2]
    address = old_address(entry.address, blog_url)
    fields = PostFields(
        title=entry.title[:300] or "Untitled",
        slug=(slugify(last) or slugify(entry.title) or f"{entry.kind}-{number}")[:200],
        author_name=entry.author,
        lede="",
        body=sanitize_html(entry.html).strip(),
        status="draft" if entry.draft else "published",
        kind=entry.kind,
        published_at=entry.published,
        updated_at=entry.updated,
        tags=[(name[:100], "") for name in entry.labels],
        urls=[address] if address else [],
    )
    return SourcePost(ref=entry.ref, line=entry.line, label=label, path=parsed.path, fields=fields)


def make_comment(parsed: ParsedFile, entry: Entry, comments: list) -> None:
    label = f"comment {entry.ref.rpartition('-')[2]}"
    missing = [
        what
        for what, value in (
            ("no <id>", entry.ref),
            ("no valid <published> date", entry.published),
            ("no post it belongs to (thr:in-reply-to or blogger:parent)", entry.target),
        )
        if not value
    ]
    if missing:
        parsed.problem(entry.line, f"{label}: {', '.join(missing)}")
        return
    comment = SourceComment(
        ref=entry.ref,
        line=entry.line,
        label=label,
        parent_ref=entry.parent or None,
        author_name=entry.author,
        body=html_to_comment(entry.html),
        status=entry.status,
        created_at=entry.published,
        author_email="" if entry.email.lower() in NO_EMAIL else entry.email,
        author_url=entry.uri,
    )
    comments.append((comment, entry.target))


def attach(parsed: ParsedFile, posts: dict[str, SourcePost], comments: list) -> None:
    """Put each comment on its post; a target naming a comment makes it the parent."""
    by_ref = {comment.ref: (comment, target) for comment, target in comments}
    for comment, target in comments:
        seen = {comment.ref}
        while target in by_ref and target not in seen:  # in-reply-to names a comment
            seen.add(target)
            comment.parent_ref = comment.parent_ref or target
            target = by_ref[target][1]
        # Blogger names the page a comment is on as a post ("….post-5" for "….page-5").
        post = posts.get(target) or posts.get(target.replace(".post-", ".page-"))
        if post is None:
            # Not a post in this file: maybe imported before; the plan checks.
            post = posts[target] = SourcePost(
                ref=target, line=comment.line, label=f"post {target}", path=parsed.path, fields=None
            )
        post.comments.append(comment)
