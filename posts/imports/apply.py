"""Write a plan in one transaction.

New threads are built in memory and bulk-inserted a level at a time across many posts
(comments.bulk); a new reply under a comment that is already in the database goes
through comments.services.comment_import, which inserts it under the tree lock.
Every new comment gets its "imported" audit event, as comment_import gives it.
"""

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from taggit.models import Tag, TaggedItem

from comments.bulk import NewComment, bulk_create_forest
from comments.models import Comment, CommentEvent
from comments.services import comment_edit, comment_import
from posts.caching import content_changed
from posts.imports.plan import Plan, PostPlan
from posts.imports.progress import Progress
from posts.imports.records import SourceComment
from posts.models import Author, Category, OriginalURL, Post, RelatedEntry, SourceText

BATCH = 1000  # rows per INSERT
FLUSH = 20_000  # new comments held in memory before they are written


def apply_plan(plan: Plan, *, progress: Progress | None = None) -> bool:
    """Write ``plan``; False, touching nothing, when it changes no row (so cached pages
    stay valid after a re-import that found nothing new)."""
    if not plan.changes_anything():
        return False
    with transaction.atomic():
        content_changed()
        authors = ensure_authors(plan)
        tags = ensure_tags(plan)
        categories = ensure_categories(plan)
        writer = CommentWriter()
        counter = (
            progress.counter(total=len(plan.posts), desc="importing", unit="post")
            if progress
            else None
        )
        for start in range(0, len(plan.posts), BATCH):
            chunk = plan.posts[start : start + BATCH]
            write_posts(chunk, authors, tags, categories)
            for post_plan in chunk:
                writer.add(post_plan)
            writer.flush(force=False)
            if counter:
                counter.update(len(chunk))
        link_parents(plan)
        writer.flush(force=True)
        writer.graft()
        content_changed()  # again, now that the posts are written: see posts.caching
    if counter:
        counter.close()
    return True


def ensure_authors(plan: Plan) -> dict[str, Author]:
    for name, (bio, slug_hint) in plan.new_authors.items():
        Author.objects.create(name=name, slug=unique_author_slug(slug_hint or name), bio=bio)
    for name, bio in plan.author_bios.items():
        Author.objects.filter(name=name, bio="").update(bio=bio)
    names = {p.author_name for p in plan.posts if p.author_name}
    return {a.name: a for a in Author.objects.filter(name__in=names)}


def unique_author_slug(name: str) -> str:
    """A free slug for a new author: the source's login if it makes one, else the name."""
    base = slugify(name)[:90] or "author"
    slug, n = base, 1
    while Author.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def ensure_tags(plan: Plan) -> dict[str, Tag]:
    Tag.objects.bulk_create(
        [Tag(name=name, slug=slug) for name, slug in plan.new_tags.values()], batch_size=BATCH
    )
    names = {name for p in plan.posts for name in p.tags or ()}
    found: dict[str, Tag] = {}
    for start in range(0, len(names), BATCH):
        chunk = list(names)[start : start + BATCH]
        found.update((tag.name, tag) for tag in Tag.objects.filter(name__in=chunk))
    return found


def ensure_categories(plan: Plan) -> dict[str, Category]:
    """New categories, parents first (the plan lists them so), and every slug in use."""
    for slug, definition in plan.new_categories.items():
        parent = Category.objects.filter(slug=definition.parent_slug).first()
        Category.objects.create(
            slug=slug,
            name=definition.name,
            description=definition.description,
            parent=parent,
        )
    slugs = {slug for p in plan.posts for slug in p.categories or ()}
    return {c.slug: c for c in Category.objects.filter(slug__in=slugs)}


def link_parents(plan: Plan) -> None:
    """Each page under its parent page, once every post of the plan has its row."""
    wanted = {p.pk: p.parent_ref for p in plan.posts if p.values and p.action != "unchanged"}
    refs = {ref for ref in wanted.values() if ref}
    by_ref = {p.source.ref: p.pk for p in plan.posts}
    missing = refs - by_ref.keys()
    if missing:
        by_ref.update(Post.objects.filter(import_ref__in=missing).values_list("import_ref", "pk"))
    for pk, ref in wanted.items():
        Post.objects.filter(pk=pk).update(parent_id=by_ref.get(ref) if ref else None)


