"""Flood control: at most COMMENTS_FLOOD_LIMIT comment attempts from one IP in any
COMMENTS_FLOOD_WINDOW seconds: a sliding window, with no boundary to burst across.

Each IP has LIMIT slots in Django's cache (shared through Redis when REDIS_URL is set, so
every app server sees them). An attempt takes a free slot with ``cache.add()`` (Redis
``SET NX`` with an expiry: atomic across servers) and keeps it for WINDOW seconds; when
every slot is taken, LIMIT attempts were let in during the last WINDOW seconds and this
one is refused, without taking anything, until the oldest slot expires. A large LIMIT
(a load test's) is probed at PROBES random slots, not all: never more than LIMIT get
in, and close to the limit one may be refused a little early. Fixed windows
(counting per clock minute, as before) let 2 x LIMIT through in a moment across the turn
of a minute. django-ratelimit counts in fixed windows (and its checks reject the
local-memory cache); the ``limits`` package has a moving window but keeps it through its
own Redis client, outside Django's cache, its timeouts and its fail-open behaviour below.

Without a cache (Redis down; django-redis then answers None and logs the error) flood
control fails open with a warning: every comment is still held for moderation and the
honeypot, form timestamp and duplicate checks still apply, whereas failing closed would
turn away every reader for as long as Redis is down.
"""

import logging
import random
import time

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)
PROBES = 16


def too_many_attempts(ip_address: str | None) -> bool:
    """Let this attempt take one of the IP's slots; True when none is free."""
    limit, window = settings.COMMENTS_FLOOD_LIMIT, settings.COMMENTS_FLOOD_WINDOW
    if not limit or not ip_address:
        return False
    slots = range(limit) if limit <= PROBES else random.sample(range(limit), PROBES)
    for slot in slots:
        taken = cache.add(f"comments:flood:{ip_address}:{slot}", time.time(), timeout=window)
        if taken is None:
            logger.warning("flood control is off: the cache did not answer (from %s)", ip_address)
            return False
        if taken:
            return False
    return True
