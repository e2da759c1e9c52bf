"""Decide, without writing, what importing some parsed files would do.

The plan reads the database once per kind of row (in chunks), matches every record by
its import reference, and names each bad item by file and line. A bad item is a reply
whose parent is missing, in a loop or on another post, a comment imported before in
another place, a post no thread matches, or a redirect that belongs to another post.
Bad items stop the import unless ``skip_bad``; then each is left out (a comment with its
replies) and listed. An existing comment keeps its moderation status, as comment_import
does; its other imported fields are updated.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from taggit.models import TaggedItem

from comments.models import Comment
from posts.imports.markup import sanitize_html
from posts.imports.plan_comments import (
    COMMENT_EXTRA_FIELDS,
    COMMENT_FIELDS,
    CommentPlan,
    http_url,
    plan_thread,
    valid,
)
from posts.imports.records import (
    ImportRefused,
    ParsedFile,
    Problem,
    SourceCategory,
    SourcePost,
)
from posts.imports.terms import Terms
from posts.models import Author, OriginalURL, Post, RelatedEntry, SourceText

CHUNK = 5000  # import references per IN (...) query, well under SQLite's variable limit
POST_FIELDS = (
    "title",
    "slug",
    "lede",
    "body",
    "coi",
    "postscript",
    "status",
    "kind",
    "password",
    "published_at",
    "comments_open",
)
HTML_FIELDS = ("body", "postscript")


@dataclass(slots=True)
class PostPlan:
    source: SourcePost
    action: str  # "create", "update", "unchanged" or "comments" (comments only)
    pk: int | None = None
    values: dict = field(default_factory=dict)
    changed: list[str] = field(default_factory=list)
    author_name: str = ""
    tags: list[str] | None = None  # names to set; None: leave as they are
    categories: list[str] | None = None  # slugs to set; None: leave as they are
    parent_ref: str | None = None  # a page's parent, by import reference
    new_originals: list[tuple[str, str]] = field(default_factory=list)  # (repair, text)
    new_urls: list[str] = field(default_factory=list)
    related: list | None = None  # entries to set; None: leave as they are
    comments: list[CommentPlan] = field(default_factory=list)

    def changes_anything(self) -> bool:
        return (
            self.action in ("create", "update")
            or bool(self.new_urls)
            or bool(self.new_originals)
            or any(c.action != "unchanged" for c in self.comments)
        )


@dataclass
class Plan:
    files: list[Path]
    notes: dict[Path, list[str]] = field(default_factory=dict)
    posts: list[PostPlan] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)
    not_imported: dict[str, int] = field(default_factory=dict)
    new_authors: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (bio, slug)
    author_bios: dict[str, str] = field(default_factory=dict)  # existing name -> bio to fill
    new_tags: dict[str, tuple[str, str]] = field(default_factory=dict)  # slug -> (name, slug)
    new_categories: dict[str, SourceCategory] = field(default_factory=dict)  # by slug

    def changes_anything(self) -> bool:
        return bool(
            self.new_authors
            or self.author_bios
            or self.new_tags
            or self.new_categories
            or any(p.changes_anything() for p in self.posts)
        )


def chunked(values, size=CHUNK):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def rows_by(model, key: str, keys, *fields) -> dict:
    found = {}
    for chunk in chunked(set(keys)):
        for row in model.objects.filter(**{f"{key}__in": chunk}).values(key, *fields):
            found[row[key]] = row
    return found


def merge_sources(files: list[ParsedFile]) -> list[SourcePost]:
    """One record per post; a later file's version wins, comments are merged by ref."""
    merged: dict[tuple, SourcePost] = {}
    for parsed in files:
        for post in parsed.posts:
            key = ("pk", post.post_id) if post.post_id else ("ref", post.ref)
            earlier = merged.get(key)
            if earlier is not None:
                comments = {c.ref: c for c in earlier.comments + post.comments}
                post.comments = list(comments.values())
                post.fields = post.fields or earlier.fields
            merged[key] = post
    return list(merged.values())


