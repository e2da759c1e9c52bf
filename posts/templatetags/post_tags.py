import re

from django import template
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from comments.links import is_web_address
from posts import selectors
from posts.caching import cached_fragment
from posts.html import post_html_for_page

register = template.Library()

HASHTAG_RE = re.compile(r"#(\w+)")


@register.filter
def sanitize_html(value: str) -> str:
    """Post HTML through an allow-list, whoever wrote it."""
    return mark_safe(post_html_for_page(value))  # noqa: S308 -- nh3 output is sanitised


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


@register.simple_tag
def tags_not_in_lede(post) -> list:
    """The post's tags that its lede does not already link as hashtags (lede_html), so a
    summary shows each hashtag once."""
    in_lede = {match[1].lower() for match in HASHTAG_RE.finditer(post.lede)}
    return [tag for tag in post.tags.all() if tag.name.lower() not in in_lede]


@register.simple_tag(takes_context=True)
def sidebar(context):
    """Recent posts and recent approved comments: two queries, the same on every page.

    Kept under the content version when the page has read it already (pages cached
    under it do), so after a change the first page drawn shares it with the others."""

    def render() -> str:
        return render_to_string(
            "posts/_sidebar.html",
            {
                "recent_posts": selectors.recent_posts(),
                "recent_comments": selectors.recent_comments(),
            },
        )

    version = getattr(context.get("request"), "content_version", None)
    if version is None:
        return mark_safe(render())  # noqa: S308 -- a template's output, escaped there
    return mark_safe(cached_fragment(f"sidebar:{version.content_key}", render))  # noqa: S308 -- same


@register.simple_tag
def comments_page_url(post, number) -> str:
    """The address of page ``number`` of ``post``'s comments."""
    return post.get_comments_page_url(number)
