"""The moderation desk: the queue, the comment's page and its history, the audit log, the
moderators' past actions (each undoable) and the block list.

Every write goes through comments.services; what a row shows comes from comments.queue.
"""

import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_ipv46_address
from django.db.models import Case, Exists, IntegerField, OuterRef, When
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme

from comments import batches, queue, services
from comments.models import BlockedSender, Comment, CommentEvent, ModerationBatch
from comments.moderation import forbidden_character
from msblog.adminlists import ForgivingListMixin

Status = Comment.Status
UNDO_WINDOW = datetime.timedelta(minutes=30)  # how long the queue offers Undo for
ADMIN_CSS = {"all": ["css/admin.css"]}
BULK_ACTIONS = {
    "approve": ("approve", "Approve selected comments"),
    "unapprove": ("unapprove", "Unapprove selected comments"),
    "mark_spam": ("spam", "Mark selected comments as spam"),
    "remove": ("remove", "Remove selected comments"),
    "restore": ("restore", "Restore selected comments from spam or removed"),
}


class SenderFilter(admin.ListFilter):
    """Comments by one sender (?author_email=, ?ip_address=, ?author_name=), as each row's
    author links ask; shown as the active filter with a way back to everyone."""

    title = "sender"
    template = "admin/comments/comment/_sender_filter.html"
    LOOKUPS = {
        "author_email": ("email", "author_email__iexact"),
        "ip_address": ("IP address", "ip_address"),
        "author_name": ("name", "author_name__iexact"),
    }

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.values = {}
        for name in self.LOOKUPS:
            if name in params:
                value = params.pop(name)
                self.values[name] = self.clean(
                    name, value[-1] if isinstance(value, list) else value
                )

    @staticmethod
    def clean(name: str, value: str) -> str:
        value = value.strip()
        if bad := forbidden_character(value, allow_newlines=False):
            raise ValidationError(f"it contains a control character ({bad}).")
        if name == "ip_address":
            validate_ipv46_address(value)
        if len(value) > 254:
            raise ValidationError("it is longer than any address or name.")
        return value

    def has_output(self):
        return True  # else Django would drop the parameters unapplied

    def expected_parameters(self):
        return list(self.LOOKUPS)

    def queryset(self, request, queryset):
        lookups = {self.LOOKUPS[name][1]: value for name, value in self.values.items()}
        return queryset.filter(**lookups)

    def choices(self, changelist):
        for name, value in self.values.items():
            yield {
                "label": f"{self.LOOKUPS[name][0]} {value}",
                "remove_url": changelist.get_query_string(remove=[name]),
            }


class ThreadPositionFilter(admin.SimpleListFilter):
    """Top-level comments or replies, under the parameter Django's empty-field filter used,
    so that earlier links keep working."""

    title = "place in thread"
    parameter_name = "parent__isempty"

    def lookups(self, request, model_admin):
        return [("1", "Top-level comments"), ("0", "Replies")]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(parent=None)
        if self.value() == "0":
            return queryset.exclude(parent=None)
        return queryset


class QueueChangeList(ChangeList):
    """The changelist, with each row's desk information built for the whole page at once."""

    def get_results(self, request):
        super().get_results(request)
        can_moderate = self.model_admin.has_change_permission(request)
        self.rows = queue.rows_for(list(self.result_list), can_moderate=can_moderate)


class StaffReplyForm(forms.Form):
    body = forms.CharField(label="Your reply", widget=forms.Textarea(attrs={"rows": 8}))


class QuickEditForm(forms.Form):
    body = forms.CharField(label="Text", widget=forms.Textarea(attrs={"rows": 10}), strip=False)

    def clean_body(self):
        body = self.cleaned_data["body"]
        services.validate_edited_body(body)
        return body


class CommentEditForm(forms.ModelForm):
    """Checks the text by the service's own rule: a refused edit is a form error."""

    def clean_body(self):
        body = self.cleaned_data["body"]
        services.validate_edited_body(body)
        return body


