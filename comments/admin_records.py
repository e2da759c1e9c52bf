"""The desk's records in the admin, read-only or nearly: the audit log, every moderator
action (each undoable) and the block list."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from comments import queue, services
from comments.admin_filters import StaffActorFilter
from comments.models import BlockedSender, CommentEvent, ModerationBatch
from msblog.adminlists import ForgivingListMixin

ADMIN_CSS = {"all": ["css/admin.css"]}


@admin.register(CommentEvent)
class CommentEventAdmin(ForgivingListMixin, admin.ModelAdmin):
    """The audit trail, read-only: who did what to which comment, and what it was before."""

    class Media:
        css = ADMIN_CSS

    list_display = (
        "created_at",
        "action",
        "by",
        "comment",
        "before",
        "after",
        "reason",
        "part_of",
    )
    list_filter = ("action", StaffActorFilter, "created_at")
    search_fields = ("comment__body", "body_before", "body_after", "reason")
    list_select_related = ("actor", "comment")
    date_hierarchy = "created_at"
    fields = (
        "created_at",
        "action",
        "by",
        "comment",
        "status_before",
        "status_after",
        "reason",
        "reason_before",
        "part_of",
        "body_before",
        "body_after",
    )
    readonly_fields = fields

    @admin.display(description=pgettext_lazy("who acted", "by"), ordering="actor")
    def by(self, event):
        return queue.staff_name(event.actor)

    @admin.display(description=_("status before"), ordering="status_before")
    def before(self, event):
        return queue.status_label(event.status_before)

    @admin.display(description=_("status after"), ordering="status_after")
    def after(self, event):
        return queue.status_label(event.status_after)

    @admin.display(description=_("action #"), ordering="batch")
    def part_of(self, event):
        return f"#{event.batch_id}" if event.batch_id else "—"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ModerationBatch)
class ModerationBatchAdmin(ForgivingListMixin, admin.ModelAdmin):
    """Every moderator action, newest first; any not yet undone can be undone here."""

    class Media:
        css = ADMIN_CSS

    list_display = ("created_at", "by", "what", "undo")
    list_display_links = None
    list_select_related = ("actor", "undone_by", "undo_of")
    search_fields = ("summary",)
    date_hierarchy = "created_at"
    actions = None

    @admin.display(description=pgettext_lazy("who acted", "by"), ordering="actor")
    def by(self, batch):
        return queue.staff_name(batch.actor)

    @admin.display(description=_("summary"), ordering="summary")
    def what(self, batch):
        return batch.summary

    @admin.display(description=_("undo"))
    def undo(self, batch):
        if batch.undo_of_id:
            return gettext("undid action #%(number)s") % {"number": batch.undo_of_id}
        if hasattr(batch, "undone_by"):
            return gettext("undone by action #%(number)s") % {"number": batch.undone_by.pk}
        url = reverse("admin:comments_comment_undo", args=[batch.pk])
        return format_html(
            '<button type="submit" class="button" formaction="{}" formmethod="post">'
            '{}<span class="visually-hidden"> {}</span></button>',
            url,
            gettext("Undo"),
            gettext("action #%(number)s") % {"number": batch.pk},
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class BlockedSenderForm(forms.ModelForm):
    class Meta:
        model = BlockedSender
        fields = ("kind", "value", "note")

    def clean(self):
        cleaned = super().clean()
        if "kind" in cleaned and "value" in cleaned:
            try:
                cleaned["value"] = services.block_value(cleaned["kind"], cleaned["value"])
            except ValidationError as exc:
                self.add_error("value", exc)
        return cleaned


@admin.register(BlockedSender)
class BlockedSenderAdmin(ForgivingListMixin, admin.ModelAdmin):
    """The block list: comments from these emails or IP addresses, or with these words,
    go to spam. Rows' "Block" actions add to it; deleting an entry lifts the block."""

    form = BlockedSenderForm

    class Media:
        css = ADMIN_CSS

    list_display = ("value", "kind", "note", "added_by", "created_at")
    list_filter = ("kind",)
    search_fields = ("value", "note")
    list_select_related = ("created_by",)

    @admin.display(description=_("added by"), ordering="created_by")
    def added_by(self, entry):
        return queue.staff_name(entry.created_by) if entry.created_by_id else "—"

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
