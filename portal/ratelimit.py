"""One budget for the Auth0 Management API, shared by every worker process on every machine.

Auth0 limits the Management API per tenant with a token bucket per endpoint group (a burst, refilled at
so many requests a minute). Workers that each respected the limit on their own would together exceed
it; so every call first takes a token from a bucket kept where all workers see it: Redis where the
portal has Redis (one Lua script, atomic, on the server's clock), else the database (one conditional
UPDATE, atomic on SQLite and PostgreSQL), which is what the embedded mode's processes share.

A call that finds no token is not made: the caller learns how long to wait, and the operation runner
reschedules its task for then (a worker never sleeps on a budget). An operation's run books the next free
token instead (a reservation: the bucket goes below zero, up to ``AUTH0_RATE_RESERVE_SECONDS`` of refill), and
its retry, sent for the moment that token is due, spends it without asking again: a long queue of waiting
operations comes back once each, at the pace of the limit, rather than every few seconds to find the bucket
empty again (``budget_reservations``; the runner keeps what a run booked on its operation). A reservation
whose run never comes back is a token unspent, never one spent twice; a 429 voids the reservations made before it
and stops booking in its group for a while (the bucket was not the tenant's). Auth0's own headers correct the
bucket: ``X-RateLimit-Remaining`` lower than ours (someone else spends the same budget: the dashboard,
another application) lowers ours, and a 429 empties ours until ``X-RateLimit-Reset``.

A call that finds no token and books none (outside an operation's run, or in the while after a 429 when its group
books nothing) joins its group's queue of waiters (``Store.queue``): each comes back one refill interval after
the one before it, so a crowd of waiters returns at the pace the bucket refills, not all within one burst's
refill time to find it empty again, and its wait grows with the crowd.

Of each burst the portal spends all but ``AUTH0_RATE_MARGIN_SECONDS`` of refill (``limit_with_margin``): a call
reaches Auth0 a little after it took its token, and calls taken apart may arrive together.

This module knows nothing of Auth0's paths: the gateway names the group of each call.
"""

from __future__ import annotations

import functools
import math
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
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
    """The outcome of asking for one call: ``ok``, or ``wait`` seconds until a token is due; ``reserved``: that
    token is booked for the caller, who spends it without asking again once ``wait`` has passed."""

    ok: bool
    wait: float = 0.0
    reserved: bool = False


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
    # ``horizon``: book the next token if it is due within that many seconds (0: only a token there now).
    def take(self, group: str, limit: Limit, horizon: float = 0.0) -> Taken: ...
    def tokens(self, group: str, limit: Limit) -> float: ...
    def lower(self, group: str, limit: Limit, tokens: float) -> None: ...
    # Auth0 refused a call (429) at ``at``: the bucket is set to ``tokens`` (below zero: until its reset) and
    # every booking made until then is void (``refused_at``).
    def refuse(self, group: str, limit: Limit, tokens: float, at: float) -> None: ...
    def refused_at(self, group: str, limit: Limit) -> float: ...
    # A caller refused a token and booking none, whose token is due in ``wait`` seconds: the seconds until it
    # should come back, at least ``wait`` and one refill interval (1/rate) after the last waiter queued.
    def queue(self, group: str, limit: Limit, wait: float) -> float: ...


