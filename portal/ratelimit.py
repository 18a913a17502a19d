"""One budget for the Auth0 Management API, shared by every worker process on every machine.

Auth0 limits the Management API per tenant with a token bucket per endpoint group (a burst, refilled at
so many requests a minute). Workers that each respected the limit on their own would together exceed
it; so every call first takes a token from a bucket kept where all workers see it: Redis where the
portal has Redis (one Lua script, atomic, on the server's clock), else the database (one conditional
UPDATE, atomic on SQLite and PostgreSQL), which is what the embedded mode's processes share.

A call that finds no token is not made: the caller learns how long to wait, and the operation runner
reschedules its task for then (a worker never sleeps on a budget). Auth0's own headers correct the
bucket: ``X-RateLimit-Remaining`` lower than ours (someone else spends the same budget: the dashboard,
another application) lowers ours, and a 429 empties ours until ``X-RateLimit-Reset``.

This module knows nothing of Auth0's paths: the gateway names the group of each call.
"""

from __future__ import annotations

import functools
import random
import time
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.db.models import F, Value
from django.db.models.functions import Greatest, Least
from django.db.models.lookups import GreaterThan, GreaterThanOrEqual


@dataclass(frozen=True)
class Limit:
    burst: int
    per_minute: float

    @property
    def per_second(self) -> float:
        return self.per_minute / 60.0


@dataclass(frozen=True)
class Taken:
    """The outcome of asking for one call: ``ok``, or ``wait`` seconds until a token is due."""

    ok: bool
    wait: float = 0.0


@dataclass(frozen=True)
class GroupState:
    group: str
    limit: Limit
    tokens: float

    @property
    def available(self) -> int:
        return max(0, int(self.tokens))


def limits_parse(text: str) -> dict[str, Limit]:
    """``"write_users=20/200, read_users=40/500"`` (group=burst/per-minute) as limits; a clear
    ValueError for anything else, so a mistyped setting stops the process at start."""
    limits: dict[str, Limit] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        group, _, spec = part.partition("=")
        burst, _, per_minute = spec.partition("/")
        try:
            limit = Limit(int(burst), float(per_minute))
        except ValueError:
            raise ValueError(
                f"AUTH0_RATE_LIMITS: {part!r} is not group=burst/per-minute (e.g. write_users=20/200)"
            ) from None
        if not group.strip() or limit.burst < 1 or limit.per_minute <= 0:
            raise ValueError(f"AUTH0_RATE_LIMITS: {part!r} needs a group name, a burst of 1 or more and a rate above 0")
        limits[group.strip()] = limit
    return limits


class Store(Protocol):
    def take(self, group: str, limit: Limit) -> Taken: ...
    def tokens(self, group: str, limit: Limit) -> float: ...
    def lower(self, group: str, limit: Limit, tokens: float) -> None: ...


class DatabaseStore:
    """Buckets as rows of ``portal.RateBucket``. Each step is one UPDATE whose WHERE clause holds the
    whole check, so two processes can never both spend the last token."""

    def __init__(self) -> None:
        from portal.models import RateBucket  # here: the settings read limits_parse before apps load

        self.buckets = RateBucket.objects

    def take(self, group: str, limit: Limit) -> Taken:
        for _ in range(2):
            now = time.time()
            refilled = self._refilled(limit, now)
            if self.buckets.filter(GreaterThanOrEqual(refilled, 1.0), group=group).update(
                tokens=refilled - 1, stamp=Greatest(F("stamp"), Value(now))
            ):
                return Taken(True)
            if not self._ensure(group, limit, now):
                break  # the bucket exists and is empty
        return Taken(False, (1 - self.tokens(group, limit)) / limit.per_second)

    def tokens(self, group: str, limit: Limit) -> float:
        now = time.time()
        row = self.buckets.filter(group=group).values_list("tokens", "stamp").first()
        if row is None:
            return float(limit.burst)
        tokens, stamp = row
        return min(float(limit.burst), tokens + max(0.0, now - stamp) * limit.per_second)

    def lower(self, group: str, limit: Limit, tokens: float) -> None:
        if not self._lower_once(group, limit, tokens) and self._ensure(group, limit, time.time()):
            self._lower_once(group, limit, tokens)

    def _lower_once(self, group: str, limit: Limit, tokens: float) -> int:
        now = time.time()
        return self.buckets.filter(GreaterThan(self._refilled(limit, now), tokens), group=group).update(
            tokens=Value(tokens), stamp=Greatest(F("stamp"), Value(now))
        )

    @staticmethod
    def _refilled(limit: Limit, now: float):
        # A clock behind the last stamp (another machine's) refills nothing rather than draining.
        elapsed = Greatest(Value(now) - F("stamp"), Value(0.0))
        return Least(Value(float(limit.burst)), F("tokens") + elapsed * Value(limit.per_second))

    def _ensure(self, group: str, limit: Limit, now: float) -> bool:
        """Create the group's bucket, full, if it does not exist yet; whether it was created."""
        return self.buckets.get_or_create(group=group, defaults={"tokens": float(limit.burst), "stamp": now})[1]


