"""Old links keep working: a 404 at a post's former WordPress or Blogspot address
becomes a permanent redirect to its permalink.

Like django.contrib.redirects' fallback middleware, this only looks at responses that
are already 404s, so it costs nothing on pages that exist and one indexed query on
those that do not.
"""

from django.http import HttpResponsePermanentRedirect
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
        OriginalURL.objects.filter(path__in=candidates, post__in=Post.objects.published())
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
