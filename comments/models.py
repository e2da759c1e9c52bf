from django.conf import settings
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from mptt.managers import TreeManager
from mptt.models import MPTTModel, TreeForeignKey
from mptt.querysets import TreeQuerySet

from comments.markup import comment_excerpt, render_comment_html
from posts.models import Post

HIDING_STATUSES = ("pending", "spam")  # a comment in these hides its whole branch


class CommentQuerySet(TreeQuerySet):
    def public(self):
        """Comments anyone may read and count: approved, not stand-ins, and not in a branch
        that a pending or spam comment hides (a removed one leaves a placeholder)."""
        hidden_ancestor = Comment.objects.filter(
            tree_id=OuterRef("tree_id"),
            lft__lt=OuterRef("lft"),
            rght__gt=OuterRef("rght"),
            status__in=HIDING_STATUSES,
        )
        return self.filter(status=Comment.Status.APPROVED, placeholder=False).exclude(
            Exists(hidden_ancestor)
        )

    def readable(self, *, now=None):
        """Public comments on published posts and pages without a password: what lists
        outside a post page may show (sidebar, feeds, search, comment links)."""
        return self.public().filter(post__in=Post.objects.visible(now=now).unprotected())

    def in_thread(self, *, own_pending_ids=()):
        """Rows a thread is drawn from: public comments, removed ones and stand-ins (shown
        as placeholders only when they hold up public replies), and the viewer's own
        pending comments."""
        condition = Q(status__in=[Comment.Status.APPROVED, Comment.Status.REMOVED])
        if own_pending_ids:
            condition |= Q(status=Comment.Status.PENDING, pk__in=list(own_pending_ids))
        return self.filter(condition)

    def thread_roots(self, *, own_pending_ids=()):
        """Top-level comments that start a thread on the page: what pages are counted in."""
        return self.filter(parent=None).in_thread(own_pending_ids=own_pending_ids)

    def by_author_email(self, email: str):
        return self.filter(author_email__iexact=email) if email else self.none()

    def known_author(self, email: str) -> bool:
        """Whether this email already has an approved comment."""
        return self.by_author_email(email).filter(status=Comment.Status.APPROVED).exists()

    def in_tree_order(self):
        return self.order_by("tree_id", "lft")


class Comment(MPTTModel):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        SPAM = "spam", _("Spam")
        REMOVED = "removed", _("Removed")

    post = models.ForeignKey(
        Post, on_delete=models.PROTECT, related_name="comments", verbose_name=_("post")
    )
    parent = TreeForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    author_name = models.CharField(_("name"), max_length=100, default="Anonymous")
    author_email = models.EmailField(_("email"), blank=True)
    author_url = models.URLField(
        _("website"),
        max_length=500,
        blank=True,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text=_("An http:// or https:// address."),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="comments",
        verbose_name=_("user"),
        help_text=_("Set when a member of the blog team wrote the comment."),
    )
    body = models.TextField(
        _("body"),
        help_text=_(
            "As the commenter typed it: plain text with a little markup (README "
            '"Comments"); blank lines separate paragraphs.'
        ),
    )
    # The HTML readers see, rendered from body once when it is written (comments.markup).
    body_html = models.TextField(editable=False, default="")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    moderation_reason = models.CharField(
        _("moderation reason"),
        max_length=200,
        blank=True,
        help_text=_("Why the comment was held or marked as spam."),
    )
    notify_replies = models.BooleanField(
        _("notify of replies"),
        default=False,
        help_text=_("Email the author when a reply is approved."),
    )
    parent_notified = models.BooleanField(
        _("parent notified"),
        default=False,
        editable=False,
        help_text=_("The parent's author was told of this reply."),
    )
    edited_at = models.DateTimeField(
        _("edited at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Last edit by a moderator."),
    )
    placeholder = models.BooleanField(
        _("placeholder"),
        default=False,
        editable=False,
        help_text=_("Stands in for a comment missing from an imported page; never counted."),
    )
    import_ref = models.CharField(
        max_length=500, unique=True, null=True, blank=True, editable=False
    )

    objects = TreeManager.from_queryset(CommentQuerySet)()

    class MPTTMeta:
        order_insertion_by = []

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["tree_id", "lft"]
        indexes = [
            models.Index(fields=["post", "tree_id", "lft"], name="comment_thread"),
            models.Index(fields=["post", "status"], name="comment_post_status"),
            models.Index(fields=["status", "-created_at"], name="comment_status_created"),
            # Keeps public()'s hidden-ancestor check to the few hidden nodes of a tree.
            models.Index(
                fields=["tree_id", "lft", "rght"],
                condition=Q(status__in=HIDING_STATUSES),
                name="comment_hiding_nodes",
            ),
            # Matches author_email__iexact lookups (known authors, privacy commands).
            models.Index(Upper("author_email"), "status", name="comment_email_status"),
            # The moderation queue's counts and filter by IP address.
            models.Index(fields=["ip_address", "status"], name="comment_ip_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "approved", "spam", "removed"]),
                name="comment_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(parent=models.F("pk")), name="comment_not_own_parent"
            ),
        ]

    def __str__(self):
        # No author name: Django copies this into its admin log (LogEntry.object_repr),
        # which outlives the comment's own personal data (see README "Privacy").
        return f"#{self.pk}: {self.excerpt}"

    @property
    def excerpt(self):
        """The comment's own words on one line, as readers see them (without markup)."""
        return comment_excerpt(self.body_html or render_comment_html(self.body))

    def get_absolute_url(self):
        """The comment's permalink, which redirects to the right page of its thread."""
        return reverse("comments:permalink", args=[self.pk])