class DatabaseStore:
    """Buckets as rows of ``portal.RateBucket``. Each step is one UPDATE whose WHERE clause holds the
    whole check, so two processes can never both spend the last token."""

    def __init__(self) -> None:
        from portal.models import RateBucket  # here: the settings read limits_parse before apps load

        self.buckets = RateBucket.objects

    def take(self, group: str, limit: Limit, horizon: float = 0.0) -> Taken:
        if self._take_above(group, limit, 1.0):
            return Taken(True)
        # No bucket yet, or an empty one: made full if missing (another taker may have made it since our
        # UPDATE found nothing), then asked once more.
        self._ensure(group, limit, time.time())
        if self._take_above(group, limit, 1.0):
            return Taken(True)
        if horizon > 0 and self._take_above(group, limit, 1.0 - horizon * limit.per_second):
            # Booked: the token taken is due when the bucket, now below zero, is back at zero. Read after the
            # UPDATE, another booking in between makes this wait a token longer than needed: late, never early.
            return Taken(False, max(0.0, -self.tokens(group, limit)) / limit.per_second, reserved=True)
        return Taken(False, (1 - self.tokens(group, limit)) / limit.per_second)

    def _take_above(self, group: str, limit: Limit, floor: float) -> int:
        now = time.time()
        refilled = self._refilled(limit, now)
        return self.buckets.filter(GreaterThanOrEqual(refilled, floor), group=group).update(
            tokens=refilled - 1, stamp=Greatest(F("stamp"), Value(now)))

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

    def refuse(self, group: str, limit: Limit, tokens: float, at: float) -> None:
        self._ensure(group, limit, time.time())
        self.buckets.filter(group=group).update(tokens=Value(tokens), stamp=Greatest(F("stamp"), Value(time.time())),
                                                refused_at=Greatest(F("refused_at"), Value(at)))

    def refused_at(self, group: str, limit: Limit) -> float:
        return self.buckets.filter(group=group).values_list("refused_at", flat=True).first() or 0.0

    def queue(self, group: str, limit: Limit, wait: float) -> float:
        now = time.time()
        self._ensure(group, limit, now)
        # One UPDATE: two waiters queued at once are served one after the other by the row's lock. Read after it,
        # a slot another waiter took in between is later than ours: late, never early.
        self.buckets.filter(group=group).update(
            queue_tail=Greatest(F("queue_tail") + Value(1.0 / limit.per_second), Value(now + wait)))
        tail = self.buckets.filter(group=group).values_list("queue_tail", flat=True).first() or now
        return max(wait, tail - now)

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


# KEYS[1]: the bucket; ARGV: burst, per-second rate, then ("take", horizon) | "peek" | ("lower", tokens) |
# ("refuse", tokens, at) | "refused" | ("queue", wait).
# Redis's own clock, so that workers on machines whose clocks disagree still share one bucket. A take answers
# "ok", "r<seconds>" (booked: the token is due then) or the tokens left.
_BUCKET_SCRIPT = """
local burst, rate = tonumber(ARGV[1]), tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
if ARGV[3] == 'queue' then
  local tail = tonumber(redis.call('HGET', KEYS[1], 'tail')) or 0
  local slot = math.max(now + tonumber(ARGV[4]), tail + 1 / rate)
  redis.call('HSET', KEYS[1], 'tail', tostring(slot))
  redis.call('EXPIRE', KEYS[1], math.max(redis.call('TTL', KEYS[1]), math.ceil(slot - now) + 60))
  return tostring(slot - now)
end
local state = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens, stamp = tonumber(state[1]) or burst, tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - stamp) * rate)
local answer = tostring(tokens)
if ARGV[3] == 'take' then
  if tokens >= 1 then
    tokens = tokens - 1; answer = 'ok'
  elseif (1 - tokens) / rate <= tonumber(ARGV[4]) then
    answer = 'r' .. tostring((1 - tokens) / rate); tokens = tokens - 1
  end
elseif ARGV[3] == 'lower' then
  tokens = math.min(tokens, tonumber(ARGV[4]))
elseif ARGV[3] == 'refuse' then
  tokens = tonumber(ARGV[4])
  local refused = tonumber(redis.call('HGET', KEYS[1], 'refused')) or 0
  redis.call('HSET', KEYS[1], 'refused', tostring(math.max(refused, tonumber(ARGV[5]))))
elseif ARGV[3] == 'refused' then
  return redis.call('HGET', KEYS[1], 'refused') or '0'
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil((burst - math.min(tokens, 0)) / rate) + 60)
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

    def take(self, group: str, limit: Limit, horizon: float = 0.0) -> Taken:
        answer = self._run(group, limit, "take", horizon)
        if answer == "ok":
            return Taken(True)
        if answer.startswith("r"):
            return Taken(False, float(answer[1:]), reserved=True)
        return Taken(False, (1 - float(answer)) / limit.per_second)

    def tokens(self, group: str, limit: Limit) -> float:
        return float(self._run(group, limit, "peek"))

    def lower(self, group: str, limit: Limit, tokens: float) -> None:
        self._run(group, limit, "lower", tokens)

    def refuse(self, group: str, limit: Limit, tokens: float, at: float) -> None:
        self._run(group, limit, "refuse", tokens, at)

    def refused_at(self, group: str, limit: Limit) -> float:
        return float(self._run(group, limit, "refused"))

    def queue(self, group: str, limit: Limit, wait: float) -> float:
        return float(self._run(group, limit, "queue", wait))


@dataclass
class Reservations:
    """The tokens an operation's run holds: ``held``, booked by its earlier runs (group → ``[due, booked_at]``
    of each, epoch seconds, in order of due), spent by the run's calls in that group one by one; ``booked``,
    booked by this run; ``spent``, the tokens this run has spent in each group (held or asked for)."""

    held: dict[str, list[list[float]]]
    booked: dict[str, list[list[float]]] = field(default_factory=dict)
    spent: dict[str, int] = field(default_factory=dict)

    def unspent(self) -> dict[str, list[list[float]]]:
        """What the run's retry holds: what this run booked, and what it held and did not reach."""
        groups = {group for group, tokens in {**self.held, **self.booked}.items() if tokens}
        return {group: sorted(self.held.get(group, []) + self.booked.get(group, [])) for group in sorted(groups)}

    def spend(self, group: str) -> None:
        self.spent[group] = self.spent.get(group, 0) + 1


