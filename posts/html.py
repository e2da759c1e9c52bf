"""The one allow-list for post HTML: what post pages show, and what importers and the
admin store (nh3, a binding of the Rust ammonia sanitiser).

nh3's defaults, plus what WordPress posts hold that they leave out (a table's <tfoot>,
<section>, <address>, titles on links and abbreviations). Cleaning is idempotent, so a
stored body cleans to itself and an export read back in is the same row.
"""

import nh3

TAGS = nh3.ALLOWED_TAGS | {"tfoot", "section", "address"}
ATTRIBUTES = {
    **nh3.ALLOWED_ATTRIBUTES,
    "a": nh3.ALLOWED_ATTRIBUTES["a"] | {"title"},
    "abbr": {"title"},
    "img": nh3.ALLOWED_ATTRIBUTES["img"] | {"title"},
}


def clean_post_html(html: str) -> str:
    """Post HTML made safe to store: no scripts, event handlers or javascript: links."""
    return nh3.clean(html or "", tags=TAGS, attributes=ATTRIBUTES, link_rel=None)


def post_html_for_page(html: str) -> str:
    """What a page shows of stored post HTML, whoever wrote it; links to other sites get
    no referrer."""
    return nh3.clean(html or "", tags=TAGS, attributes=ATTRIBUTES)
