"""Absolute URLs, always from the one configured origin, ``settings.SITE_URL``.

Never from the request: Django accepts an allowed host with any port, so a URL built
from the Host header (as Django's feeds, sitemaps and admin "view on site" do by
default) would let one forged request put ``http://127.0.0.1:6666/…`` into a cached feed
served to every reader. Feeds (posts.feeds.BaseFeed), the sitemap (posts.sitemaps),
canonical links and robots.txt (the ``site_url`` template variable), emails and the
admin all build their absolute URLs here.
"""

from urllib.parse import urlsplit

from django.conf import settings


def absolute_url(path: str) -> str:
    """``path`` (as ``reverse()`` or ``get_absolute_url()`` give it) on the site's origin."""
    return f"{settings.SITE_URL}{path}"


def site_host() -> str:
    """SITE_URL's host (and port, if it names one)."""
    return urlsplit(settings.SITE_URL).netloc


def site_is_secure() -> bool:
    return urlsplit(settings.SITE_URL).scheme == "https"


class SiteRequest:
    """A request as seen from SITE_URL: for library code that builds absolute URLs from
    the request (``get_current_site()``, ``is_secure()``), everything else passes through."""

    def __init__(self, request):
        self._request = request

    def __getattr__(self, name):
        return getattr(self._request, name)

    def get_host(self) -> str:
        return site_host()

    def is_secure(self) -> bool:
        return site_is_secure()

    @property
    def scheme(self) -> str:
        return "https" if site_is_secure() else "http"

    def build_absolute_uri(self, location: str | None = None) -> str:
        location = self._request.get_full_path() if location is None else location
        return location if urlsplit(location).scheme else absolute_url(location)


class ViewOnSiteURL:
    """ModelAdmin mixin: "View on site" links straight to SITE_URL, instead of Django's
    redirecting view, which builds the address from the Host the admin was reached by."""

    def view_on_site(self, obj) -> str:
        return absolute_url(obj.get_absolute_url())
