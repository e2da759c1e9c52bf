"""Flood control: how many comment attempts one IP may make per time window.

Counted in Django's cache (shared through Redis when REDIS_URL is set), so every app
server sees the same count. django-ratelimit would do this too, but its system checks
reject the local-memory cache this project uses by default.
"""

import time

from django.conf import settings
from django.core.cache import cache


def too_many_attempts(ip_address: str | None) -> bool:
    """Count this attempt; True when the IP is over the limit for the current window."""
    limit, window = settings.COMMENTS_FLOOD_LIMIT, settings.COMMENTS_FLOOD_WINDOW
    if not limit or not ip_address:
        return False
    key = f"comments:flood:{ip_address}:{int(time.time() // window)}"
    cache.add(key, 0, timeout=window + 1)
    try:
        attempts = cache.incr(key)
    except ValueError:  # the key expired between add() and incr()
        cache.set(key, 1, timeout=window + 1)
        attempts = 1
    return attempts > limit
