"""Read a WordPress eXtended RSS export (WXR 1.0 to 1.2, http or https namespaces) into
SourcePost records.

Choices:

* Posts and pages are imported; attachments, menus, revisions and other types are
  counted as not imported (an attachment's address still serves [gallery]). A page keeps
  its parent page and its address ("/about/our-team/").
* ``publish`` and ``future`` become published (a future date stays scheduled), ``private``
  private (the blog team only), ``draft``, ``pending``, ``auto-draft`` and ``trash``
  drafts. ``wp:post_password`` is kept: the post is protected, as in WordPress.
* Categories stay categories, with their parents, and tags stay tags; WordPress's
  default "Uncategorized" is left out. Terms are told apart by their slug (nicename), as
  WordPress does; a term's name is the file's definition of it (<wp:category>,
  <wp:tag>), or else its spelling on the earliest post that carries it.
* Pingbacks and trackbacks are not comments anyone wrote here: they are counted and
  left out, and a reply to one takes its place in the thread. Comment status: ``1``
  approved, ``0`` (or none) pending, ``spam`` spam, ``trash`` and ``post-trashed``
  removed; ``_wp_trash_meta_status`` says what a spam or removed comment was before.
* A post's reference is its WordPress short link, ``{base_blog_url}/?p={ID}``; a
  comment's is that plus ``#comment-{ID}``. The permalink, the short links (``?p=``, a
  page's ``?page_id=``) and the guid become redirects. A missing date is the item's RSS
  date, else the file's. ``_msblog_…`` meta written by export_wxr restores what
  WordPress has no field for (see posts.imports.export).
"""

import re
from pathlib import Path
from urllib.parse import unquote

from django.utils import timezone

from posts.imports import xmlstream
from posts.imports.markup import html_to_text, sanitize_html, wordpress_content_to_html
from posts.imports.progress import Progress
from posts.imports.records import (
    ParsedFile,
    PostFields,
    SourceCategory,
    SourcePost,
)
from posts.imports.shortcodes import Attachment
from posts.imports.wxr_comments import read_comments
from posts.imports.wxr_fields import (
    META,
    children,
    meta,
    post_slug,
    precise_date,
    related_entries,
    rss_date,
    short_tag,
    term_slug,
    wp_date,
)

WXR_VERSION = re.compile(r"\d+\.\d+")
KINDS = {"post": "post", "page": "page"}
POST_STATUS = {
    "publish": "published",
    "future": "published",
    "private": "private",
    "draft": "draft",
    "pending": "draft",
    "auto-draft": "draft",
    "trash": "draft",
}
DEFAULT_CATEGORY = "uncategorized"
TAGS = (
    "item",
    "{*}author",
    "{*}category",
    "{*}tag",
    "{*}base_site_url",
    "{*}base_blog_url",
    "{*}wxr_version",
    "link",
    "pubDate",
)


def parse_wxr(path: Path, *, progress: Progress | None = None) -> ParsedFile:
    reader = WxrReader(path)
    for element in xmlstream.elements(path, TAGS, progress=progress):
        parent = element.getparent()
        if parent is not None and xmlstream.local_name(parent.tag) == "channel":
            reader.read(element)  # else a <link> or <category> inside an item
            xmlstream.release(element)
    reader.check_version(0)
    return reader.finish()