@admin.register(Comment)
class CommentAdmin(ForgivingListMixin, admin.ModelAdmin):
    form = CommentEditForm
    list_display = ("created_at",)  # the rows are drawn by change_list_results.html
    list_display_links = None
    list_filter = (
        SenderFilter,
        "status",
        ("post", admin.RelatedOnlyFieldListFilter),
        ThreadPositionFilter,
        "created_at",
    )
    search_fields = ("body", "author_name", "author_email", "ip_address", "moderation_reason")
    list_select_related = ("post", "parent")
    list_per_page = 50
    list_max_show_all = 500
    actions = list(BULK_ACTIONS)
    fields = (
        "post",
        "in_reply_to",
        "author_name",
        "author_email",
        "author_url",
        "ip_address",
        "created_at",
        "status",
        "moderation_reason",
        "links",
        "written_by",
        "edited_at",
        "body",
    )
    readonly_fields = tuple(name for name in fields if name != "body")

    # The queue: pending comments first, newest first within each group.
    ordering = [
        Case(When(status=Status.PENDING, then=0), default=1, output_field=IntegerField()).asc(),
        "-created_at",
        "-pk",
    ]

    def get_queryset(self, request):
        # Stand-ins hold a missing comment's place in a thread; they are not comments.
        return super().get_queryset(request).filter(placeholder=False)

    def get_changelist(self, request, **kwargs):
        return QueueChangeList

    def get_urls(self):
        def view(name, route, function):
            return path(route, self.admin_site.admin_view(function), name=name)

        own = [
            view(
                "comments_comment_moderate",
                "<int:comment_id>/moderate/<str:action>/",
                self.moderate_view,
            ),
            view("comments_comment_reply", "<int:comment_id>/reply/", self.reply_view),
            view("comments_comment_quick_edit", "<int:comment_id>/quick-edit/", self.edit_view),
            view("comments_comment_context", "<int:comment_id>/context/", self.context_view),
            view("comments_comment_undo", "undo/<int:batch_id>/", self.undo_view),
        ]
        return own + super().get_urls()

    def desk_context(self, request) -> dict:
        """What every desk page shows around its content."""
        since = timezone.now() - UNDO_WINDOW
        return {
            "undo_batch": batches.latest_undoable(request.user, since=since),
            "is_nav_sidebar_enabled": False,  # the queue needs the width
            "keyboard_keys": KEYBOARD_KEYS,
        }

    def changelist_view(self, request, extra_context=None):
        counts = queue.status_counts()
        changelist = reverse("admin:comments_comment_changelist")
        extra_context = {
            "title": "Moderate comments",
            **(extra_context or {}),
            **self.desk_context(request),
            "status_counts": [
                (label, counts.get(value, 0), f"{changelist}?status__exact={value}", value)
                for value, label in Status.choices
            ],
            "all_count": sum(counts.values()),
            "current_status": request.GET.get("status__exact", ""),
        }
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), **self.desk_context(request)}
        comment = self.get_object(request, object_id)
        if comment is not None:
            extra_context["row"] = self.row_for(request, comment)
            extra_context["events"] = audit_trail(comment)
        return super().change_view(request, object_id, form_url, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        """ "History" is the comment's audit trail: every status change and edit."""
        comment = self.get_object(request, object_id)
        if comment is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, comment):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": f"History of comment #{comment.pk}",
            "subtitle": None,
            "opts": self.opts,
            "object": comment,
            "events": audit_trail(comment),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/comments/comment/object_history.html", context)

    def row_for(self, request, comment) -> queue.QueueRow:
        can_moderate = self.has_change_permission(request, comment)
        return queue.rows_for([comment], can_moderate=can_moderate)[0]

    # Read-only fields of the change page

    @admin.display(description="replying to")
    def in_reply_to(self, comment):
        if comment.parent_id is None:
            return "—"
        if comment.parent.placeholder:
            return queue.MISSING.capitalize()
        return f"#{comment.parent.pk} {comment.parent.author_name}: {comment.parent.excerpt}"

    @admin.display(description="links")
    def links(self, comment):
        return queue.count_links(comment.body)

    @admin.display(description="written by")
    def written_by(self, comment):
        return f"{queue.staff_name(comment.user)} (blog team)" if comment.user_id else "a reader"

    # Permissions: nothing is ever deleted or added here; status changes go through actions.

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        services.comment_moderator_edit(
            comment=obj, body=form.cleaned_data["body"], actor=request.user
        )

    # Bulk actions: each is one undoable batch.

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def bulk(self, request, queryset, name):
        action, _ = BULK_ACTIONS[name]
        batch = services.comments_moderate(
            comments=list(queryset), action=action, actor=request.user
        )
        if batch is None:
            self.message_user(request, "Nothing changed.", messages.INFO)
        else:
            self.message_user(request, f"{batch.summary}.", messages.SUCCESS)

    @admin.action(description=BULK_ACTIONS["approve"][1], permissions=["change"])
    def approve(self, request, queryset):
        self.bulk(request, queryset, "approve")

    @admin.action(description=BULK_ACTIONS["unapprove"][1], permissions=["change"])
    def unapprove(self, request, queryset):
        self.bulk(request, queryset, "unapprove")

    @admin.action(description=BULK_ACTIONS["mark_spam"][1], permissions=["change"])
    def mark_spam(self, request, queryset):
        self.bulk(request, queryset, "mark_spam")

    @admin.action(description=BULK_ACTIONS["remove"][1], permissions=["change"])
    def remove(self, request, queryset):
        self.bulk(request, queryset, "remove")

    @admin.action(description=BULK_ACTIONS["restore"][1], permissions=["change"])
    def restore(self, request, queryset):
        self.bulk(request, queryset, "restore")

    # Row views

    def moderated_comment(self, request, comment_id) -> Comment:
        comment = get_object_or_404(
            self.get_queryset(request).select_related("post"), pk=comment_id
        )
        if not self.has_change_permission(request, comment):
            raise PermissionDenied
        return comment

    def moderate_view(self, request, comment_id, action):
        if request.method != "POST" or action not in ROW_ACTIONS:
            raise PermissionDenied
        comment = self.moderated_comment(request, comment_id)
        try:
            batch = moderate_row(action, comment, request.user)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
        else:
            summary = batch.summary if batch else f"Comment #{comment.pk} was already so"
            self.message_user(request, f"{summary}.", messages.SUCCESS)
        return redirect(self.back_to(request))

    def back_to(self, request) -> str:
        """Where the moderator was: ?next= (in-place moderation), else the page they acted
        from, else the queue."""
        hosts = {request.get_host()}
        for target in (request.POST.get("next", ""), request.META.get("HTTP_REFERER", "")):
            if target and url_has_allowed_host_and_scheme(
                target, allowed_hosts=hosts, require_https=request.is_secure()
            ):
                return target
        return reverse("admin:comments_comment_changelist")

    def undo_view(self, request, batch_id):
        if request.method != "POST" or not self.has_change_permission(request):
            raise PermissionDenied
        batch = get_object_or_404(ModerationBatch, pk=batch_id)
        try:
            undo = services.batch_undo(batch=batch, actor=request.user)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
        else:
            self.message_user(request, f"{undo.summary}.", messages.SUCCESS)
        return redirect(self.back_to(request))

    def edit_view(self, request, comment_id):
        """Quick edit: the text alone, on its own small page (the queue opens it in place)."""
        comment = self.moderated_comment(request, comment_id)
        form = QuickEditForm(request.POST or None, initial={"body": comment.body})
        if request.method == "POST" and form.is_valid():
            batch = services.comment_moderator_edit(
                comment=comment, body=form.cleaned_data["body"], actor=request.user
            )
            if batch is not None:
                self.message_user(request, f"{batch.summary}.", messages.SUCCESS)
            return redirect(self.back_to(request))
        return self.desk_page(
            request, "quick_edit.html", f"Edit comment #{comment.pk}", comment=comment, form=form
        )

    def context_view(self, request, comment_id):
        """Where a comment sits in its thread; the queue shows it in place."""
        comment = get_object_or_404(
            self.get_queryset(request).select_related("post"), pk=comment_id
        )
        if not self.has_view_or_change_permission(request, comment):
            raise PermissionDenied
        return self.desk_page(
            request,
            "context.html",
            f"Where comment #{comment.pk} sits",
            context=queue.thread_context(comment),
        )

    def reply_view(self, request, comment_id):
        parent = self.moderated_comment(request, comment_id)
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
                return redirect(self.back_to(request))
        return self.desk_page(
            request, "reply.html", f"Reply to comment #{parent.pk}", parent=parent, form=form
        )

    def desk_page(self, request, template: str, title: str, **context):
        context = {
            **self.admin_site.each_context(request),
            **self.desk_context(request),
            "title": title,
            "opts": self.opts,
            "next": request.POST.get("next", "") or self.back_to(request),
            **context,
        }
        return TemplateResponse(request, f"admin/comments/comment/{template}", context)


