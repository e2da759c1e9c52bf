"""django-csp's middleware with the site's policy header built once per process.

django-csp builds the Content-Security-Policy header (and its report-only twin) from
settings for every response, which is a measurable part of serving a cached page. This
site's policy is the same for every response (settings.CONTENT_SECURITY_POLICY: no
nonces, no per-view decorators), so the headers are built once, with django-csp's own
``build_policy``, and reused; a response or request that does change its policy (a view
decorated with ``csp_update`` and friends, or a template that used ``request.csp_nonce``)
is handed to django-csp as before. Changing the settings (tests do) builds them again.
"""

from functools import cache

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

PER_RESPONSE_ATTRIBUTES = tuple(
    f"_csp_{kind}{suffix}" for kind in ("config", "update", "replace") for suffix in ("", "_ro")
)
# (header, the setting it comes from, the attribute that exempts a response from it)
HEADERS = (
    (HEADER, "CONTENT_SECURITY_POLICY", "_csp_exempt"),
    (HEADER_REPORT_ONLY, "CONTENT_SECURITY_POLICY_REPORT_ONLY", "_csp_exempt_ro"),
)


@cache
def site_policy() -> dict[str, str]:
    """Each header's value for a response that changes nothing (empty: not sent)."""
    return {
        HEADER: build_policy(),
        HEADER_REPORT_ONLY: build_policy(report_only=True),
    }


@receiver(setting_changed)
def forget_site_policy(*, setting, **kwargs):
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        site_policy.cache_clear()


class CSPMiddleware(DjangoCSPMiddleware):
    def process_response(self, request, response):
        changes_policy = getattr(request, "_csp_nonce", None) is not None or any(
            getattr(response, name, None) is not None for name in PER_RESPONSE_ATTRIBUTES
        )
        if changes_policy:
            return super().process_response(request, response)
        if response.status_code in (404, 500) and settings.DEBUG:
            return response  # django-csp leaves Django's debug pages alone
        policy = site_policy()
        for header, setting, exempt in HEADERS:
            prefixes = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
            if (
                policy[header]
                and header not in response
                and not getattr(response, exempt, False)
                and not request.path_info.startswith(tuple(prefixes))
            ):
                response[header] = policy[header]
        # As django-csp does: a nonce asked for after the header was written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response