# KEYS[1]: the bucket; ARGV: burst, per-second rate, then "take" | "peek" | ("lower", tokens).
# Redis's own clock, so that workers on machines whose clocks disagree still share one bucket.
_BUCKET_SCRIPT = """
local burst, rate = tonumber(ARGV[1]), tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens, stamp = tonumber(state[1]) or burst, tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - stamp) * rate)
local answer = tostring(tokens)
if ARGV[3] == 'take' then
  if tokens >= 1 then tokens = tokens - 1; answer = 'ok' end
elseif ARGV[3] == 'lower' then
  tokens = math.min(tokens, tonumber(ARGV[4]))
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 60)
return answer
"""


class RedisStore:
    def __init__(self, url: str, prefix: str = "portal:auth0-rate:") -> None:
        import redis

        self.client = redis.Redis.from_url(url)
        self.prefix = prefix
        self.script = self.client.register_script(_BUCKET_SCRIPT)

    def _run(self, group: str, limit: Limit, *args: object) -> str:
        answer = self.script(keys=[self.prefix + group], args=[limit.burst, limit.per_second, *args])
        return answer.decode() if isinstance(answer, bytes) else str(answer)

    def take(self, group: str, limit: Limit) -> Taken:
        answer = self._run(group, limit, "take")
        if answer == "ok":
            return Taken(True)
        return Taken(False, (1 - float(answer)) / limit.per_second)

    def tokens(self, group: str, limit: Limit) -> float:
        return float(self._run(group, limit, "peek"))

    def lower(self, group: str, limit: Limit, tokens: float) -> None:
        self._run(group, limit, "lower", tokens)


class RateLimiter:
    """The tenant's Management API budget: ``limits`` per group, the ``"other"`` group for the rest."""

    def __init__(self, store: Store, limits: dict[str, Limit]) -> None:
        if "other" not in limits:
            raise ValueError("AUTH0_RATE_LIMITS must give the 'other' group (every endpoint not named)")
        self.store = store
        self.limits = limits

    def bucket(self, group: str) -> str:
        """The bucket a group spends from: its own if the limits name it, else the one of every
        endpoint not named ("other"; on Auth0's Free plan, where one limit covers the whole API, the
        only one)."""
        return group if group in self.limits else "other"

    def take(self, group: str) -> Taken:
        """One token for a call in ``group``; when there is none, how long to wait. The wait carries
        jitter of up to one burst's refill time, so that calls waiting together do not all come back
        at the same instant and find the bucket empty again."""
        group = self.bucket(group)
        limit = self.limits[group]
        taken = self.store.take(group, limit)
        if taken.ok:
            return taken
        jitter = random.uniform(0, limit.burst / limit.per_second)  # noqa: S311 - jitter, not cryptography
        return Taken(False, max(taken.wait, 0.0) + jitter)

    def observe(self, group: str, *, remaining: int | None, reset_at: float | None, refused: bool) -> None:
        """What Auth0 said of the budget in its response headers. A 429 empties the bucket until
        ``reset_at``; a ``remaining`` below ours (others spend the same budget) lowers ours."""
        group = self.bucket(group)
        limit = self.limits[group]
        if refused:
            until = max(0.0, (reset_at or time.time() + 1) - time.time())
            self.store.lower(group, limit, 1 - until * limit.per_second)
        elif remaining is not None:
            self.store.lower(group, limit, float(remaining))  # only ever lowers

    def state(self) -> list[GroupState]:
        return [GroupState(group, limit, self.store.tokens(group, limit)) for group, limit in self.limits.items()]


def store_from_url(url: str) -> Store:
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisStore(url)
    if url == "database":
        return DatabaseStore()
    raise ValueError(f"AUTH0_RATE_LIMIT_STORE must be a redis:// URL or 'database', not {url!r}")


@functools.cache
def rate_limiter() -> RateLimiter:
    """The process's limiter, from ``AUTH0_RATE_LIMIT_STORE`` and ``AUTH0_RATE_LIMITS``."""
    return RateLimiter(store_from_url(settings.AUTH0_RATE_LIMIT_STORE), limits_parse(settings.AUTH0_RATE_LIMITS))