def plan_import(files: list[ParsedFile], *, skip_bad: bool, default_author: str) -> Plan:
    plan = Plan(files=[f.path for f in files], notes={f.path: f.notes for f in files if f.notes})
    for parsed in files:
        for kind, n in parsed.not_imported.items():
            plan.not_imported[kind] = plan.not_imported.get(kind, 0) + n
    problems = [p for parsed in files for p in parsed.problems]
    sources = merge_sources(files)
    context = Context.load(sources, plan)
    context.definitions = {slug: c for parsed in files for slug, c in parsed.categories.items()}
    for source in sources:
        post_plan = context.plan_post(plan, source, problems, default_author=default_author)
        if post_plan is not None:
            plan.posts.append(post_plan)
    for post_plan in plan.posts:
        if post_plan.source.fields is not None:
            context.plan_loose_urls(post_plan)
    if problems and not skip_bad:
        raise ImportRefused(problems)
    plan.skipped = problems
    return plan


@dataclass
class Context:
    """What the database holds that the plan must match against."""

    posts: dict
    posts_by_pk: dict
    slugs: dict
    authors: dict
    terms: Terms
    current_tags: dict
    current_categories: dict
    originals: set  # (post pk, text) kept already
    urls: dict
    related: dict
    comments: dict
    users: dict
    claimed_urls: dict = field(default_factory=dict)
    definitions: dict = field(default_factory=dict)  # categories the files define

    @classmethod
    def load(cls, sources: list[SourcePost], plan: Plan) -> "Context":
        post_fields = ("pk", *POST_FIELDS, "author__name", "parent__import_ref")
        posts = rows_by(Post, "import_ref", [s.ref for s in sources], *post_fields)
        by_pk = rows_by(Post, "pk", [s.post_id for s in sources if s.post_id], "import_ref")
        existing_pks = [row["pk"] for row in posts.values()]
        current_tags = defaultdict(list)
        for chunk in chunked(existing_pks):
            for object_id, name in TaggedItem.objects.filter(
                content_type=ContentType.objects.get_for_model(Post), object_id__in=chunk
            ).values_list("object_id", "tag__name"):
                current_tags[object_id].append(name)
        current_categories = defaultdict(list)
        for chunk in chunked(existing_pks):
            for post_id, slug in Post.categories.through.objects.filter(
                post_id__in=chunk
            ).values_list("post_id", "category__slug"):
                current_categories[post_id].append(slug)
        with_originals = [posts[s.ref]["pk"] for s in sources if s.originals and s.ref in posts]
        originals = set(
            SourceText.objects.filter(post__in=with_originals).values_list("post_id", "text")
        )
        related = defaultdict(list)
        for chunk in chunked(existing_pks):
            for entry in RelatedEntry.objects.filter(post__in=chunk).order_by("position"):
                related[entry.post_id].append(
                    (entry.position, entry.published_on, entry.text, entry.url)
                )
        urls = [u for s in sources if s.fields for u in s.fields.urls + s.fields.loose_urls]
        refs = [c.ref for s in sources for c in s.comments]
        refs += [c.parent_ref for s in sources for c in s.comments if c.parent_ref]
        usernames = {c.username for s in sources for c in s.comments if c.username}
        return cls(
            posts=posts,
            posts_by_pk=by_pk,
            slugs=dict(Post.objects.values_list("slug", "pk")),
            authors=dict(Author.objects.values_list("name", "bio")),
            terms=Terms(plan.new_tags, plan.new_categories),
            current_tags=current_tags,
            current_categories=current_categories,
            originals=originals,
            urls={
                url: row["post_id"]
                for url, row in rows_by(OriginalURL, "url", urls, "post_id").items()
            },
            related=related,
            comments=rows_by(
                Comment,
                "import_ref",
                refs,
                "pk",
                "post_id",
                "parent_id",
                *COMMENT_FIELDS,
                *COMMENT_EXTRA_FIELDS,
            ),
            users=dict(
                get_user_model()
                .objects.filter(username__in=usernames, is_staff=True)
                .values_list("username", "pk")
            ),
        )

    def plan_post(self, plan: Plan, source: SourcePost, problems, *, default_author):
        if source.fields is None:
            pk = source.post_id or (self.posts.get(source.ref) or {}).get("pk")
            if pk is None:
                problems.append(
                    Problem(source.path, source.line, f"{source.label}: no post here matches it")
                )
                return None
            post_plan = PostPlan(source=source, action="comments", pk=pk)
        else:
            post_plan = self.plan_post_fields(plan, source, default_author=default_author)
            self.plan_urls(post_plan, problems)
        plan_thread(self, post_plan, problems)
        return post_plan

    def plan_post_fields(self, plan: Plan, source: SourcePost, *, default_author) -> PostPlan:
        fields = source.fields
        row = self.posts.get(source.ref)
        pk = row["pk"] if row else None
        author = (fields.author_name or default_author).strip()[:100]
        if author not in self.authors and author not in plan.new_authors:
            plan.new_authors[author] = (fields.author_bio, fields.author_slug)
        elif fields.author_bio and author in plan.new_authors:
            bio, slug = plan.new_authors[author]
            plan.new_authors[author] = (bio or fields.author_bio, slug)
        elif fields.author_bio and not self.authors[author]:
            plan.author_bios.setdefault(author, fields.author_bio)
        values = {name: getattr(fields, name) for name in POST_FIELDS}
        values["slug"] = self.unique_slug(fields.slug, pk)
        if fields.undated and row is not None:
            values["published_at"] = row["published_at"]  # dated by its first import
        post_plan = PostPlan(
            source=source,
            action="create",
            pk=pk,
            values=values,
            author_name=author,
            parent_ref=fields.parent_ref,
        )
        post_plan.new_originals = [
            (repair, text)
            for repair, text in source.originals.items()
            if (pk, text) not in self.originals
        ]
        tag_names = self.terms.tag_names(fields.tags)
        categories = self.terms.category_slugs_for(fields.categories, self.definitions)
        if row is None:
            post_plan.tags, post_plan.related = tag_names, fields.related
            post_plan.categories = categories
            return post_plan
        post_plan.changed = [n for n in POST_FIELDS if stored_differs(n, row[n], values[n])]
        if row["author__name"] != author:
            post_plan.changed.append("author")
        if row["parent__import_ref"] != fields.parent_ref:
            post_plan.changed.append("parent")
        if set(self.current_tags.get(pk, [])) != set(tag_names):
            post_plan.tags = tag_names
            post_plan.changed.append("tags")
        if set(self.current_categories.get(pk, [])) != set(categories):
            post_plan.categories = categories
            post_plan.changed.append("categories")
        wanted = [(e.position, e.published_on, e.text, e.url) for e in fields.related or []]
        if fields.related is not None and self.related.get(pk, []) != wanted:
            post_plan.related = fields.related
            post_plan.changed.append("related entries")
        post_plan.action = "update" if post_plan.changed else "unchanged"
        return post_plan

    def unique_slug(self, slug: str, pk: int | None) -> str:
        base, n = slug or "post", 1
        while self.slugs.get(slug, pk) != pk:
            n += 1
            slug = f"{base[: 200 - len(str(n)) - 1]}-{n}"
        self.slugs[slug] = pk if pk is not None else object()  # claimed by this plan
        return slug

    def plan_urls(self, post_plan: PostPlan, problems) -> None:
        source = post_plan.source
        owner = post_plan.pk if post_plan.pk is not None else id(post_plan)
        for url in dict.fromkeys(source.fields.urls):
            if not valid(http_url, url) or len(url) > 500:
                continue
            holder = self.urls.get(url, self.claimed_urls.get(url, owner))
            if holder != owner:
                message = f"{source.label}: redirect {url} already belongs to another post"
                problems.append(Problem(source.path, source.line, message))
            elif url not in self.urls and url not in self.claimed_urls:
                self.claimed_urls[url] = owner
                post_plan.new_urls.append(url)

    def plan_loose_urls(self, post_plan: PostPlan) -> None:
        """Addresses that only name an item (WordPress's guid): a redirect unless another
        post has them; planned after every post's own addresses."""
        owner = post_plan.pk if post_plan.pk is not None else id(post_plan)
        for url in post_plan.source.fields.loose_urls:
            if not valid(http_url, url) or len(url) > 500 or url in post_plan.new_urls:
                continue
            holder = self.urls.get(url, self.claimed_urls.get(url, owner))
            if holder == owner and url not in self.urls:
                self.claimed_urls[url] = owner
                post_plan.new_urls.append(url)


def stored_differs(name: str, stored, imported) -> bool:
    # HTML stored before it was sanitised on the way in (by import_pages, or typed in
    # the admin) is unchanged when it sanitises to what the file holds.
    if name in HTML_FIELDS and stored != imported:
        return sanitize_html(stored) != imported
    return stored != imported
