"""Password-protected posts, as WordPress has them.

A protected post is listed by its title; its body and comments open to a reader who
gives the password, and stay open for that browser for ten days (a signed cookie holding
one token per post, derived from the post and its password, so changing the password
locks everyone out again). Responses for such a reader are never cached for others
(posts.pagecache serves them privately), and feeds, search, the sitemap and comment
lists leave protected posts out (Post.objects.unprotected()).
"""

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

COOKIE_NAME = "msblog-postpass"
SALT = "posts.protection"
MAX_AGE = 10 * 24 * 3600
MAX_TOKENS = 20  # posts one browser keeps open at once; the oldest is dropped first


def unlock_token(post) -> str:
    return salted_hmac(SALT, f"{post.pk}:{post.password}").hexdigest()[:24]


def unlocked_tokens(request) -> list[str]:
    value = request.get_signed_cookie(COOKIE_NAME, default="", salt=SALT, max_age=MAX_AGE)
    return [token for token in value.split(",") if token]


def can_read(request, post) -> bool:
    """Whether this reader may see the post's body and comments."""
    if not post.password or request.user.has_perm("posts.change_post"):
        return True
    return unlock_token(post) in unlocked_tokens(request)


def password_matches(post, password: str) -> bool:
    return bool(post.password) and constant_time_compare(password, post.password)


def remember_unlock(request, response, post) -> None:
    token = unlock_token(post)
    tokens = [t for t in unlocked_tokens(request) if t != token][-(MAX_TOKENS - 1) :]
    response.set_signed_cookie(
        COOKIE_NAME,
        ",".join([*tokens, token]),
        salt=SALT,
        max_age=MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