_RUN_RESERVATIONS: ContextVar[Reservations | None] = ContextVar("budget_reservations", default=None)


@contextmanager
def budget_reservations(held: dict[str, list[list[float]]]) -> Iterator[Reservations]:
    """Within this block, calls out of budget book their tokens (the caller keeps ``unspent()`` for its
    retry, and passes it back here as ``held``). Only a caller that keeps them should book: a token booked and
    never spent is budget lost."""
    run = Reservations(held={group: sorted([float(due), float(booked_at)] for due, booked_at in tokens)
                             for group, tokens in held.items() if tokens})
    reset = _RUN_RESERVATIONS.set(run)
    try:
        yield run
    finally:
        _RUN_RESERVATIONS.reset(reset)


def limit_with_margin(limit: Limit, margin_seconds: float) -> Limit:
    """The bucket the portal spends from for a tenant's ``limit``: the burst less ``margin_seconds`` of refill
    (at least one token, and never the whole burst). Tokens are taken in order, but the calls they pay for reach
    Auth0 each a little later, by however long their process took to send them (a busy host, a pause); calls taken
    apart can arrive together, and a bucket spent to the last token would see more in one moment than its burst.
    The margin absorbs that; the rate, what a long run spends, is the tenant's."""
    if limit.burst <= 1 or margin_seconds <= 0:
        return limit
    margin = max(1, math.ceil(margin_seconds * limit.per_second))
    return Limit(max(1, limit.burst - margin), limit.per_minute)


