"""The moderation desk: the queue, its row actions, the comment's page and its history.
The audit log, the moderators' past actions and the block list are in admin_records, the
list filters in admin_filters.

Every write goes through comments.services; what a row shows comes from comments.queue.
"""

import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, IntegerField, When
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from comments import (
    admin_records,  # noqa: F401 -- registers the audit log, actions, block list
    batches,
    queue,
    services,
)
from comments.admin_filters import SenderFilter, ThreadPositionFilter
from comments.links import is_web_address
from comments.models import BlockedSender, Comment, CommentEvent, ModerationBatch, Subscription
from msblog.adminlists import ForgivingListMixin
from msblog.siteurl import ViewOnSiteURL

Status = Comment.Status
UNDO_WINDOW = datetime.timedelta(minutes=30)  # how long the queue offers Undo for
BULK_ACTIONS = {
    "approve": ("approve", _("Approve selected comments")),
    "unapprove": ("unapprove", _("Unapprove selected comments")),
    "mark_spam": ("spam", _("Mark selected comments as spam")),
    "remove": ("remove", _("Remove selected comments")),
    "restore": ("restore", _("Restore selected comments from spam or removed")),
}


class QueueChangeList(ChangeList):
    """The changelist, with each row's desk information built for the whole page at once."""

    def get_results(self, request):
        super().get_results(request)
        can_moderate = self.model_admin.has_change_permission(request)
        self.rows = queue.rows_for(list(self.result_list), can_moderate=can_moderate)


class StaffReplyForm(forms.Form):
    body = forms.CharField(label=_("Your reply"), widget=forms.Textarea(attrs={"rows": 8}))


class QuickEditForm(forms.Form):
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 10}), strip=False)

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
class CommentAdmin(ForgivingListMixin, ViewOnSiteURL, admin.ModelAdmin):
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
        "website",
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
        undo_batch = batches.latest_undoable(request.user, since=since)
        return {
            "undo_batch": undo_batch,
            "undo_summary": undo_batch.summary if undo_batch else "",
            "is_nav_sidebar_enabled": False,  # the queue needs the width
            "keyboard_keys": KEYBOARD_KEYS,
            "desk_strings": desk_strings(),
        }

    def changelist_view(self, request, extra_context=None):
        counts = queue.status_counts()
        changelist = reverse("admin:comments_comment_changelist")
        extra_context = {
            "title": gettext("Moderate comments"),
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
            "title": gettext("History of comment #%(number)s") % {"number": comment.pk},
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

    @admin.display(description=_("replying to"))
    def in_reply_to(self, comment):
        if comment.parent_id is None:
            return "—"
        if comment.parent.placeholder:
            return queue.MISSING.capitalize()
        return f"#{comment.parent.pk} {comment.parent.author_name}: {comment.parent.excerpt}"

    @admin.display(description=_("website"))
    def website(self, comment):
        # A link only to an http(s) address: Django's own display would link ftp: too.
        if is_web_address(comment.author_url):
            return format_html(
                '<a href="{0}" rel="noopener noreferrer">{0}</a>', comment.author_url
            )
        return comment.author_url or "—"

    @admin.display(description=_("links"))
    def links(self, comment):
        return queue.count_links(comment.body)

    @admin.display(description=_("written by"))
    def written_by(self, comment):
        if not comment.user_id:
            return gettext("a reader")
        return gettext("%(name)s (blog team)") % {"name": queue.staff_name(comment.user)}

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
            self.message_user(request, gettext("Nothing changed."), messages.INFO)
        else:
            self.message_user(request, done(batch), messages.SUCCESS)

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
            message = done(batch) if batch else already_so(comment)
            self.message_user(request, message, messages.SUCCESS)
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
            self.message_user(request, done(undo), messages.SUCCESS)
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
                self.message_user(request, done(batch), messages.SUCCESS)
            return redirect(self.back_to(request))
        return self.desk_page(
            request,
            "quick_edit.html",
            gettext("Edit comment #%(number)s") % {"number": comment.pk},
            comment=comment,
            form=form,
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
            gettext("Where comment #%(number)s sits") % {"number": comment.pk},
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
                published = gettext("Your reply #%(number)s is published.")
                self.message_user(request, published % {"number": reply.pk}, messages.SUCCESS)
                return redirect(self.back_to(request))
        return self.desk_page(
            request,
            "reply.html",
            gettext("Reply to comment #%(number)s") % {"number": parent.pk},
            parent=parent,
            form=form,
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


def done(batch: ModerationBatch) -> str:
    """The message after an action: what it did, in the site's language."""
    return f"{batch.summary}."


def already_so(comment: Comment) -> str:
    return gettext("Comment #%(number)s was already so.") % {"number": comment.pk}


KEYBOARD_KEYS = [
    ("j / k", _("next / previous comment")),
    ("a", _("approve")),
    ("u", _("unapprove")),
    ("s", _("mark as spam")),
    ("d", _("remove")),
    ("r", _("reply")),
    ("q", _("quick edit")),
    ("z", _("undo the last action")),
    ("x", _("select the comment for a bulk action")),
    (pgettext_lazy("keys", "o or Enter"), _("show the whole comment")),
    ("c", _("show where it sits in the thread")),
    ("?", _("show or hide these keys")),
]


def desk_strings() -> dict[str, str]:
    """What admin-moderation.js says, in the site's language (the page hands it over in a
    JSON block: the CSP allows no inline script and the site has no JavaScript catalog)."""
    return {
        "unavailable": gettext("That action is not available for this comment."),
        "nothing_to_undo": gettext("There is nothing to undo."),
        "text_of": gettext("Text of comment #%(number)s"),
        "save": gettext("Save"),
        "cancel": gettext("Cancel"),
        "edit_keys": gettext("(Ctrl+Enter saves, Escape cancels)"),
        "loading": gettext("Loading…"),
        "load_failed": gettext("Could not load the thread."),
    }


def audit_trail(comment: Comment) -> list[CommentEvent]:
    """The comment's history, oldest first, each entry naming staff as moderators see them."""
    events = list(comment.events.select_related("actor", "batch").order_by("created_at", "pk"))
    for event in events:
        event.actor_name = queue.staff_name(event.actor)
        event.status_before_label = queue.status_label(event.status_before)
        event.status_after_label = queue.status_label(event.status_after)
    return events


@admin.register(Subscription)
class SubscriptionAdmin(ForgivingListMixin, admin.ModelAdmin):
    """Readers following a discussion by email (comments.following); they subscribe and
    confirm themselves, so the admin only looks and, on request, deletes."""

    list_display = ("email", "post", "mode", "confirmed_at", "created_at")
    list_filter = ("mode", ("confirmed_at", admin.EmptyFieldListFilter))
    search_fields = ("email", "post__title")
    list_select_related = ("post",)
    readonly_fields = ("post", "email", "mode", "created_at", "confirmed_at")

    def has_add_permission(self, request):
        return False