# Row actions beyond comments_moderate's, by the name in their URL.
BRANCH_ACTIONS = {"spam-branch": Status.SPAM, "remove-branch": Status.REMOVED}
BLOCK_ACTIONS = {"block-email": BlockedSender.Kind.EMAIL, "block-ip": BlockedSender.Kind.IP}
ROW_ACTIONS = {*services.DESK_VERBS, "approve-trust", *BRANCH_ACTIONS, *BLOCK_ACTIONS}


def moderate_row(action: str, comment: Comment, actor) -> ModerationBatch | None:
    """Run one row action through its service; returns the batch it recorded, if any."""
    if action in services.DESK_VERBS:
        return services.comments_moderate(comments=[comment], action=action, actor=actor)
    if action in BRANCH_ACTIONS:
        return services.comment_branch_set_status(
            comment=comment, status=BRANCH_ACTIONS[action], actor=actor
        )
    if action in BLOCK_ACTIONS:
        return services.sender_block(comment=comment, kind=BLOCK_ACTIONS[action], actor=actor)
    return services.comment_approve_and_trust(comment=comment, actor=actor)


KEYBOARD_KEYS = [
    ("j / k", "next / previous comment"),
    ("a", "approve"),
    ("u", "unapprove"),
    ("s", "mark as spam"),
    ("d", "remove"),
    ("r", "reply"),
    ("q", "quick edit"),
    ("z", "undo the last action"),
    ("x", "select the comment for a bulk action"),
    ("o or Enter", "show the whole comment"),
    ("c", "show where it sits in the thread"),
    ("?", "show or hide these keys"),
]


