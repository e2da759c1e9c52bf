import uuid

from django.conf import settings
from django.db import models
from django.db.models import Case, Count, Value, When
from django.db.models.functions import StrIndex, Substr
from django.db.models.lookups import GreaterThan
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from taggit.managers import TaggableManager


class Author(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    bio = models.TextField(_("bio"), blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="author_profile",
        verbose_name=_("user"),
    )

    class Meta:
        verbose_name = _("author")
        verbose_name_plural = _("authors")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("posts:author", kwargs={"slug": self.slug})


class Category(models.Model):
    """A WordPress category: hierarchical, shown apart from tags ("Posted in …")."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True, allow_unicode=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent"),
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["name", "pk"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        path = "/".join(category.slug for category in self.ancestors())
        return reverse("posts:category", kwargs={"path": path})

    def ancestors(self) -> list["Category"]:
        """Parents first, this category last (a loop in bad data is cut, not followed)."""
        chain, node = [], self
        while node is not None and node not in chain:
            chain.insert(0, node)
            node = node.parent
        return chain


class PostQuerySet(models.QuerySet):
    def visible(self, *, now=None):
        """Posts and pages anyone may open at their address: published and due (``now``:
        the moment to judge by, for prepared queries). One with a password shows its body
        and comments only with it (posts.protection)."""
        return self.filter(status=Post.Status.PUBLISHED, published_at__lte=now or timezone.now())

    def published(self, *, now=None):
        """The blog's posts, as lists, archives and feeds show them: visible, not pages."""
        return self.visible(now=now).filter(kind=Post.Kind.POST)

    def pages(self):
        """Visible pages (About, Contact…): at their own address, never in the lists."""
        return self.visible().filter(kind=Post.Kind.PAGE)

    def unprotected(self):
        """Without a password: what feeds, search, the sitemap and comment lists may show
        (lists show a protected post's title only)."""
        return self.filter(password="")

    def scheduled(self):
        """Posts set to publish themselves later: public once their time comes."""
        return self.filter(status=Post.Status.PUBLISHED, published_at__gt=timezone.now())


def attach_comment_counts(posts: list["Post"]) -> list["Post"]:
    """Give each post of a page its ``comment_count`` (public comments), in one query.

    Counted after paging on purpose: as a subquery in the page's own query, PostgreSQL
    would count the comments of every post that OFFSET skips, too (1.7 s for the last
    page of 100,000 posts in benchmarks/lists.py).
    """
    from comments.models import Comment

    counts = dict(
        Comment.objects.public()
        .filter(post__in=[post.pk for post in posts])
        .order_by()
        .values_list("post")
        .annotate(n=Count("pk"))
    )
    for post in posts:
        post.comment_count = counts.get(post.pk, 0)
    return posts


class Post(models.Model):
    """A blog post. On PostgreSQL, posts_post also has a search_document column that
    database triggers keep; it is not a field here (see posts/search/schema.py)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        PRIVATE = "private", _("Private")  # for the blog team only, as in WordPress

    class Kind(models.TextChoices):
        POST = "post", _("Post")
        PAGE = "page", _("Page")

    title = models.CharField(_("title"), max_length=300)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    author = models.ForeignKey(
        Author, on_delete=models.PROTECT, related_name="posts", verbose_name=_("author")
    )
    lede = models.TextField(
        _("lede"), blank=True, help_text=_("The standfirst shown under the title.")
    )
    body = models.TextField(_("body"), blank=True, help_text=_("HTML; sanitised when shown."))
    coi = models.CharField(
        _("conflict of interest"),
        max_length=500,
        blank=True,
        help_text=_('Shown as "CoI: …".'),
    )
    postscript = models.TextField(
        _("postscript"), blank=True, help_text=_("HTML shown after the CoI line.")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    kind = models.CharField(
        _("kind"),
        max_length=10,
        choices=Kind.choices,
        default=Kind.POST,
        help_text=_("A page (About, Contact…) has its own address and is not listed with posts."),
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="subpages",
        limit_choices_to={"kind": "page"},
        verbose_name=_("parent"),
        help_text=_("For a page: the page it sits under (its address starts with that one's)."),
    )
    password = models.CharField(
        _("password"),
        max_length=255,
        blank=True,
        help_text=_(
            "Readers must give it to see the body and comments; the post stays out "
            "of feeds, search and the sitemap."
        ),
    )
    published_at = models.DateTimeField(_("published at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    comments_open = models.BooleanField(_("comments open"), default=True)
    # Stable identity of an imported post (its source URL), so re-imports update in place.
    import_ref = models.CharField(
        max_length=500, unique=True, null=True, blank=True, editable=False
    )

    tags = TaggableManager(blank=True)
    categories = models.ManyToManyField(
        Category, blank=True, related_name="posts", verbose_name=_("categories")
    )
    objects = PostQuerySet.as_manager()

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        ordering = ["-published_at", "-pk"]
        get_latest_by = "published_at"
        indexes = [models.Index(fields=["status", "-published_at"], name="post_status_published")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["draft", "published", "private"]),
                name="post_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=["post", "page"]), name="post_kind_valid"
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        if self.kind == self.Kind.PAGE:
            return reverse("posts:page", kwargs={"page_path": self.page_path()})
        return reverse("posts:detail", kwargs=self.permalink_kwargs())

    def page_path(self) -> str:
        """A page's address under its parents, as in WordPress: "about/our-team"."""
        slugs, node = [], self
        while node is not None and node.slug not in slugs:
            slugs.insert(0, node.slug)
            node = node.parent
        return "/".join(slugs)

    def permalink_kwargs(self) -> dict:
        published = timezone.localtime(self.published_at)
        return {
            "year": published.year,
            "month": published.month,
            "day": published.day,
            "slug": self.slug,
        }

    def get_comments_feed_url(self) -> str:
        """A post's comment feed; pages and protected posts have none."""
        if self.kind == self.Kind.PAGE or self.password:
            return ""
        return reverse("posts:post-comments-feed", kwargs=self.permalink_kwargs())

    def get_comments_page_url(self, number: int) -> str:
        """Page ``number`` of the comment thread; page 1 is the post's own address."""
        if number <= 1:
            return self.get_absolute_url()
        if self.kind == self.Kind.PAGE:
            return f"{self.get_absolute_url()}comment-page-{number}/"
        kwargs = {**self.permalink_kwargs(), "cpage": number}
        return reverse("posts:detail-comment-page", kwargs=kwargs)

    @cached_property
    def tag_list(self) -> list:
        """The post's tags, read once (from a prefetch when the list page made one; the
        post page sets it from its own query)."""
        return list(self.tags.all())

    @cached_property
    def related_entry_list(self) -> list:
        """ "Other relevant posts of interest", read once (set by the post page)."""
        return list(self.related_entries.all())

    @property
    def is_published(self):
        return self.status == self.Status.PUBLISHED and self.published_at <= timezone.now()


def url_path_and_query(field: str):
    """SQL for the part of an absolute URL from the first "/" after the host: "/a/b?c"."""
    after_scheme = Substr(field, StrIndex(field, Value("://")) + 3)
    slash = StrIndex(after_scheme, Value("/"))
    return Case(
        When(GreaterThan(slash, 0), then=Substr(after_scheme, slash)),
        default=Value("/"),
        output_field=models.CharField(),
    )


class OriginalURL(models.Model):
    """An address the post had on an earlier platform."""

    post = models.ForeignKey(
        Post, on_delete=models.CASCADE, related_name="original_urls", verbose_name=_("post")
    )
    url = models.URLField(_("URL"), max_length=500, unique=True)
    # Old links are looked up by path (posts.redirects); the database derives it from
    # url, so imports, fixtures and bulk writes can never leave it out of date.
    path = models.GeneratedField(
        expression=url_path_and_query("url"),
        output_field=models.CharField(max_length=500),
        db_persist=True,
        db_index=True,
        serialize=False,
    )

    class Meta:
        verbose_name = _("original URL")
        verbose_name_plural = _("original URLs")
        ordering = ["pk"]

    def __str__(self):
        return self.url


class RelatedEntry(models.Model):
    """One line of the hand-written "Other relevant posts of interest" block."""

    post = models.ForeignKey(
        Post, on_delete=models.CASCADE, related_name="related_entries", verbose_name=_("post")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    published_on = models.DateField(_("published on"), null=True, blank=True)
    text = models.TextField(_("text"))
    url = models.URLField(_("URL"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("other relevant post")
        verbose_name_plural = _("other relevant posts")
        ordering = ["post", "position"]
        constraints = [
            models.UniqueConstraint(fields=["post", "position"], name="related_entry_position")
        ]

    def __str__(self):
        return self.text[:80]


class SourceText(models.Model):
    """An imported post's source as it was, kept where the import repaired it (a capture
    read in the wrong encoding, mended by ftfy): nothing captured is ever lost."""

    post = models.ForeignKey(
        Post, on_delete=models.CASCADE, related_name="source_texts", verbose_name=_("post")
    )
    text = models.TextField(_("text"))
    repair = models.CharField(_("repair"), max_length=300, help_text=_("What the import changed."))
    imported_at = models.DateTimeField(_("imported at"), default=timezone.now)

    class Meta:
        verbose_name = _("source text")
        verbose_name_plural = _("source texts")
        ordering = ["post", "pk"]

    def __str__(self):
        return f"{self.post}: {self.repair}"


class ContentVersion(models.Model):
    """One row, the version of everything readers can see (see posts.caching).

    Every write that changes a public page gives it a new random token inside its own
    transaction, so the new version becomes visible exactly when the change does. Random,
    not a counter: a restored backup must never reuse a version that meant other content.
    """

    token = models.UUIDField(default=uuid.uuid4)
    changed_at = models.DateTimeField(default=timezone.now)
    # When the clock alone will change a page (a scheduled post goes public, a post's
    # comments close), so that readers know the version has run out.
    next_change_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"content version {self.token} ({self.changed_at:%Y-%m-%d %H:%M:%S})"