class RateLimiter:
    """The tenant's Management API budget: ``limits`` per group, the ``"other"`` group for the rest;
    ``reserve_seconds``, how far ahead a run may book a token (``budget_reservations``); ``margin_seconds``, the
    part of each burst left unspent (``limit_with_margin``)."""

    def __init__(self, store: Store, limits: dict[str, Limit], reserve_seconds: float = 0.0,
                 margin_seconds: float = 0.0) -> None:
        if "other" not in limits:
            raise ValueError("AUTH0_RATE_LIMITS must give the 'other' group (every endpoint not named)")
        self.store = store
        self.tenant_limits = limits
        self.limits = {group: limit_with_margin(limit, margin_seconds) for group, limit in limits.items()}
        self.reserve_seconds = reserve_seconds

    def bucket(self, group: str) -> str:
        """The bucket a group spends from: its own if the limits name it, else the one of every
        endpoint not named ("other"; on Auth0's Free plan, where one limit covers the whole API, the
        only one)."""
        return group if group in self.limits else "other"

    def take(self, group: str) -> Taken:
        """One token for a call in ``group``; when there is none, how long to wait. Inside
        ``budget_reservations`` the run's held tokens are spent first, and out of budget the run books tokens
        due within ``reserve_seconds``. An unbooked wait is the caller's place in its group's queue of waiters
        (``Store.queue``), with jitter of up to one refill interval."""
        group = self.bucket(group)
        limit = self.limits[group]
        run = _RUN_RESERVATIONS.get()
        if run is None or self.reserve_seconds <= 0:
            taken = self.store.take(group, limit)
            return taken if taken.ok else self._queued(group, taken, limit)
        held = run.held.get(group)
        refused_at = self.store.refused_at(group, limit)
        if held and refused_at >= min(booked_at for _, booked_at in held):
            # Auth0 refused a call since they were booked: the budget they were booked on was not the tenant's
            # (others spent it, or AUTH0_RATE_LIMITS is above the plan). Spent, they would earn 429s; asked
            # afresh, they come from the bucket as the refusal left it.
            held = run.held[group] = []
        if held:
            early = held[-1][0] - time.time()
            if early > 0:
                return Taken(False, early, reserved=True)  # come back too soon (another machine's clock)
            if -early <= limit.burst / limit.per_second:
                held.pop(0)
                run.spend(group)
                return Taken(True)
            # Past their moment by more than the bucket takes to refill from empty to its burst: it may have been
            # full meanwhile, which forgets what was lent (it stops at the burst, while Auth0's, which never saw the
            # calls booked, refilled for them too); spent now, they could pass Auth0's burst. Ask afresh.
            run.held[group] = []
        # Within reserve_seconds of a refusal the group books nothing: the bucket is not the tenant's, and only
        # calls that ask it each time (lowered by every response's X-RateLimit-Remaining) follow the tenant's.
        horizon = 0.0 if time.time() - refused_at < self.reserve_seconds else self.reserve_seconds
        taken = self.store.take(group, limit, horizon=horizon)
        if taken.ok:
            run.spend(group)
            return taken
        if not taken.reserved:
            return self._queued(group, taken, limit)
        return self._book(run, group, limit, taken)

    def _book(self, run: Reservations, group: str, limit: Limit, first: Taken) -> Taken:
        """Out of budget, a run books a token for each call it made in the group and one for the call it could not
        make: its retry starts again from the top and makes them again. A token a run would book for its own
        next call only could never be enough for a run of two calls, each retry spending its one token on the
        first call and running out on the second behind everyone else's bookings. At most a burst, which is
        what the tokens a retry spends together may safely be."""
        now = time.time()
        tokens = [[now + first.wait, now]]
        for _ in range(min(run.spent.get(group, 0), limit.burst - 1)):
            more = self.store.take(group, limit, horizon=self.reserve_seconds)
            if not more.ok and not more.reserved:
                break  # beyond the horizon: the retry asks for the rest when it comes
            tokens.append([time.time() + more.wait, now])
        run.booked[group] = run.booked.get(group, []) + tokens
        return Taken(False, max(due for due, _ in tokens) - time.time(), reserved=True)

    def _queued(self, group: str, taken: Taken, limit: Limit) -> Taken:
        """A refused caller's place in the queue of waiters: a crowd comes back at the pace of the refill, one
        waiter a refill interval after another, not all at the moment the next token is due."""
        wait = self.store.queue(group, limit, max(taken.wait, 0.0))
        jitter = random.uniform(0, 1 / limit.per_second)  # noqa: S311 - jitter, not cryptography
        return Taken(False, wait + jitter)

    def observe(self, group: str, *, remaining: int | None, reset_at: float | None, refused: bool) -> None:
        """What Auth0 said of the budget in its response headers. A 429 empties the bucket until
        ``reset_at`` and voids the tokens booked until then; a ``remaining`` below ours (others spend the same
        budget) lowers ours."""
        group = self.bucket(group)
        limit = self.limits[group]
        if refused:
            # Set, not only lowered: the bookings it voids (``refused_at``) no longer weigh on the bucket.
            until = max(0.0, (reset_at or time.time() + 1) - time.time())
            self.store.refuse(group, limit, 1 - until * limit.per_second, at=time.time())
        elif remaining is not None:
            self.store.lower(group, limit, float(remaining))  # only ever lowers

    def state(self) -> list[GroupState]:
        """Each group's tenant limit and the calls the portal may make now (its margin never among them)."""
        return [GroupState(group, self.tenant_limits[group], self.store.tokens(group, limit))
                for group, limit in self.limits.items()]


def store_from_url(url: str) -> Store:
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisStore(url)
    if url == "database":
        return DatabaseStore()
    raise ValueError(f"AUTH0_RATE_LIMIT_STORE must be a redis:// URL or 'database', not {url!r}")


@functools.cache
def rate_limiter() -> RateLimiter:
    """The process's limiter, from ``AUTH0_RATE_LIMIT_STORE`` and ``AUTH0_RATE_LIMITS``."""
    return RateLimiter(store_from_url(settings.AUTH0_RATE_LIMIT_STORE), limits_parse(settings.AUTH0_RATE_LIMITS),
                       reserve_seconds=settings.AUTH0_RATE_RESERVE_SECONDS,
                       margin_seconds=settings.AUTH0_RATE_MARGIN_SECONDS)
