"""portal.quota: a number of requests per window and per key, counted atomically where every process sees it:
Redis when the cache is Redis (production), else a row per key in the database (the embedded mode's database
cache, the tests' local memory). Requests at the same instant never pass together beyond the limit."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
import redis
from django.core.cache import caches
from django.utils import translation

from portal import quota
from portal.models import QuotaCount
from portal.quota import Quota, quota_take, quota_wait_text
from tests.support.budget import REDIS_URL
from tests.support.concurrency import needs_database_server, simultaneously

DATABASE_CACHE = {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "quota_test_cache"}


@pytest.fixture
def clock(monkeypatch):
    now = [5_000_000.0]
    monkeypatch.setattr(quota.time, "time", lambda: now[0])
    return now


@pytest.fixture
def redis_cache(settings) -> Iterator[redis.Redis]:
    """The default cache on Redis, as production has it, under a key prefix of the test's own (removed after)."""
    prefix = f"test-quota-{secrets.token_hex(6)}"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                                   "KEY_PREFIX": prefix}}
    client = redis.Redis.from_url(REDIS_URL)
    yield client
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()


def redis_count_key(key: str) -> str:
    return caches["default"].make_key(f"quota-count:{key}")


@pytest.mark.django_db
def test_a_window_allows_its_limit_then_says_when_it_ends(clock) -> None:
    two_a_minute = Quota(limit=2, window_seconds=60)
    assert quota_take("k", two_a_minute) is None
    clock[0] += 10
    assert quota_take("k", two_a_minute) is None
    clock[0] += 5
    assert quota_take("k", two_a_minute) == 45  # the window began at the first request
    clock[0] += 30
    assert quota_take("k", two_a_minute) == 15  # refusals do not count, nor push the end away
    assert QuotaCount.objects.get(key="k").used == 2
    clock[0] += 15
    assert quota_take("k", two_a_minute) is None  # a new window, begun by this request
    assert QuotaCount.objects.get(key="k").started == clock[0]
    assert quota_take("other", two_a_minute) is None  # each key its own
    assert QuotaCount.objects.count() == 2  # one row per key, made again in place


@pytest.mark.django_db
def test_the_embedded_modes_database_cache_counts_in_the_quota_table(settings) -> None:
    """Django's database cache has no atomic step that counts and expires: the count is a row of its own (real
    time here)."""
    settings.CACHES = {"default": DATABASE_CACHE}
    one_an_hour = Quota(limit=1, window_seconds=3600)
    assert quota_take("db", one_an_hour) is None
    wait = quota_take("db", one_an_hour)
    assert wait is not None and 3590 < wait <= 3600
    assert QuotaCount.objects.get(key="db").used == 1


def test_on_redis_the_count_and_its_window_are_one_key_that_expires(redis_cache) -> None:
    two_an_hour = Quota(limit=2, window_seconds=3600)
    assert quota_take("r", two_an_hour) is None
    assert quota_take("r", two_an_hour) is None
    wait = quota_take("r", two_an_hour)
    assert wait is not None and 3590 < wait <= 3600
    assert quota_take("r", two_an_hour) is not None
    key = redis_count_key("r")
    assert int(redis_cache.get(key)) == 2  # the refusals were not counted
    assert 3_590_000 < redis_cache.pttl(key) <= 3_600_000  # the window set with the first count, not moved since
    redis_cache.delete(key)  # what Redis does when the window ends
    assert quota_take("r", two_an_hour) is None
    assert quota_take("other", two_an_hour) is None  # each key its own


def test_on_redis_a_count_without_an_end_is_given_one(redis_cache) -> None:
    key = redis_count_key("stuck")
    redis_cache.set(key, 5)  # written by hand, without an expiry
    wait = quota_take("stuck", Quota(limit=5, window_seconds=60))
    assert wait is not None and 50 < wait <= 60
    assert 0 < redis_cache.pttl(key) <= 60_000


@pytest.mark.django_db
def test_a_long_key_is_kept_by_its_digest() -> None:
    one = Quota(limit=1, window_seconds=60)
    long_key = "data-export:" + "x" * 300
    assert quota_take(long_key, one) is None
    assert quota_take(long_key, one) is not None
    assert quota_take(long_key + "y", one) is None  # a different key, a different digest
    assert all(row.startswith("sha256:") for row in QuotaCount.objects.values_list("key", flat=True))


@pytest.mark.parametrize("bad", [Quota(0, 60), Quota(3, 0)])
def test_a_quota_of_nothing_is_refused_by_name(bad) -> None:
    with pytest.raises(ValueError, match="A quota needs a limit and a window of 1 or more"):
        quota_take("k", bad)


# -- requests at the same instant ------------------------------------------------------------------------------
REQUESTS = 24
LIMIT = 5


def _simultaneous_takes(key: str, limit: Quota) -> list[float | None]:
    answers = simultaneously(lambda _: quota_take(key, limit), REQUESTS)
    assert not [answer for answer in answers if isinstance(answer, Exception)]
    return answers


@needs_database_server
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("before", ["no row yet", "a window that has ended", "a window under way"])
def test_simultaneous_requests_on_the_database_pass_exactly_the_limit(settings, before) -> None:
    settings.CACHES = {"default": DATABASE_CACHE}
    an_hour = Quota(limit=LIMIT, window_seconds=3600)
    if before == "a window that has ended":
        QuotaCount.objects.create(key="busy", started=quota.time.time() - 7200, used=LIMIT)
    elif before == "a window under way":
        QuotaCount.objects.create(key="busy", started=quota.time.time(), used=2)
    passed = LIMIT - (2 if before == "a window under way" else 0)
    answers = _simultaneous_takes("busy", an_hour)
    assert len(answers) == REQUESTS
    assert answers.count(None) == passed
    assert all(wait is not None and 0 < wait <= 3600 for wait in answers if wait is not None)
    assert QuotaCount.objects.get(key="busy").used == LIMIT  # refusals are not counted


def test_simultaneous_requests_on_redis_pass_exactly_the_limit(redis_cache) -> None:
    answers = _simultaneous_takes("busy", Quota(limit=LIMIT, window_seconds=3600))
    assert len(answers) == REQUESTS
    assert answers.count(None) == LIMIT
    assert int(redis_cache.get(redis_count_key("busy"))) == LIMIT


@pytest.mark.parametrize(("seconds", "text"), [
    (1, "in 1 second"), (30.2, "in 31 seconds"), (60, "in 1 minute"), (61, "in 2 minutes"), (3599, "in 1 hour"),
    (3660, "in 1 hour and 1 minute"), (7300, "in 2 hours and 2 minutes"),
])
def test_when_to_ask_again_in_words(seconds, text) -> None:
    assert quota_wait_text(seconds) == text


@pytest.mark.parametrize(("language", "seconds", "text"), [
    ("de", 30.2, "in 31 Sekunden"), ("de", 3660, "in 1 Stunde und 1 Minute"),
    ("fr", 7300, "dans 2 heures et 2 minutes"), ("es", 60, "dentro de 1 minuto"),
])
def test_when_to_ask_again_in_the_readers_language(language, seconds, text) -> None:
    with translation.override(language):
        assert quota_wait_text(seconds) == text
