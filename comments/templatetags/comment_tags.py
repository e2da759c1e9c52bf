from django import template
from django.utils.html import Urlizer, linebreaks
from django.utils.safestring import mark_safe

register = template.Library()


class CommenterUrlizer(Urlizer):
    # Links a commenter typed are neither endorsed nor trusted with the opener.
    url_template = '<a href="{href}" rel="nofollow ugc noopener"{attrs}>{url}</a>'


urlize_commenter_text = CommenterUrlizer()


@register.filter
def comment_text(value: str) -> str:
    """A commenter's plain text as HTML: escaped, links made clickable, paragraphs kept."""
    html = urlize_commenter_text(value, trim_url_limit=60, autoescape=True)
    return mark_safe(linebreaks(html, autoescape=False))  # noqa: S308 -- urlize escaped it
