"""The moderation queue: pending first, counts per status, one-click row actions."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, Count, IntegerField, When
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe

from comments import services
from comments.links import is_web_address
from comments.models import Comment, CommentEvent
from comments.moderation import count_links

Status = Comment.Status

ROW_BUTTON = '<button type="submit" class="button" formaction="{}" formmethod="post">{}</button> '

# Row buttons: action name -> (label, statuses it applies to).
ROW_ACTIONS = {
    "approve": ("Approve", {Status.PENDING}),
    "spam": ("Spam", {Status.PENDING, Status.APPROVED}),
    "remove": ("Remove", {Status.PENDING, Status.APPROVED}),
    "restore": ("Restore", {Status.SPAM, Status.REMOVED}),
}


class CommentEventInline(admin.TabularInline):
    model = CommentEvent
    fk_name = "comment"
    extra = 0
    can_delete = False
    fields = (
        "created_at",
        "action",
        "actor",
        "status_before",
        "status_after",
        "reason",
        "body_before",
        "body_after",
    )
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class StaffReplyForm(forms.Form):
    body = forms.CharField(label="Your reply", widget=forms.Textarea(attrs={"rows": 8}))


class CommentEditForm(forms.ModelForm):
    """Checks the text by the service's own rule: a refused edit is a form error."""

    def clean_body(self):
        body = self.cleaned_data["body"]
        services.validate_edited_body(body)
        return body


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    form = CommentEditForm
    list_display = (
        "excerpt",
        "post",
        "in_reply_to",
        "author",
        "ip_address",
        "links",
        "status_and_reason",
        "depth",
        "created_at",
        "moderate",
    )
    list_display_links = ("excerpt",)
    list_filter = (
        "status",
        ("post", admin.RelatedOnlyFieldListFilter),
        ("parent", admin.EmptyFieldListFilter),
        "created_at",
    )
    search_fields = ("body", "author_name", "author_email", "ip_address", "moderation_reason")
    list_select_related = ("post", "parent")
    list_per_page = 50
    list_max_show_all = 500
    actions = ["approve", "mark_spam", "remove", "restore"]
    fields = (
        "post",
        "in_reply_to",
        "author_name",
        "author_email",
        "website",
        "ip_address",
        "created_at",
        "status",
        "moderation_reason",
        "links",
        "user",
        "edited_at",
        "body",
    )
    readonly_fields = tuple(name for name in fields if name != "body")
    inlines = [CommentEventInline]

    # The queue: pending comments first, newest first within each group.
    ordering = [
        Case(When(status=Status.PENDING, then=0), default=1, output_field=IntegerField()).asc(),
        "-created_at",
        "-pk",
    ]

    def get_urls(self):
        own = [
            path(
                "<int:comment_id>/moderate/<str:action>/",
                self.admin_site.admin_view(self.moderate_view),
                name="comments_comment_moderate",
            ),
            path(
                "<int:comment_id>/reply/",
                self.admin_site.admin_view(self.reply_view),
                name="comments_comment_reply",
            ),
        ]
        return own + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        counts = dict(Comment.objects.values_list("status").annotate(n=Count("pk")).order_by())
        changelist = reverse("admin:comments_comment_changelist")
        extra_context = {
            **(extra_context or {}),
            "status_counts": [
                (label, counts.get(value, 0), f"{changelist}?status__exact={value}")
                for value, label in Status.choices
            ],
        }
        return super().changelist_view(request, extra_context)

    # Columns

    @admin.display(description="replying to")
    def in_reply_to(self, comment):
        if comment.parent_id is None:
            return "—"
        parent = comment.parent
        return format_html("#{} {}: {}", parent.pk, parent.author_name, parent.excerpt)

    @admin.display(description="author", ordering="author_name")
    def author(self, comment):
        lines = [(comment.author_name,)]
        lines += [(value,) for value in (comment.author_email, comment.author_url) if value]
        return format_html_join(mark_safe("<br>"), "{}", lines)

    @admin.display(description="website")
    def website(self, comment):
        # A link only to an http(s) address: Django's own display would link ftp: too.
        if is_web_address(comment.author_url):
            return format_html(
                '<a href="{0}" rel="noopener noreferrer">{0}</a>', comment.author_url
            )
        return comment.author_url or "—"

    @admin.display(description="links")
    def links(self, comment):
        return count_links(comment.body)

    @admin.display(description="status", ordering="status")
    def status_and_reason(self, comment):
        if comment.moderation_reason and comment.status != Status.APPROVED:
            return format_html(
                "{}<br><small>{}</small>", comment.get_status_display(), comment.moderation_reason
            )
        return comment.get_status_display()

    @admin.display(description="depth", ordering="level")
    def depth(self, comment):
        return comment.level

    @admin.display(description="moderate")
    def moderate(self, comment):
        # Buttons submit the changelist's own form (with its CSRF token) to a row URL.
        buttons = [
            (reverse("admin:comments_comment_moderate", args=[comment.pk, action]), label)
            for action, (label, statuses) in ROW_ACTIONS.items()
            if comment.status in statuses
        ]
        reply = reverse("admin:comments_comment_reply", args=[comment.pk])
        return format_html(
            '{}<a class="button" href="{}">Reply</a>',
            format_html_join("", ROW_BUTTON, buttons),
            reply,
        )

    # Permissions: nothing is ever deleted or added here; status changes go through actions.

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        services.comment_edit(comment=obj, body=form.cleaned_data["body"], actor=request.user)

    # Bulk actions

    def change_status(self, request, queryset, status, verb):
        changed = services.comments_set_status(
            comments=list(queryset), status=status, actor=request.user
        )
        self.message_user(request, f"{changed} comment(s) {verb}.", messages.SUCCESS)

    @admin.action(description="Approve selected comments", permissions=["change"])
    def approve(self, request, queryset):
        self.change_status(request, queryset, Status.APPROVED, "approved")

    @admin.action(description="Mark selected comments as spam", permissions=["change"])
    def mark_spam(self, request, queryset):
        self.change_status(request, queryset, Status.SPAM, "marked as spam")

    @admin.action(description="Remove selected comments", permissions=["change"])
    def remove(self, request, queryset):
        self.change_status(request, queryset, Status.REMOVED, "removed")

    @admin.action(
        description="Restore selected comments from spam or removed", permissions=["change"]
    )
    def restore(self, request, queryset):
        restored = services.comments_restore(comments=list(queryset), actor=request.user)
        self.message_user(request, f"{restored} comment(s) restored.", messages.SUCCESS)

    # Row views

    def moderate_view(self, request, comment_id, action):
        if request.method != "POST" or action not in ROW_ACTIONS:
            raise PermissionDenied
        comment = get_object_or_404(Comment, pk=comment_id)
        if not self.has_change_permission(request, comment):
            raise PermissionDenied
        if action == "restore":
            services.comment_restore(comment=comment, actor=request.user)
        else:
            status = {"approve": Status.APPROVED, "spam": Status.SPAM, "remove": Status.REMOVED}
            services.comment_set_status(comment=comment, status=status[action], actor=request.user)
        comment.refresh_from_db()
        self.message_user(
            request, f"Comment #{comment.pk} is now {comment.get_status_display().lower()}."
        )
        return redirect(self.back_to_queue(request))

    def back_to_queue(self, request) -> str:
        referer = request.META.get("HTTP_REFERER", "")
        if url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}):
            return referer
        return reverse("admin:comments_comment_changelist")

    def reply_view(self, request, comment_id):
        parent = get_object_or_404(Comment.objects.select_related("post"), pk=comment_id)
        if not self.has_change_permission(request, parent):
            raise PermissionDenied
        form = StaffReplyForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                reply = services.comment_reply_as_team(
                    parent=parent, body=form.cleaned_data["body"], user=request.user
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                self.message_user(
                    request, f"Your reply #{reply.pk} is published.", messages.SUCCESS
                )
                return redirect(reverse("admin:comments_comment_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Reply to comment #{parent.pk}",
            "opts": self.opts,
            "parent": parent,
            "form": form,
        }
        return TemplateResponse(request, "admin/comments/comment/reply.html", context)


@admin.register(CommentEvent)
class CommentEventAdmin(admin.ModelAdmin):
    """The audit trail, read-only: who did what to which comment, and what it was before."""

    list_display = (
        "created_at",
        "action",
        "actor",
        "comment",
        "status_before",
        "status_after",
        "reason",
    )
    list_filter = ("action", "actor", "created_at")
    search_fields = ("comment__body", "body_before", "body_after", "reason")
    list_select_related = ("actor", "comment")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
