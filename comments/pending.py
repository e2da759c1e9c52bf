"""Remember, in a signed cookie, which pending comments this browser posted.

Only the browser holding the cookie sees its own comments "awaiting moderation"; the
ids are signed, so they cannot be guessed or forged into someone else's.
"""

from django.conf import settings

COOKIE_NAME = "msblog_pending"
SALT = "comments.pending"
MAX_AGE = 60 * 60 * 24 * 30
MAX_REMEMBERED = 20


def pending_ids(request) -> list[int]:
    value = request.get_signed_cookie(COOKIE_NAME, default="", salt=SALT, max_age=MAX_AGE)
    return [int(part) for part in value.split(",") if part.isdigit()]


def remember_pending(request, response, comment) -> None:
    ids = [*pending_ids(request), comment.pk][-MAX_REMEMBERED:]
    response.set_signed_cookie(
        COOKIE_NAME,
        ",".join(map(str, ids)),
        salt=SALT,
        max_age=MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
