"""The moderation desk's list filters: one sender, place in thread, and who acted."""

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from comments import queue
from comments.models import CommentEvent
from comments.moderation import forbidden_character


class SenderFilter(admin.ListFilter):
    """Comments by one sender (?author_email=, ?ip_address=, ?author_name=), as each row's
    author links ask; shown as the active filter with a way back to everyone."""

    title = _("sender")
    template = "admin/comments/comment/_sender_filter.html"
    LOOKUPS = {  # parameter: (the active filter's label, the lookup)
        "author_email": (_("email %(value)s"), "author_email__iexact"),
        "ip_address": (_("IP address %(value)s"), "ip_address"),
        "author_name": (_("name %(value)s"), "author_name__iexact"),
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
            raise ValidationError(
                gettext("it contains a control character (%(character)s).") % {"character": bad}
            )
        if name == "ip_address":
            validate_ipv46_address(value)
        if len(value) > 254:
            raise ValidationError(gettext("it is longer than any address or name."))
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
                "label": self.LOOKUPS[name][0] % {"value": value},
                "remove_url": changelist.get_query_string(remove=[name]),
            }


class ThreadPositionFilter(admin.SimpleListFilter):
    """Top-level comments or replies, under the parameter Django's empty-field filter used,
    so that earlier links keep working."""

    title = _("place in thread")
    parameter_name = "parent__isempty"

    def lookups(self, request, model_admin):
        return [("1", _("Top-level comments")), ("0", _("Replies"))]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.filter(parent=None)
        if self.value() == "0":
            return queryset.exclude(parent=None)
        return queryset


class StaffActorFilter(admin.SimpleListFilter):
    """Who acted: only staff who did, by name (Django's own filter listed every account)."""

    title = pgettext_lazy("who acted", "by")
    parameter_name = "actor"

    def lookups(self, request, model_admin):
        acted = CommentEvent.objects.filter(actor=OuterRef("pk"))  # by the actor index
        users = get_user_model().objects.filter(Exists(acted), is_staff=True)
        named = sorted((queue.staff_name(user), str(user.pk)) for user in users)
        return [(pk, name) for name, pk in named] + [("system", gettext("the system"))]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if value == "system":
            return queryset.filter(actor=None)
        if not value.isdigit() or len(value) > 18:
            not_staff = ValidationError(gettext("not a member of the team."))
            raise IncorrectLookupParameters(not_staff)
        return queryset.filter(actor_id=int(value), actor__is_staff=True)
