import re

import nh3
from django import template
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from comments.links import is_web_address
from posts import selectors

register = template.Library()

HASHTAG_RE = re.compile(r"#(\w+)")


@register.filter
def sanitize_html(value: str) -> str:
    """Post HTML through an allow-list, whoever wrote it."""
    return mark_safe(nh3.clean(value or ""))  # noqa: S308 -- nh3 output is sanitised


@register.filter
def web_address(url: str) -> str:
    """``url`` if it is an http(s) address, to link to; otherwise nothing."""
    return url if is_web_address(url) else ""


@register.simple_tag
def lede_html(post) -> str:
    """The lede, escaped, with each hashtag that is one of the post's tags linked."""
    slugs = {tag.name.lower(): tag.slug for tag in post.tag_list}

    def link(match: re.Match) -> str:
        slug = slugs.get(match[1].lower())
        if slug is None:
            return escape(match[0])
        return format_html(
            '<a href="{}" rel="tag">#{}</a>', reverse("posts:tag", args=[slug]), match[1]
        )

    html, last = [], 0
    for match in HASHTAG_RE.finditer(post.lede):
        html += [escape(post.lede[last : match.start()]), link(match)]
        last = match.end()
    html.append(escape(post.lede[last:]))
    return mark_safe("".join(html))  # noqa: S308 -- built from escaped text and format_html


@register.inclusion_tag("posts/_sidebar.html")
def sidebar():
    """Recent posts and recent approved comments: two queries on every page."""
    return {
        "recent_posts": selectors.recent_posts(),
        "recent_comments": selectors.recent_comments(),
    }


@register.simple_tag
def comments_page_url(post, number) -> str:
    """The address of page ``number`` of ``post``'s comments."""
    return post.get_comments_page_url(number)
