import re

from django import template
from django.utils.html import Urlizer, escape, linebreaks
from django.utils.safestring import mark_safe

from comments import queue
from comments.moderation import form_notice

register = template.Library()

# What Urlizer would turn into a link: a scheme, "www.", a bare domain it knows, an email.
MAY_HOLD_A_LINK = re.compile(r"https?://|www\.|\.(?:com|edu|gov|int|mil|net|org)\b|@", re.I)


class CommenterUrlizer(Urlizer):
    # Links a commenter typed are neither endorsed nor trusted with the opener.
    url_template = '<a href="{href}" rel="nofollow ugc noopener"{attrs}>{url}</a>'


urlize_commenter_text = CommenterUrlizer()


@register.filter
def comment_text(value: str) -> str:
    """A commenter's plain text as HTML: escaped, links made clickable, paragraphs kept."""
    if MAY_HOLD_A_LINK.search(value):
        html = urlize_commenter_text(value, autoescape=True)
    else:
        html = escape(value)
    return mark_safe(linebreaks(html, autoescape=False))  # noqa: S308 -- escaped above


@register.simple_tag(takes_context=True)
def moderation_notice(context) -> str:
    """What the policy will do with the reader's comment (comments.moderation)."""
    return form_notice(context.get("user"))


@register.filter
def staff_name(user) -> str:
    """An account as moderators see it: staff by their name, nobody else."""
    return queue.staff_name(user)