class CommentEvent(models.Model):
    """One entry of a comment's audit trail: who did what, and what it was before."""

    class Action(models.TextChoices):
        CREATED = "created", _("Created")
        IMPORTED = "imported", _("Imported")
        APPROVED = "approved", _("Approved")
        SPAM = "spam", _("Marked as spam")
        REMOVED = "removed", _("Removed")
        RESTORED = "restored", _("Restored")
        EDITED = "edited", _("Edited")
        ERASED = "erased", _("Personal data erased")
        UNAPPROVED = "unapproved", _("Unapproved")
        UNDONE = "undone", _("Undone")

    comment = models.ForeignKey(
        Comment, on_delete=models.PROTECT, related_name="events", verbose_name=_("comment")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("actor"),
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    status_before = models.CharField(_("status before"), max_length=10, blank=True)
    status_after = models.CharField(_("status after"), max_length=10, blank=True)
    body_before = models.TextField(_("text before"), blank=True)
    body_after = models.TextField(_("text after"), blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    reason_before = models.CharField(
        _("moderation reason before"),
        max_length=200,
        blank=True,
        help_text=_("The comment's hold or spam reason before this entry, for undo."),
    )
    batch = models.ForeignKey(
        "ModerationBatch",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("moderation action"),
        help_text=_("The moderator's action this entry is part of."),
    )

    class Meta:
        verbose_name = _("comment event")
        verbose_name_plural = _("comment events")
        ordering = ["comment", "created_at", "pk"]

    def __str__(self):
        return f"{self.get_action_display()} #{self.comment_id}"


class ModerationBatch(models.Model):
    """One moderator's action, on one comment or many: the comment events, blocks and trust
    it recorded, so that Undo can reverse all of it at once."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("actor"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    summary = models.CharField(_("summary"), max_length=300)
    comment = models.ForeignKey(
        Comment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("comment"),
        help_text=_("The comment the moderator acted on (the first, for a bulk action)."),
    )
    undo_of = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="undone_by",
        verbose_name=_("undo of"),
        help_text=_("The action this one reversed."),
    )

    class Meta:
        verbose_name = _("moderation action")
        verbose_name_plural = _("moderation actions")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["actor", "-created_at"], name="batch_actor_created")]

    def __str__(self):
        return f"#{self.pk} {self.summary}"


class BlockedSenderQuerySet(models.QuerySet):
    def matching(self, *, email: str, ip_address):
        """Entries that refuse this sender: their email, their IP, or any listed word."""
        condition = Q(kind=BlockedSender.Kind.WORD)
        if email:
            condition |= Q(kind=BlockedSender.Kind.EMAIL, value=email.strip().lower())
        if ip_address:
            condition |= Q(kind=BlockedSender.Kind.IP, value=str(ip_address))
        return self.filter(condition)


class BlockedSender(models.Model):
    """The block list moderators keep: a comment from a listed email or IP address, or
    with a listed word, goes to spam (COMMENTS_BLOCK_WORDS adds words from settings)."""

    class Kind(models.TextChoices):
        EMAIL = "email", _("Email address")
        IP = "ip", _("IP address")
        WORD = "word", _("Word or phrase")

    kind = models.CharField(_("kind"), max_length=5, choices=Kind.choices)
    value = models.CharField(_("value"), max_length=254)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("created by"),
    )
    batch = models.ForeignKey(
        ModerationBatch,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="blocks",
        editable=False,
    )

    objects = BlockedSenderQuerySet.as_manager()

    class Meta:
        verbose_name = _("block list entry")
        verbose_name_plural = _("block list")
        ordering = ["kind", "value"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="blocked_sender_unique"),
            models.CheckConstraint(
                condition=Q(kind__in=["email", "ip", "word"]), name="blocked_sender_kind_valid"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.value}"


class Commenter(models.Model):
    """A commenter known by email address: whether they confirmed it through the signed
    link they were sent, and whether a moderator trusts them (see comments.trust)."""

    email = models.EmailField(unique=True)  # stored lower-case
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    trusted_at = models.DateTimeField(null=True, blank=True)
    trusted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    trust_batch = models.ForeignKey(
        ModerationBatch, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("commenter")
        verbose_name_plural = _("commenters")

    def __str__(self):
        return self.email


class SentMail(models.Model):
    """One email the site sends once (a moderation notice, a reply notification), so a task
    run again after its worker died does not mail twice (comments.notifications.send_once).

    A row is a claim before the send and a record after it (``sent_at``). The task that
    claimed it (``sender``) may send again only while ``sent_at`` is empty: its worker
    died mid-send, and mail is delivered at least once rather than lost.
    """

    key = models.CharField(max_length=100, unique=True)
    sender = models.CharField(max_length=64, blank=True, help_text=_("The task that sends it."))
    claimed_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sent email")
        verbose_name_plural = _("sent emails")

    def __str__(self):
        return self.key


class Subscription(models.Model):
    """Someone following a post's discussion by email (comments.following)."""

    class Mode(models.TextChoices):
        EACH = "each", _("Each new comment")
        DAILY = "daily", _("A daily digest")

    post = models.ForeignKey(
        Post, on_delete=models.CASCADE, related_name="subscriptions", verbose_name=_("post")
    )
    email = models.EmailField(_("email"))
    mode = models.CharField(_("mode"), max_length=5, choices=Mode.choices, default=Mode.EACH)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    confirmed_at = models.DateTimeField(
        _("confirmed at"),
        null=True,
        blank=True,
        help_text=_("When its owner confirmed; nothing is sent before."),
    )
    digest_sent_until = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text=_("Comments approved up to this moment were in a digest already."),
    )

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [
            models.UniqueConstraint(Upper("email"), "post", name="subscription_once_per_post"),
            models.CheckConstraint(
                condition=Q(mode__in=["each", "daily"]), name="subscription_mode_valid"
            ),
        ]
        indexes = [models.Index(fields=["post", "mode"], name="subscription_post_mode")]

    def __str__(self):
        follows = gettext("%(email)s follows “%(post)s” (%(mode)s)")
        return follows % {
            "email": self.email,
            "post": self.post,
            "mode": self.get_mode_display().lower(),
        }
