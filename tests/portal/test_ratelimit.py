"""The shared Management API budget: both stores (the database, which the embedded mode's processes
share, and Redis) keep one bucket per group that no two takers can overspend, refilled at the group's
rate, lowered by what Auth0 reports, and emptied by a 429 until Auth0's reset."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from django.db import connection

from auth0_emulator.config import RateLimit
from auth0_emulator.management.ratelimit import Bucket
from portal.ratelimit import (
    DatabaseStore,
    Limit,
    RateLimiter,
    Store,
    budget_reservations,
    limit_with_margin,
    limits_parse,
)
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


def test_refused_takers_queue_and_come_back_one_refill_apart(store: Store) -> None:
    """Five callers refused at once (one token due in 10 s, one more every 10 s) come back in turn, each a refill
    interval after the one before (with jitter within one interval), not all at the moment the first token is
    due."""
    limiter = RateLimiter(store, {"other": SLOW})
    for _ in range(5):
        limiter.take("other")
    interval = 1 / SLOW.per_second
    waits = [limiter.take("other").wait for _ in range(5)]
    for place, wait in enumerate(waits):
        assert 9 + place * interval < wait <= 10 + (place + 1) * interval, (place, waits)
    assert store.queue("other", SLOW, 0.0) > 5 * interval  # a sixth waiter comes back after the five


def test_a_queue_of_waiters_drains_to_nothing_once_they_have_come_back(store: Store) -> None:
    fast = Limit(burst=1, per_minute=600)  # a refill interval of 0.1 s
    for _ in range(3):
        store.queue("other", fast, 0.0)
    time.sleep(0.5)
    assert store.queue("other", fast, 0.05) == pytest.approx(0.05, abs=0.02)


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


def test_a_run_books_the_next_tokens_up_to_the_horizon_and_no_further(store: Store) -> None:
    limiter = RateLimiter(store, {"other": SLOW}, reserve_seconds=25)
    for _ in range(5):
        assert limiter.take("other").ok
    with budget_reservations({}) as first:
        booked = limiter.take("other")
    with budget_reservations({}) as second:
        next_booked = limiter.take("other")
    with budget_reservations({}) as third:
        beyond = limiter.take("other")
    # One token every 10 s: the first waiter's is due in 10 s, the second's in 20; the third's would be in 30,
    # beyond the horizon, so it is not booked and comes back later (with jitter) to ask again.
    assert booked.reserved and 9 < booked.wait <= 10 and set(first.booked) == {"other"}
    assert next_booked.reserved and 19 < next_booked.wait <= 20
    assert not beyond.reserved and beyond.wait > 29 and third.booked == {}
    assert second.unspent()["other"][0][0] - first.unspent()["other"][0][0] == pytest.approx(10, abs=0.5)
    assert store.tokens("other", SLOW) == pytest.approx(-2, abs=0.01)  # two tokens lent ahead


def test_a_held_token_is_spent_once_without_asking_the_bucket(store: Store) -> None:
    limiter = RateLimiter(store, {"other": SLOW}, reserve_seconds=60)
    for _ in range(5):
        limiter.take("other")
    now = time.time()
    with budget_reservations({"other": [[now - 0.5, now - 10]]}) as run:
        assert limiter.take("other").ok  # due: spent, the bucket untouched
        assert store.tokens("other", SLOW) == pytest.approx(0, abs=0.1)
        again = limiter.take("other")  # the run's next call in the group asks the bucket: booked
    # Its retry will make both calls again: two tokens booked, the second due a refill later than the first.
    assert again.reserved and 19 < again.wait <= 20
    assert [due for due, _ in run.unspent()["other"]] == [pytest.approx(time.time() + 10, abs=0.5),
                                                          pytest.approx(time.time() + 20, abs=0.5)]
    # Come back early (another machine's clock): the tokens stay theirs, due when they were.
    due = time.time() + 3
    with budget_reservations({"other": [[due, due - 10]]}) as early:
        held = limiter.take("other")
    assert held.reserved and 2 < held.wait <= 3 and early.unspent() == {"other": [[due, due - 10]]}
    # Past its moment by more than the bucket takes to refill its burst (50 s here): the bucket may have been full
    # meanwhile and forgotten it, so it is not spent late; the run asks afresh (and is booked behind the others).
    with budget_reservations({"other": [[time.time() - 60, time.time() - 70]]}) as late:
        stale = limiter.take("other")
    assert stale.reserved and late.unspent()["other"][0][0] > time.time() + 25
    # Late by less: spent.
    with budget_reservations({"other": [[time.time() - 40, time.time() - 50]]}) as recent:
        assert limiter.take("other").ok
    assert recent.unspent() == {}


def test_a_run_of_several_calls_books_enough_for_its_retry_to_finish(store: Store) -> None:
    """A retry starts from the top: a run that made two calls and could not make its third books three tokens,
    and its retry makes all three, although others booked tokens meanwhile (with a token each it would spend it
    on its first call and run out on its second, every time)."""
    limit = Limit(burst=3, per_minute=120)  # a token every half second
    limiter = RateLimiter(store, {"other": limit}, reserve_seconds=60)
    limiter.take("other")  # someone else's call: two left
    with budget_reservations({}) as first:
        assert limiter.take("other").ok and limiter.take("other").ok
        out = limiter.take("other")
    assert out.reserved and len(first.unspent()["other"]) == 3
    with budget_reservations({}) as other:  # another run, booked behind it
        assert limiter.take("other").reserved
    time.sleep(out.wait + 0.05)
    with budget_reservations(first.unspent()) as retry:
        assert [limiter.take("other").ok for _ in range(3)] == [True, True, True]
    assert retry.unspent() == {} and retry.spent == {"other": 3}
    assert len(other.unspent()["other"]) == 1  # its token is still there for it: the bucket lent it apart


def test_a_refusal_voids_the_tokens_booked_before_it(store: Store) -> None:
    """A 429 says the budget the bookings were made on was not the tenant's (others spend it, or the limits are
    set above the plan): tokens booked before it are not spent (they would earn 429s too) but asked for afresh,
    from the bucket as the refusal set it (its debt of void bookings forgiven), and for AUTH0_RATE_RESERVE_SECONDS
    nothing is booked."""
    limiter = RateLimiter(store, {"other": SLOW}, reserve_seconds=60)
    for _ in range(5):
        limiter.take("other")
    with budget_reservations({}) as first:
        assert limiter.take("other").reserved
    assert store.tokens("other", SLOW) == pytest.approx(-1, abs=0.1)
    limiter.observe("other", remaining=0, reset_at=time.time() + 5, refused=True)
    assert store.tokens("other", SLOW) == pytest.approx(1 - 5 * SLOW.per_second, abs=0.1)  # set: the debt is void
    (due, booked_at), = first.unspent()["other"]
    with budget_reservations({"other": [[time.time() - 0.5, booked_at]]}) as retry:  # due now, booked before
        again = limiter.take("other")
    # Not spent, and nothing booked: for a while after a refusal, calls ask the bucket each time, as Auth0's
    # answers lower it.
    assert not again.ok and not again.reserved and retry.unspent() == {} and again.wait >= 4
    # Booked after the refusal: spent.
    with budget_reservations({"other": [[time.time() - 0.5, time.time()]]}):
        assert limiter.take("other").ok


def test_outside_a_run_nothing_is_booked(store: Store) -> None:
    limiter = RateLimiter(store, {"other": SLOW}, reserve_seconds=60)
    for _ in range(5):
        limiter.take("other")
    refused = limiter.take("other")
    assert not refused.ok and not refused.reserved
    assert store.tokens("other", SLOW) == pytest.approx(0, abs=0.1)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["database", "redis"])
def test_concurrent_runs_never_book_more_than_the_horizon_holds(kind: str) -> None:
    if kind == "database" and connection.vendor == "sqlite":
        store: Store = DatabaseStore()
        threads_count = 1
    else:
        store = DatabaseStore() if kind == "database" else IsolatedRedisStore()
        threads_count = 8
    limit = Limit(burst=10, per_minute=60)  # a token a second
    limiter = RateLimiter(store, {"other": limit}, reserve_seconds=20)
    # Each call's moment: when it was allowed (now) or when its booked token is due.
    calls: list[tuple[bool, float]] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            for _ in range(80 // threads_count):
                with budget_reservations({}):
                    taken = limiter.take("write_users")
                with lock:
                    if taken.ok or taken.reserved:
                        calls.append((taken.reserved, time.time() + taken.wait))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(threads_count)]
    started = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.time() - started
    moments = sorted(moment for _, moment in calls)
    # Never more calls by any moment than the bucket holds by then (its burst, and a token a second since the
    # start): no token is given twice, however the bookings interleave. The bookings reach to the horizon and no
    # further (which moves on with the clock while the run lasts).
    assert all(n <= limit.burst + (moment - started) * limit.per_second + 0.2 for n, moment in enumerate(moments, 1))
    booked = sorted(moment for reserved, moment in calls if reserved)
    assert 20 <= len(calls) - limit.burst <= 20 + took + 1 and booked[-1] <= started + took + 20 + 0.2
    if kind == "redis":
        # Redis answers each booking from the same script that makes it: each due at its own second (read here a
        # moment after Redis answered, which a busy machine may stretch).
        assert all(later - earlier > 0.5 for earlier, later in zip(booked, booked[1:], strict=False))
        store.clear()


def test_the_margin_is_a_part_of_each_burst_worth_the_seconds_given() -> None:
    assert limit_with_margin(Limit(20, 200), 0.5) == Limit(18, 200)  # 0.5 s of 3.3 a second: 2 tokens
    assert limit_with_margin(Limit(50, 60), 0.5) == Limit(49, 60)  # at least one token
    assert limit_with_margin(Limit(3, 600), 0.5) == Limit(1, 600)  # never the whole burst
    assert limit_with_margin(Limit(1, 60), 0.5) == Limit(1, 60)  # a burst of one has nothing to spare
    assert limit_with_margin(Limit(20, 200), 0) == Limit(20, 200)
    limiter = RateLimiter(IsolatedRedisStore(), {"other": Limit(20, 6)}, margin_seconds=0.5)
    try:
        assert [limiter.take("other").ok for _ in range(20)] == [True] * 19 + [False]
        assert [(s.group, s.limit.burst, s.available) for s in limiter.state()] == [("other", 20, 0)]
    finally:
        limiter.store.clear()


@pytest.mark.django_db
@pytest.mark.parametrize("margin_seconds", [0.3, 0.0])
def test_calls_that_reach_auth0_late_and_together_stay_within_its_burst(monkeypatch, margin_seconds: float) -> None:
    """Calls spent as fast as the budget allows (on a clock of the test's), each reaching the tenant up to 0.3 s
    later than it took its token: the emulator's own bucket, Auth0's limit, refuses none of them with the margin;
    without one, the calls of the first burst that arrive late together with the next ones are refused."""
    tenant = Limit(burst=10, per_minute=600)  # 10 a second
    now = [1000.0]
    monkeypatch.setattr("portal.ratelimit.time", SimpleNamespace(time=lambda: now[0]))
    limiter = RateLimiter(DatabaseStore(), {"other": tenant}, margin_seconds=margin_seconds)
    taken: list[float] = []
    while now[0] < 1003.0:
        while limiter.take("other").ok:
            taken.append(now[0])
        now[0] = round(now[0] + 0.01, 2)

    def refusals(arrivals: list[float]) -> int:
        bucket = Bucket(RateLimit(tenant.burst, int(tenant.per_minute)), float(tenant.burst), arrivals[0])
        return sum(not bucket.take(at) for at in sorted(arrivals))

    first_late = [at + (0.3 if at == taken[0] else 0.0) for at in taken]  # the first burst held up, the rest not
    rng = random.Random(7)
    scattered = [at + rng.uniform(0, 0.3) for at in taken]
    if margin_seconds:
        assert refusals(first_late) == 0 and refusals(scattered) == 0
    else:
        assert refusals(first_late) > 0
