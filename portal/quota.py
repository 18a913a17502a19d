"""How often one person may ask for something that reaches outside the portal (an email, an export): a
number of requests per window, counted where every web process and machine sees the same count, and counted
atomically, so that requests arriving at the same instant can never together pass the limit.

A fixed window that starts at the first request: simple to explain ("3 an hour; you can ask again in 40
minutes") and enough against someone pressing a button in a loop. A refused request is not counted (it does
not push the window's end further away).

Where the count lives follows the configured cache (``CACHES["default"]``):

- **Redis** (production insists on it): one Lua script per request, run by the server as one step, reads the
  count, refuses at the limit, else increments it, giving a new count its expiry (the window) in the same
  step; Redis's own clock ends the window, whichever machine asked.
- **Anything else** (the embedded mode's database cache, the tests' local memory, a file cache): a row per key
  in ``portal.QuotaCount``, changed only by conditional UPDATEs whose WHERE clause holds the whole check
  (``used < limit`` within the window), so two processes can never both take the last request. The database
  is what every process of the embedded mode shares; a cache that is not shared (local memory) or not atomic
  would not hold the limit.

Usage: ``wait = quota_take("password-email:auth0|…", Quota(3, 3600))``; ``None`` means go ahead, else the
seconds until the window ends (refuse, and say when to try again).
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import ngettext, pgettext

# The longest key kept as it is; a longer one is kept by its digest (the database column's length).
KEY_MAX = 200


@dataclass(frozen=True)
class Quota:
    limit: int
    window_seconds: int


def quota_take(key: str, quota: Quota) -> float | None:
    """Count one request under ``key``; None when it is within the quota, else how many seconds remain until
    the window ends (a refused request is not counted: it does not push the end further away)."""
    if quota.limit < 1 or quota.window_seconds < 1:
        raise ValueError(f"A quota needs a limit and a window of 1 or more, not {quota}.")
    key = key if len(key) <= KEY_MAX else "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        return _redis_take(backend, key, quota)
    return _database_take(key, quota)


# -- Redis: one script, one step --------------------------------------------------------------------------------
# KEYS[1]: the count; ARGV: the limit, the window in milliseconds. Answers 0 when the request is counted, else
# the milliseconds until the window ends. A count found without an expiry (never written so: a key set by hand)
# is given one, so that no window lasts for ever.
_TAKE_SCRIPT = """
local limit, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local left = redis.call('PTTL', KEYS[1])
if used > 0 and left < 0 then
  redis.call('PEXPIRE', KEYS[1], window)
  left = window
end
if used >= limit then
  return math.max(left, 1)
end
redis.call('INCR', KEYS[1])
if used == 0 then
  redis.call('PEXPIRE', KEYS[1], window)
end
return 0
"""


def _redis_take(backend: RedisCache, key: str, quota: Quota) -> float | None:
    # Through the configured cache's own connection pool (its servers, options and key prefix), on the server
    # it writes to. Not Django's cache API: it has no step that both increments and expires.
    client = backend._cache.get_client(write=True)  # noqa: SLF001
    cache_key = backend.make_key(f"quota-count:{key}")
    left_ms = int(client.register_script(_TAKE_SCRIPT)(keys=[cache_key], args=[quota.limit,
                                                                              quota.window_seconds * 1000]))
    return None if left_ms == 0 else max(1.0, left_ms / 1000)


# -- the database: conditional updates ------------------------------------------------------------------------
def _database_take(key: str, quota: Quota) -> float | None:
    from portal.models import QuotaCount  # here: this module is imported before the apps are ready

    rows = QuotaCount.objects.filter(key=key)
    for _ in range(3):
        now = time.time()
        window_start = now - quota.window_seconds
        # Within the window and below the limit: counted (the WHERE clause is the whole check).
        if rows.filter(started__gt=window_start, used__lt=quota.limit).update(used=F("used") + 1):
            return None
        # The window has ended: a new one begins with this request (one request wins it; the other finds the
        # new window above on its next round).
        if rows.filter(started__lte=window_start).update(started=now, used=1):
            return None
        started = rows.values_list("started", flat=True).first()
        if started is not None:
            if started > window_start:
                return _seconds_left(started, now, quota)  # full for this window
            continue  # its window ended between the two reads: again
        try:
            with transaction.atomic():  # a savepoint: a request that lost the race leaves its caller's transaction
                QuotaCount.objects.create(key=key, started=now, used=1)
            return None
        except IntegrityError:
            continue  # another request made the row first: count against it
    # Three rounds lost to other requests changing the same row: the row is busy, its window open; refuse.
    started = rows.values_list("started", flat=True).first()
    return _seconds_left(started if started is not None else time.time(), time.time(), quota)


def _seconds_left(started: float, now: float, quota: Quota) -> float:
    return max(1.0, min(float(quota.window_seconds), started + quota.window_seconds - now))


def duration_text(seconds: float) -> str:
    """"31 seconds", "2 minutes", "1 hour and 5 minutes", "24 hours": a span rounded up (to the second under a
    minute, to the minute above), in the reader's language."""
    if seconds < 60:
        count = math.ceil(seconds)
        return ngettext("%(count)s second", "%(count)s seconds", count) % {"count": count}
    hours, minutes = divmod(math.ceil(seconds / 60), 60)
    hours_text = ngettext("%(count)s hour", "%(count)s hours", hours) % {"count": hours}
    minutes_text = ngettext("%(count)s minute", "%(count)s minutes", minutes) % {"count": minutes}
    if hours and minutes:
        return pgettext("a span of time", "%(hours)s and %(minutes)s") % {"hours": hours_text, "minutes": minutes_text}
    return hours_text if hours else minutes_text


def quota_wait_text(seconds: float) -> str:
    """"in 40 minutes", "in 1 hour and 5 minutes", "in 30 seconds": when a refused request may be made again, in
    the reader's language."""
    return pgettext("when something may be asked for again", "in %(duration)s") % {"duration": duration_text(seconds)}
