from django.conf import settings


def site(request):
    return {
        "site_name": settings.SITE_NAME,
        "site_tagline": settings.SITE_TAGLINE,
        # The origin for absolute URLs in templates (canonical links, robots.txt); never
        # the request's host (msblog.siteurl).
        "site_url": settings.SITE_URL,
    }
