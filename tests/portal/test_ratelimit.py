"""The shared Management API budget: both stores (the database, which the embedded mode's processes
share, and Redis) keep one bucket per group that no two takers can overspend, refilled at the group's
rate, lowered by what Auth0 reports, and emptied by a 429 until Auth0's reset."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from django.db import connection

from portal.ratelimit import DatabaseStore, Limit, RateLimiter, Store, limits_parse
from tests.support.budget import IsolatedRedisStore

SLOW = Limit(burst=5, per_minute=6)  # one token every 10 s: nothing refills while a test runs


@pytest.fixture(params=[pytest.param("database", marks=pytest.mark.django_db), "redis"])
def store(request) -> Iterator[Store]:
    if request.param == "database":
        yield DatabaseStore()
    else:
        redis_store = IsolatedRedisStore()
        yield redis_store
        redis_store.clear()


def test_a_burst_then_a_wait_of_one_refill(store: Store) -> None:
    limiter = RateLimiter(store, {"other": SLOW})
    assert [limiter.take("write_users").ok for _ in range(6)] == [True] * 5 + [False]
    refused = store.take("other", SLOW)  # a group the limits do not name spends from "other"
    assert not refused.ok and 9 < refused.wait <= 10  # one token at 6 a minute
    assert [(s.group, s.available) for s in limiter.state()] == [("other", 0)]


def test_tokens_come_back_at_the_groups_rate(store: Store) -> None:
    fast = Limit(burst=2, per_minute=1200)  # 20 a second
    assert [store.take("read_users", fast).ok for _ in range(3)] == [True, True, False]
    time.sleep(0.2)  # at least 4 tokens' worth of time, capped at the burst
    assert [store.take("read_users", fast).ok for _ in range(3)] == [True, True, False]


def test_named_groups_are_separate_budgets_and_the_rest_share_one(store: Store) -> None:
    limiter = RateLimiter(store, {"write_users": Limit(1, 6), "other": Limit(2, 6)})
    assert limiter.take("write_users").ok and not limiter.take("write_users").ok
    assert limiter.take("read_users").ok and limiter.take("read_logs").ok  # both from "other"
    assert not limiter.take("other").ok


def test_auth0s_remaining_lowers_the_bucket_and_a_429_empties_it_until_the_reset(store: Store) -> None:
    limiter = RateLimiter(store, {"other": SLOW})
    limiter.observe("read_users", remaining=2, reset_at=None, refused=False)
    assert [limiter.take("read_users").ok for _ in range(3)] == [True, True, False]
    limiter.observe("read_users", remaining=40, reset_at=None, refused=False)  # never raises it
    assert not limiter.take("read_users").ok

    limiter = RateLimiter(store, {"write_users": SLOW, "other": SLOW})
    limiter.observe("write_users", remaining=0, reset_at=time.time() + 30, refused=True)
    refused = store.take("write_users", SLOW)
    assert not refused.ok and 29 < refused.wait <= 31


def test_a_refused_take_waits_with_jitter_within_one_burst(store: Store) -> None:
    limiter = RateLimiter(store, {"other": SLOW})
    for _ in range(5):
        limiter.take("other")
    waits = {round(limiter.take("other").wait, 3) for _ in range(5)}
    assert all(9 < w <= 10 + SLOW.burst / SLOW.per_second for w in waits) and len(waits) > 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["database", "redis"])
def test_concurrent_takers_never_spend_more_than_the_bucket_holds(kind: str) -> None:
    if kind == "database" and connection.vendor == "sqlite":
        # SQLite's in-memory test database is one connection; the embedded mode's file database is
        # covered by the same single UPDATE, which SQLite runs one writer at a time.
        store: Store = DatabaseStore()
        threads_count = 1
    else:
        store = DatabaseStore() if kind == "database" else IsolatedRedisStore()
        threads_count = 8
    limit = Limit(burst=40, per_minute=6)
    granted: list[bool] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            for _ in range(80 // threads_count):
                ok = store.take("write_users", limit).ok
                with lock:
                    granted.append(ok)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(threads_count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(granted) == 80 and granted.count(True) == 40


def test_limits_parse_reads_the_setting_and_refuses_what_it_cannot_read() -> None:
    assert limits_parse("write_users=20/200, other=10/150") == {
        "write_users": Limit(20, 200.0), "other": Limit(10, 150.0)}
    for bad in ("write_users=20", "write_users=x/200", "=20/200", "write_users=0/200", "write_users=20/0"):
        with pytest.raises(ValueError, match="AUTH0_RATE_LIMITS"):
            limits_parse(bad)
    with pytest.raises(ValueError, match="'other' group"):
        RateLimiter(DatabaseStore.__new__(DatabaseStore), limits_parse("write_users=20/200"))
