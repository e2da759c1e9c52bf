from django import template

from comments import queue
from comments.moderation import form_notice
from comments.privacy import shown_name

register = template.Library()


@register.simple_tag(takes_context=True)
def moderation_notice(context) -> str:
    """What the policy will do with the reader's comment (comments.moderation)."""
    return form_notice(context.get("user"))


@register.filter
def commenter_name(name: str) -> str:
    """A commenter's name as readers see it ("Anonymous" in the site's language)."""
    return shown_name(name)


@register.filter
def staff_name(user) -> str:
    """An account as moderators see it: staff by their name, nobody else."""
    return queue.staff_name(user)
