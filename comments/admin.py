from django.contrib import admin, messages

from comments import services
from comments.models import Comment, CommentEvent


class CommentEventInline(admin.TabularInline):
    model = CommentEvent
    extra = 0
    can_delete = False
    fields = (
        "created_at",
        "action",
        "actor",
        "status_before",
        "status_after",
        "body_before",
        "reason",
    )
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("excerpt", "post", "author_name", "status", "depth", "created_at")
    list_filter = ("status", ("post", admin.RelatedOnlyFieldListFilter))
    search_fields = ("body", "author_name", "author_email", "ip_address")
    list_select_related = ("post",)
    date_hierarchy = "created_at"
    actions = ["approve", "mark_spam", "remove"]
    fields = (
        "post",
        "parent",
        "author_name",
        "author_email",
        "author_url",
        "ip_address",
        "created_at",
        "status",
        "user",
        "body",
    )
    readonly_fields = tuple(name for name in fields if name != "body")
    inlines = [CommentEventInline]

    @admin.display(description="depth", ordering="level")
    def depth(self, comment):
        return comment.level

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # Nothing is ever deleted: removal and spam are statuses, kept with their history.
        return False

    def save_model(self, request, obj, form, change):
        services.comment_edit(comment=obj, body=form.cleaned_data["body"], actor=request.user)

    def change_status(self, request, queryset, status, verb):
        changed = services.comments_set_status(
            comments=list(queryset), status=status, actor=request.user
        )
        self.message_user(request, f"{changed} comment(s) {verb}.", messages.SUCCESS)

    @admin.action(description="Approve selected comments", permissions=["change"])
    def approve(self, request, queryset):
        self.change_status(request, queryset, Comment.Status.APPROVED, "approved")

    @admin.action(description="Mark selected comments as spam", permissions=["change"])
    def mark_spam(self, request, queryset):
        self.change_status(request, queryset, Comment.Status.SPAM, "marked as spam")

    @admin.action(description="Remove selected comments", permissions=["change"])
    def remove(self, request, queryset):
        self.change_status(request, queryset, Comment.Status.REMOVED, "removed")
