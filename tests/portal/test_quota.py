"""portal.quota: a number of requests per window and per key, in the shared cache."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from portal import quota
from portal.quota import Quota, quota_take, quota_wait_text


@pytest.fixture
def clock(monkeypatch):
    now = [5_000_000.0]
    monkeypatch.setattr(quota.time, "time", lambda: now[0])
    return now


def test_a_window_allows_its_limit_then_says_when_it_ends(clock) -> None:
    two_a_minute = Quota(limit=2, window_seconds=60)
    assert quota_take("k", two_a_minute) is None
    clock[0] += 10
    assert quota_take("k", two_a_minute) is None
    clock[0] += 5
    assert quota_take("k", two_a_minute) == 45  # the window began at the first request
    clock[0] += 30
    assert quota_take("k", two_a_minute) == 15  # refusals do not count, nor push the end away
    clock[0] += 15
    assert quota_take("k", two_a_minute) is None  # a new window
    assert quota_take("other", two_a_minute) is None  # each key its own


@pytest.mark.django_db
def test_it_works_on_the_database_cache_the_embedded_mode_uses(settings) -> None:
    """Django's database cache loses a key's timeout on increment: the count is written whole, with the time left
    (real time here: the database cache reads the clock itself)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache",
                                   "LOCATION": "quota_test_cache"}}
    call_command("createcachetable", "quota_test_cache", verbosity=0)
    one_an_hour = Quota(limit=1, window_seconds=3600)
    assert quota_take("db", one_an_hour) is None
    wait = quota_take("db", one_an_hour)
    assert wait is not None and 3590 < wait <= 3600


@pytest.mark.parametrize(("seconds", "text"), [
    (1, "in 1 second"), (30.2, "in 31 seconds"), (60, "in 1 minute"), (61, "in 2 minutes"), (3599, "in 1 hour"),
    (3660, "in 1 hour and 1 minute"), (7300, "in 2 hours and 2 minutes"),
])
def test_when_to_ask_again_in_words(seconds, text) -> None:
    assert quota_wait_text(seconds) == text
