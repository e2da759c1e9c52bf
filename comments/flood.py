"""Flood control: how many comment attempts one IP may make per time window.

Counted in Django's cache (shared through Redis when REDIS_URL is set), so every app
server sees the same count. django-ratelimit would do this too, but its system checks
reject the local-memory cache this project uses by default.

Without a cache (Redis down; django-redis then answers None and logs the error) flood
control fails open with a warning: every comment is still held for moderation and the
honeypot, form timestamp and duplicate checks still apply, whereas failing closed would
turn away every reader for as long as Redis is down.
"""

import logging
import time

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)


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
    if attempts is None:
        logger.warning("flood control is off: the cache did not answer (from %s)", ip_address)
        return False
    return attempts > limit