def write_posts(chunk: list[PostPlan], authors, tags, categories) -> None:
    created = [p for p in chunk if p.action == "create"]
    posts = [
        Post(
            **p.values,
            author=authors[p.author_name],
            updated_at=p.source.fields.updated_at or p.values["published_at"],
            import_ref=p.source.ref,
        )
        for p in created
    ]
    Post.objects.bulk_create(posts, batch_size=BATCH)
    for post_plan, post in zip(created, posts, strict=True):
        post_plan.pk = post.pk
    content_type = ContentType.objects.get_for_model(Post)
    tagged, urls, related, filed, originals = [], [], [], [], []
    Filed = Post.categories.through
    for p in chunk:
        if p.action == "update":
            update = {k: v for k, v in p.values.items() if k in p.changed}
            Post.objects.filter(pk=p.pk).update(
                **update, author=authors[p.author_name], updated_at=timezone.now()
            )
        if p.tags is not None:
            if p.action != "create":
                TaggedItem.objects.filter(content_type=content_type, object_id=p.pk).delete()
            tagged += [
                TaggedItem(tag=tags[name], content_type=content_type, object_id=p.pk)
                for name in p.tags
            ]
        if p.categories is not None:
            if p.action != "create":
                Filed.objects.filter(post_id=p.pk).delete()
            filed += [Filed(post_id=p.pk, category=categories[slug]) for slug in p.categories]
        urls += [OriginalURL(post_id=p.pk, url=url) for url in p.new_urls]
        originals += [
            SourceText(post_id=p.pk, text=text, repair=repair[:300])
            for repair, text in p.new_originals
        ]
        if p.related is not None:
            if p.action != "create":
                RelatedEntry.objects.filter(post_id=p.pk).delete()
            related += [
                RelatedEntry(
                    post_id=p.pk,
                    position=e.position,
                    published_on=e.published_on,
                    text=e.text,
                    url=e.url,
                )
                for e in p.related
            ]
    TaggedItem.objects.bulk_create(tagged, batch_size=BATCH)
    Filed.objects.bulk_create(filed, batch_size=BATCH)
    OriginalURL.objects.bulk_create(urls, batch_size=BATCH)
    RelatedEntry.objects.bulk_create(related, batch_size=BATCH)
    SourceText.objects.bulk_create(originals, batch_size=BATCH)


class CommentWriter:
    """Collects new threads across posts and writes them in large batches."""

    def __init__(self):
        self.items: list[NewComment] = []
        self.sources: list[SourceComment] = []  # what each item was read from
        self.grafts: list[PostPlan] = []

    def add(self, post_plan: PostPlan) -> None:
        positions: dict[int, int] = {}  # index in post_plan.comments -> index in self.items
        for index, planned in enumerate(post_plan.comments):
            if planned.action == "update":
                update_comment(planned.pk, dict(planned.changes))
            if planned.action != "create":
                continue
            if planned.grafted:
                if not self.grafts or self.grafts[-1] is not post_plan:
                    self.grafts.append(post_plan)
                continue
            positions[index] = len(self.items)
            parent = None if planned.parent_index is None else positions[planned.parent_index]
            self.items.append(NewComment({**planned.fields, "post_id": post_plan.pk}, parent))
            self.sources.append(planned.source)

    def flush(self, *, force: bool) -> None:
        if not self.items or (len(self.items) < FLUSH and not force):
            return
        comments = bulk_create_forest(self.items, batch_size=BATCH)
        CommentEvent.objects.bulk_create(
            [imported_event(c, source) for c, source in zip(comments, self.sources, strict=True)],
            batch_size=BATCH,
        )
        self.items, self.sources = [], []

    def graft(self) -> None:
        """New replies under comments that were already here, one at a time."""
        for post_plan in self.grafts:
            post = Post.objects.get(pk=post_plan.pk)
            saved: dict[int, Comment] = {}
            for index, planned in enumerate(post_plan.comments):
                if planned.action != "create" or not planned.grafted:
                    continue
                if planned.parent_index in saved:
                    parent = saved[planned.parent_index]
                else:
                    parent = Comment.objects.get(pk=planned.parent_pk)
                fields = dict(planned.fields)
                comment, _ = comment_import(
                    post=post, parent=parent, import_ref=fields.pop("import_ref"), **fields
                )
                event = imported_event(comment, planned.source)
                CommentEvent.objects.filter(comment=comment, action=event.action).update(
                    status_before=event.status_before,
                    body_before=event.body_before,
                    reason=event.reason,
                )
                saved[index] = comment


def imported_event(comment: Comment, source: SourceComment) -> CommentEvent:
    """The "imported" entry of a comment's history. A spam or removed comment records
    the status it had before, so restoring it returns it there; a text the import
    repaired keeps the captured one as the text before."""
    return CommentEvent(
        comment_id=comment.pk,
        action=CommentEvent.Action.IMPORTED,
        status_before=source.status_before,
        status_after=comment.status,
        body_before=source.original,
        body_after=comment.body,
        reason="text repaired on import (mojibake); the captured text is the text before"
        if source.original
        else "",
    )


def update_comment(pk: int, changes: dict) -> None:
    """Re-imported text goes through comment_edit, so the audit trail keeps the old."""
    comment = Comment.objects.get(pk=pk)
    if changes.get("body", "").strip():  # comment_edit refuses an empty text
        comment_edit(comment=comment, body=changes.pop("body"), reason="re-import")
    if changes:
        Comment.objects.filter(pk=pk).update(**changes)
