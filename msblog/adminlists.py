"""Admin lists that never answer 500 to a malformed address.

Django's changelist turns some bad lookups into a bare redirect, but others reach the
database and fail there: ``?ip_address=abc`` is an error on PostgreSQL's inet type, a NUL
byte is refused by psycopg, a year past 9999 overflows, an id past 2**63 overflows SQLite.
``ForgivingListMixin`` runs the list's queries inside a savepoint, and when a parameter
cannot be used it says which one and why, and shows the list without it. Bulk actions get
the same care for the ids of the selected rows.
"""

import copy
import logging

from django.contrib import messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG
from django.core.exceptions import ValidationError
from django.db import DataError, connections, router, transaction
from django.http import HttpResponseRedirect, QueryDict
from django.utils.translation import gettext

logger = logging.getLogger(__name__)

# What a malformed parameter raises on its way to (or inside) the database.
UNUSABLE = (IncorrectLookupParameters, DataError, ValidationError, ValueError, OverflowError)


class UnusableParameters(Exception):
    def __init__(self, problems: dict[str, str]):
        super().__init__(problems)
        self.problems = problems  # parameter -> why it could not be used


class ForgivingListMixin:
    """For a ModelAdmin: malformed filters, searches and action ids are messages, not 500s."""

    def changelist_view(self, request, extra_context=None):
        try:
            return super().changelist_view(request, extra_context)
        except UnusableParameters as exc:
            for name, problem in exc.problems.items():
                value = request.GET.get(name, "")
                shown = value.encode("unicode_escape").decode()[:60]
                text = gettext("The filter “%(filter)s” could not be used: %(problem)s")
                messages.error(request, text % {"filter": f"{name}={shown}", "problem": problem})
            kept = request.GET.copy()
            for name in [*exc.problems, ERROR_FLAG]:
                kept.pop(name, None)
            return HttpResponseRedirect(f"{request.path}?{kept.urlencode()}".rstrip("?"))

    def get_changelist_instance(self, request):
        # The same answer on every database: SQLite would take a NUL that PostgreSQL refuses.
        controls = {
            name: gettext("it contains a control character.")
            for name, values in request.GET.lists()
            if any(char < " " for value in values for char in value)
        }
        if controls:
            raise UnusableParameters(controls)
        try:
            return self.guarded_changelist(request)
        except UNUSABLE as exc:
            logger.info("admin list %s: unusable parameters: %s", request.path, exc)
            raise UnusableParameters(self.unusable_parameters(request)) from exc

    def guarded_changelist(self, request):
        # Inside a transaction (tests; ATOMIC_REQUESTS) a database error would break it for
        # everything after: run the list's queries in a savepoint.
        database = router.db_for_read(self.model)
        if not connections[database].in_atomic_block:
            return super().get_changelist_instance(request)
        with transaction.atomic(using=database):
            return super().get_changelist_instance(request)

    def unusable_parameters(self, request) -> dict[str, str]:
        """Try each parameter alone to name the ones at fault (all of them if none fails
        alone: only their combination does)."""
        problems = {}
        names = [name for name in request.GET if name != ERROR_FLAG]
        for name in names:
            alone = copy.copy(request)
            alone.GET = QueryDict(mutable=True)
            alone.GET.setlist(name, request.GET.getlist(name))
            try:
                self.guarded_changelist(alone)
            except UNUSABLE as exc:
                problems[name] = explain(exc)
        return problems or dict.fromkeys(names, gettext("these filters cannot be combined"))

    def response_action(self, request, queryset):
        selected = request.POST.getlist(ACTION_CHECKBOX_NAME)
        pk = self.model._meta.pk
        try:
            for value in selected:
                pk.run_validators(pk.to_python(value))
        except (ValidationError, ValueError, OverflowError):
            not_ids = gettext("The selection holds something that is not an item’s id.")
            messages.error(request, not_ids)
            return None
        return super().response_action(request, queryset)


def explain(exc: BaseException) -> str:
    """A short reason for a moderator; the details went to the log."""
    cause = exc
    while isinstance(cause, IncorrectLookupParameters) and cause.__cause__ is not None:
        cause = cause.__cause__
    if isinstance(cause, IncorrectLookupParameters) and cause.args:
        cause = cause.args[0] if isinstance(cause.args[0], BaseException) else cause
    if isinstance(cause, ValidationError):
        return " ".join(cause.messages)
    text = str(cause)
    if "\x00" in text or "NUL" in text:
        return gettext("it contains a NUL character.")
    if isinstance(cause, OverflowError) or "out of range" in text:
        return gettext("the number is out of range.")
    return gettext("the value does not fit this field.")
