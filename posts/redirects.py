"""Old links keep working: a 404 at a post's former WordPress or Blogspot address
becomes a permanent redirect to its permalink.

Like django.contrib.redirects' fallback middleware, this only looks at responses that
are already 404s, so it costs nothing on pages that exist and one indexed query on
those that do not. WordPress's plain permalinks and short links, "/?p=ID" and
"/?page_id=ID", are the one exception: they ask for the home page, which exists, so
they are answered before it, with a 301 to the post or a 404 (as WordPress does).
"""

from urllib.parse import urlencode

from django.http import Http404, HttpResponsePermanentRedirect, QueryDict
from django.utils.encoding import escape_uri_path

from posts.models import OriginalURL, Post


def find_original_url(path: str, query: str) -> tuple[OriginalURL, bool] | None:
    """The published post's old address matching ``path`` (and ``query``), best first.

    Returns the match and whether it included the query string. An old address that
    had a query (``/?p=123``) must match it; otherwise the path alone matches, with or
    without its trailing slash, and the reader's query is carried over.
    """
    with_query = f"{path}?{query}" if query else None
    toggled = path[:-1] if path.endswith("/") else f"{path}/"
    candidates = [c for c in (with_query, path, toggled) if c and c != "/"]
    matches: dict[str, OriginalURL] = {}
    for original in (
        OriginalURL.objects.filter(path__in=candidates, post__in=Post.objects.visible())
        .select_related("post")
        .order_by("pk")
    ):
        # Two old hosts may have used the same path; the address recorded first wins.
        matches.setdefault(original.path, original)
    for candidate in candidates:
        if candidate in matches:
            return matches[candidate], candidate == with_query
    return None


class OriginalURLFallbackMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/" and request.method in ("GET", "HEAD"):
            shortlink = plain_permalink(request.GET)
            if shortlink is not None:
                return shortlink
        response = self.get_response(request)
        if response.status_code != 404 or request.method not in ("GET", "HEAD"):
            return response
        query = request.META.get("QUERY_STRING", "")
        found = find_original_url(escape_uri_path(request.path), query)
        if found is None:
            return response
        original, matched_query = found
        target = original.post.get_absolute_url()
        if query and not matched_query:
            # ?replytocom=ID and the like mean the same on the new permalink.
            target = f"{target}?{query}"
        return HttpResponsePermanentRedirect(target)


PLAIN_PERMALINK_KEYS = ("p", "page_id")


def plain_permalink(query: QueryDict) -> HttpResponsePermanentRedirect | None:
    """The 301 for "/?p=ID" or "/?page_id=ID", with the rest of the query carried over;
    None when the query names no post; Http404 when no post has that old address."""
    key = next((k for k in PLAIN_PERMALINK_KEYS if query.get(k, "").isdigit()), None)
    if key is None:
        return None
    found = find_original_url("/", f"{key}={query[key]}")
    if found is None:
        raise Http404("No post has this address.")
    rest = [(k, v) for k, values in query.lists() if k != key for v in values]
    target = found[0].post.get_absolute_url()
    return HttpResponsePermanentRedirect(f"{target}?{urlencode(rest)}" if rest else target)