class WxrReader:
    """What reading one file collects; items are turned into records as they close, and
    what needs the whole file (term names, galleries) is settled at the end."""

    def __init__(self, path: Path):
        self.parsed = ParsedFile(path)
        self.channel: dict[str, str] = {}
        self.logins: dict[str, str] = {}
        self.categories: dict[str, SourceCategory] = {}  # defined by the file
        self.tag_names: dict[str, str] = {}  # defined by the file: slug -> name
        # Spellings seen on posts: slug -> ((published_at, post id), name), earliest kept.
        self.spellings: dict[tuple[str, str], tuple] = {}
        self.attachments: dict[str, Attachment] = {}
        # Each post's content, msblog's own body if the file has it, and its WordPress id.
        self.contents: list[tuple[SourcePost, str, str | None, str]] = []
        self.now = timezone.now()

    def read(self, element) -> None:
        name = short_tag(element.tag)
        if name == "item":
            self.check_version(element.sourceline)
            self.read_item(element)
        elif name == "wp:author":
            fields = {short_tag(c.tag): xmlstream.text(c).strip() for c in element}
            login = fields.get("wp:author_login", "")
            self.logins[login] = fields.get("wp:author_display_name") or login
        elif name == "wp:category":
            self.define_category(element)
        elif name == "wp:tag":
            fields = {short_tag(c.tag): xmlstream.text(c).strip() for c in element}
            slug = unquote(fields.get("wp:tag_slug", ""))
            if slug and fields.get("wp:tag_name"):
                self.tag_names[slug] = fields["wp:tag_name"][:100]
        else:
            self.channel[name] = xmlstream.text(element).strip()

    def check_version(self, line: int) -> None:
        """What WordPress's importer asks of a file: a wp:wxr_version that is a number."""
        version = self.channel.get("wp:wxr_version", "")
        path = self.parsed.path
        if not version:
            raise xmlstream.refuse(path, line, "not a WordPress export: no wp:wxr_version")
        if not WXR_VERSION.fullmatch(version):
            raise xmlstream.refuse(path, line, f"wp:wxr_version {version!r} is not a WXR version")

    @property
    def base(self) -> str:
        return (self.channel.get("wp:base_blog_url") or self.channel.get("link", "")).rstrip("/")

    def define_category(self, element) -> None:
        fields = {short_tag(c.tag): xmlstream.text(c).strip() for c in element}
        name = fields.get("wp:cat_name", "")
        slug = term_slug(fields.get("wp:category_nicename", ""), name)
        if slug and slug != DEFAULT_CATEGORY:
            self.categories[slug] = SourceCategory(
                slug=slug,
                name=(name or slug)[:200],
                parent_slug=term_slug(fields.get("wp:category_parent", ""), ""),
                description=fields.get("wp:category_description", ""),
            )

    def read_item(self, item) -> None:
        values, repeated = children(item)
        kind = values.get("wp:post_type", "post").strip() or "post"
        if kind == "attachment":
            self.read_attachment(values)
        if kind not in KINDS:
            self.parsed.leave_out(kind)
            return
        post = self.read_post(item, values, repeated, kind)
        if post is not None:
            self.parsed.posts.append(post)

    def read_attachment(self, values: dict) -> None:
        url = (values.get("wp:attachment_url") or values.get("guid") or "").strip()
        post_id = values.get("wp:post_id", "").strip()
        if url and post_id:
            self.attachments[post_id] = Attachment(
                url=url,
                title=values.get("title", "").strip(),
                parent=values.get("wp:post_parent", "").strip(),
            )

    def read_post(self, item, values: dict, repeated: list, kind: str) -> SourcePost | None:
        parsed, line = self.parsed, item.sourceline
        post_id = values.get("wp:post_id", "").strip()
        title = values.get("title", "").strip()
        label = f"{kind} {post_id} {title[:60]!r}"
        # Without a wp:post_id (hand-made files), the item's guid or link names it.
        item_name = values.get("guid", "").strip() or values.get("link", "").strip()
        if not post_id.isdigit() and not item_name.startswith(("http://", "https://")):
            parsed.problem(line, f"{kind} {title[:60]!r} has no wp:post_id, guid or link")
            return None
        wp_status = values.get("wp:status", "").strip()
        status = POST_STATUS.get(wp_status)
        if not wp_status:
            parsed.problem(line, f"{label}: no wp:status (publish, draft, private…)")
            return None
        if status is None:
            parsed.problem(line, f"{label}: unknown status {wp_status!r}")
            return None
        metas: dict[str, list[str]] = {}
        for name, child in repeated:
            if name == "wp:postmeta":
                key, value = meta(child)
                metas.setdefault(key, []).append(value)
        first = {key: found[0] for key, found in metas.items()}
        # No date: the item's RSS date, else the file's own (it was made after the post),
        # else, as WordPress does, the time of the import (kept by later imports).
        published_at = (
            precise_date(first.get(f"{META}published_at"))
            or wp_date(values.get("wp:post_date_gmt"), values.get("wp:post_date"))
            or rss_date(values.get("pubDate"))
            or rss_date(self.channel.get("pubDate"))
        )
        undated = published_at is None
        if undated:
            published_at = self.now
            parsed.notes.append(f"{label}: no date in the file; dated when first imported")
        order = (published_at, int(post_id) if post_id.isdigit() else 0)
        tags, categories = self.read_terms(repeated, order)
        short_link = f"{self.base}/?p={post_id}" if post_id.isdigit() else item_name
        parent_id = values.get("wp:post_parent", "0").strip()
        creator = values.get("dc:creator", "").strip()
        fields = PostFields(
            title=title[:300] or "Untitled",
            slug=post_slug(values.get("wp:post_name", ""), title, post_id),
            author_name=self.logins.get(creator) or creator,
            author_slug=creator,
            lede=html_to_text(values.get("excerpt:encoded", "")),
            body="",  # once the whole file is read: see finish()
            status=status,
            kind=KINDS[kind],
            parent_ref=f"{self.base}/?p={parent_id}"
            if kind == "page" and parent_id not in ("", "0")
            else None,
            password=values.get("wp:post_password", "")[:255],
            published_at=published_at,
            undated=undated,
            updated_at=precise_date(first.get(f"{META}updated_at"))
            or wp_date(values.get("wp:post_modified_gmt"), values.get("wp:post_modified")),
            comments_open=values.get("wp:comment_status", "open").strip() == "open",
            coi=first.get(f"{META}coi", "")[:500],
            postscript=sanitize_html(first.get(f"{META}postscript", "")),
            author_bio=first.get(f"{META}author_bio", ""),
            tags=tags,
            categories=categories,
            urls=self.old_addresses(values, metas, post_id, kind),
            # The guid only names the item: another post may carry it (a copied post).
            loose_urls=[values.get("guid", "").strip()],
            related=related_entries(first.get(f"{META}related")),
        )
        post = SourcePost(
            ref=first.get(f"{META}import_ref") or short_link,
            line=line,
            label=label,
            path=parsed.path,
            fields=fields,
        )
        self.contents.append(
            (post, values.get("content:encoded", ""), first.get(f"{META}body"), post_id)
        )
        comments = [child for name, child in repeated if name == "wp:comment"]
        read_comments(parsed, post, comments, short_link=short_link, post_date=published_at)
        return post

    def old_addresses(self, values: dict, metas: dict, post_id: str, kind: str) -> list[str]:
        """The permalink, the short links, and addresses msblog recorded."""
        links = [
            values.get("link", "").strip(),
            f"{self.base}/?p={post_id}" if post_id.isdigit() else "",
            f"{self.base}/?page_id={post_id}" if kind == "page" and post_id.isdigit() else "",
            *metas.get(f"{META}original_url", []),
        ]
        return [link for link in dict.fromkeys(links) if link.startswith(("http://", "https://"))]

    def read_terms(self, repeated: list, order: tuple) -> tuple[list, list[str]]:
        tags: list[tuple[str, str]] = []
        categories: list[str] = []
        for name, child in repeated:
            domain = child.get("domain")
            if name != "category" or domain not in ("category", "post_tag"):
                continue
            label = xmlstream.text(child).strip()
            slug = term_slug(child.get("nicename") or "", label)
            if not label or not slug or (domain == "category" and slug == DEFAULT_CATEGORY):
                continue
            seen = self.spellings.get((domain, slug))
            if seen is None or order < seen[0]:
                self.spellings[(domain, slug)] = (order, label)
            if domain == "category" and slug not in categories:
                categories.append(slug)
            elif domain == "post_tag":
                tags.append((label, slug))
        return tags, categories

    def finish(self) -> ParsedFile:
        """Settle what needed the whole file: term names and post bodies."""
        for (domain, slug), (_, label) in self.spellings.items():
            if domain == "category" and slug not in self.categories:
                self.categories[slug] = SourceCategory(slug=slug, name=label[:200])
            elif domain == "post_tag":
                self.tag_names.setdefault(slug, label[:100])
        self.parsed.categories = self.categories
        for post in self.parsed.posts:
            post.fields.tags = [(self.tag_names.get(s, n), s) for n, s in post.fields.tags]
        for post, content, own_body, post_id in self.contents:
            if own_body is not None:  # the body as msblog stored it (export_wxr)
                post.fields.body = sanitize_html(own_body)
                continue
            gallery = [a for a in self.attachments.values() if a.parent == post_id]
            post.fields.body = wordpress_content_to_html(
                content, attachments=self.attachments, gallery=gallery
            )
        return self.parsed
