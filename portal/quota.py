"""How often one person may ask for something that reaches outside the portal (an email, an export): a
number of requests per window, counted in the shared cache, so every web process and machine counts the
same requests (Redis in production; a database table in the embedded mode).

A fixed window that starts at the first request: simple to explain ("3 an hour; you can ask again in 40
minutes") and enough against someone pressing a button in a loop. The window's start and count are one
value, written with the time left as its timeout, because caches differ in whether an increment keeps a
key's expiry (Django's database cache does not). Best effort: two requests at the same instant may both
pass, never more than that.

Usage: ``wait = quota_take("password-email:auth0|…", Quota(3, 3600))``; ``None`` means go ahead, else the
seconds until the window ends (refuse, and say when to try again).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class Quota:
    limit: int
    window_seconds: int


def quota_take(key: str, quota: Quota) -> float | None:
    """Count one request under ``key``; None when it is within the quota, else how many seconds remain until
    the window ends (a refused request is not counted: it does not push the end further away)."""
    cache_key, now = f"quota:{key}", time.time()
    state = cache.get(cache_key)
    if not state or now >= state[0] + quota.window_seconds:
        state = (now, 0)
    started, used = state
    left = started + quota.window_seconds - now
    if used >= quota.limit:
        return max(1.0, left)
    cache.set(cache_key, (started, used + 1), timeout=max(1, math.ceil(left)))
    return None


def quota_wait_text(seconds: float) -> str:
    """"in 40 minutes", "in 1 hour and 5 minutes", "in 30 seconds": when a refused request may be made again."""
    if seconds < 60:
        return f"in {math.ceil(seconds)} second{'s' if math.ceil(seconds) != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return "in " + " and ".join(parts)
