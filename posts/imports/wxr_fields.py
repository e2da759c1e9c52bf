"""Reading WXR's elements and values: namespaced tags, an item's children and meta,
WordPress's dates, slugs, and msblog's own meta."""

import datetime
import email.utils
import json
from urllib.parse import unquote

from django.utils import timezone
from django.utils.text import slugify

from posts.imports import xmlstream
from posts.imports.records import SourceRelated

# WordPress.com and newer exports write https://; WordPress's importer reads both.
WP_PREFIXES = ("http://wordpress.org/export/", "https://wordpress.org/export/")
NO_DATE = "0000-00-00 00:00:00"
# Meta written by export_wxr: what WordPress has no field for.
META = "_msblog_"


def short_tag(tag: str) -> str:
    """``{http://wordpress.org/export/1.2/}post_id`` -> ``wp:post_id`` and so on."""
    ns, local = xmlstream.namespace(tag), xmlstream.local_name(tag)
    if ns.startswith(WP_PREFIXES):
        return f"{'excerpt' if ns.rstrip('/').endswith('excerpt') else 'wp'}:{local}"
    return {
        "http://purl.org/rss/1.0/modules/content/": "content:",
        "http://purl.org/dc/elements/1.1/": "dc:",
    }.get(ns, "") + local


def children(element) -> tuple[dict[str, str], list]:
    """First text of each simple child, and the repeated children in order."""
    values: dict[str, str] = {}
    repeated = []
    for child in element:
        if not isinstance(child.tag, str):
            continue
        name = short_tag(child.tag)
        if name in ("category", "wp:postmeta", "wp:comment", "wp:commentmeta"):
            repeated.append((name, child))
        elif name not in values:
            values[name] = xmlstream.text(child)
    return values, repeated


def meta(element) -> tuple[str, str]:
    values, _ = children(element)
    return values.get("wp:meta_key", "").strip(), values.get("wp:meta_value", "")


def wp_date(gmt: str | None, local: str | None) -> datetime.datetime | None:
    """WordPress dates are "Y-m-d H:i:s"; GMT when set, else the site's local time."""
    for value, zone in ((gmt, datetime.UTC), (local, timezone.get_current_timezone())):
        value = (value or "").strip()
        if not value or value == NO_DATE:
            continue
        try:
            naive = datetime.datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
        except ValueError:
            continue
        return timezone.make_aware(naive, zone)
    return None


def precise_date(value: str | None) -> datetime.datetime | None:
    """An ISO 8601 time with its fraction of a second (msblog's own meta), or None."""
    try:
        moment = datetime.datetime.fromisoformat((value or "").strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def rss_date(value: str | None) -> datetime.datetime | None:
    """An RSS date ("Tue, 05 Mar 2019 18:00:00 +0000"), or None."""
    try:
        moment = email.utils.parsedate_to_datetime((value or "").strip())
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else None


def term_slug(nicename: str, name: str) -> str:
    """A category's or tag's slug: WordPress's nicename (percent-decoded), else its name."""
    return (
        slugify(unquote(nicename.strip()), allow_unicode=True)[:200]
        or slugify(name, allow_unicode=True)[:200]
    )


def post_slug(post_name: str, title: str, post_id: str) -> str:
    """WordPress keeps non-ASCII slugs percent-encoded; URLs here are ASCII slugs."""
    return (slugify(unquote(post_name.strip())) or slugify(title) or f"post-{post_id}")[:200]


def related_entries(value: str | None) -> list[SourceRelated] | None:
    if not value:
        return None
    try:
        items = json.loads(value)
        return [
            SourceRelated(
                position=int(item["position"]),
                published_on=datetime.date.fromisoformat(item["published_on"])
                if item.get("published_on")
                else None,
                text=str(item["text"]),
                url=str(item.get("url") or "")[:500],
            )
            for item in items
        ]
    except (ValueError, TypeError, KeyError):
        return None
