"""What a reader gets when a request fails on the server (Django's ``handler500``).

A database that refuses connections, restarts or times out (OperationalError,
InterfaceError) is an outage, not a bug: the answer is 503 with Retry-After and a page
that says so, drawn without the database (no sidebar), never cached. Any other error
keeps Django's plain 500. The error itself is logged by Django ("Service Unavailable"
with the traceback), never shown. A comment sent while the database is down gets its own
503 with the reader's text in the form (comments.views).
"""

import sys

from django.db import InterfaceError, OperationalError
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.views.defaults import server_error as plain_server_error

DATABASE_DOWN = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


def server_error(request):
    """Django calls this while handling the exception, so it can look at it."""
    if isinstance(sys.exception(), DATABASE_DOWN):
        return service_unavailable(request, "503.html")
    return plain_server_error(request)


def service_unavailable(request, template: str, context: dict | None = None, *, status=503):
    response = render(request, template, context, status=status)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response