def audit_trail(comment: Comment) -> list[CommentEvent]:
    """The comment's history, oldest first, each entry naming staff as moderators see them."""
    events = list(comment.events.select_related("actor", "batch").order_by("created_at", "pk"))
    for event in events:
        event.actor_name = queue.staff_name(event.actor)
    return events


class StaffActorFilter(admin.SimpleListFilter):
    """Who acted: only staff who did, by name (Django's own filter listed every account)."""

    title = "by"
    parameter_name = "actor"

    def lookups(self, request, model_admin):
        acted = CommentEvent.objects.filter(actor=OuterRef("pk"))  # by the actor index
        users = get_user_model().objects.filter(Exists(acted), is_staff=True)
        named = sorted((queue.staff_name(user), str(user.pk)) for user in users)
        return [(pk, name) for name, pk in named] + [("system", "the system")]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if value == "system":
            return queryset.filter(actor=None)
        if not value.isdigit() or len(value) > 18:
            raise IncorrectLookupParameters(ValidationError("not a member of the team."))
        return queryset.filter(actor_id=int(value), actor__is_staff=True)


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
        "status_before",
        "status_after",
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

    @admin.display(description="by", ordering="actor")
    def by(self, event):
        return queue.staff_name(event.actor)

    @admin.display(description="action #", ordering="batch")
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

    list_display = ("created_at", "by", "summary", "undo")
    list_display_links = None
    list_select_related = ("actor", "undone_by", "undo_of")
    search_fields = ("summary",)
    date_hierarchy = "created_at"
    actions = None

    @admin.display(description="by", ordering="actor")
    def by(self, batch):
        return queue.staff_name(batch.actor)

    @admin.display(description="undo")
    def undo(self, batch):
        if batch.undo_of_id:
            return f"undid action #{batch.undo_of_id}"
        if hasattr(batch, "undone_by"):
            return f"undone by action #{batch.undone_by.pk}"
        url = reverse("admin:comments_comment_undo", args=[batch.pk])
        return format_html(
            '<button type="submit" class="button" formaction="{}" formmethod="post">'
            'Undo<span class="visually-hidden"> action #{}</span></button>',
            url,
            batch.pk,
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

    @admin.display(description="added by", ordering="created_by")
    def added_by(self, entry):
        return queue.staff_name(entry.created_by) if entry.created_by_id else "—"

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
