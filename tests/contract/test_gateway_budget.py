"""The gateway spends from the shared budget before each Management API call (a call without a token
never leaves), and Auth0's rate-limit headers correct the budget: a lower ``X-RateLimit-Remaining``
lowers it, a 429 empties it until the reset, so the next call waits instead of earning another 429."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from auth0_gateway import Auth0Gateway, Auth0RateLimited
from portal.ratelimit import Limit, RateLimiter
from tests.contract.test_gateway import M2M_ID, M2M_SECRET, RecordingTransport, demo_user_id
from tests.support.budget import IsolatedRedisStore
from tests.support.processes import EmulatorProcess

USER = demo_user_id("user01@acme.test")
PLENTY = Limit(burst=1000, per_minute=60000)


@pytest.fixture
def store() -> Iterator[IsolatedRedisStore]:
    s = IsolatedRedisStore()
    yield s
    s.clear()


def budgeted(emulator: EmulatorProcess, transport: RecordingTransport, limiter: RateLimiter) -> Auth0Gateway:
    return Auth0Gateway(base_url=emulator.url, domain=emulator.domain, client_id=M2M_ID, client_secret=M2M_SECRET,
                        httpx_client=httpx.Client(transport=transport, timeout=10), limiter=limiter)


def user_reads(transport: RecordingTransport) -> int:
    return len(transport.api_requests(f"/users/{USER}"))


def test_a_call_without_a_token_never_leaves(emulator: EmulatorProcess, store) -> None:
    transport = RecordingTransport()
    gw = budgeted(emulator, transport, RateLimiter(store, {"read_users": Limit(2, 6), "other": PLENTY}))
    gw.user_get(user_id=USER)
    gw.user_get(user_id=USER)
    with pytest.raises(Auth0RateLimited) as caught:
        gw.user_get(user_id=USER)
    refused = caught.value
    assert refused.by_budget and refused.status is None
    assert "Read Users" in refused.message
    assert 10 <= refused.retry_after <= 10 + 2 * 10  # one token at 6 a minute, and jitter within a burst
    assert user_reads(transport) == 2
    assert gw.connections_list(name="Username-Password-Authentication")  # "other" keeps its own budget
    gw.close()


def test_a_429_empties_the_budget_until_auth0s_reset(emulator_factory, store) -> None:
    limited = emulator_factory("--seed", "demo", "--rate-limit", "read_users=2/6")
    transport = RecordingTransport()
    limiter = RateLimiter(store, {"other": PLENTY})
    # Someone else (another application of the tenant) spent Auth0's budget; ours looks full.
    gw = budgeted(limited, transport, limiter)
    elsewhere = IsolatedRedisStore()
    other = budgeted(limited, RecordingTransport(), RateLimiter(elsewhere, {"other": PLENTY}))
    other.user_get(user_id=USER)
    other.user_get(user_id=USER)
    with pytest.raises(Auth0RateLimited) as caught:
        gw.user_get(user_id=USER)
    assert not caught.value.by_budget and caught.value.status == 429
    with pytest.raises(Auth0RateLimited) as waited:
        gw.user_get(user_id=USER)
    assert waited.value.by_budget
    assert user_reads(transport) == 1  # the second call waited for the reset instead of earning a 429
    reset_in = caught.value.reset_at - time.time()
    assert waited.value.retry_after >= reset_in - 1
    gw.close()
    other.close()
    elsewhere.clear()


def test_auth0s_remaining_lowers_the_budget_so_no_429_is_earned(emulator_factory, store) -> None:
    limited = emulator_factory("--seed", "demo", "--rate-limit", "read_users=3/6")
    transport = RecordingTransport()
    # The portal believes in a larger budget than the tenant has: Auth0's headers correct it.
    gw = budgeted(limited, transport, RateLimiter(store, {"read_users": Limit(40, 500), "other": PLENTY}))
    for _ in range(3):
        gw.user_get(user_id=USER)
    with pytest.raises(Auth0RateLimited) as caught:
        gw.user_get(user_id=USER)
    assert caught.value.by_budget
    assert [status for status, _ in transport.responses if status == 429] == []
    assert user_reads(transport) == 3
    gw.close()


def test_downloads_outside_the_management_api_spend_nothing(emulator: EmulatorProcess, store) -> None:
    transport = RecordingTransport()
    limiter = RateLimiter(store, {"other": Limit(1, 6)})
    gw = budgeted(emulator, transport, limiter)
    gw.user_get(user_id=USER)  # the only token
    response = gw._http.get(f"{emulator.url}/.well-known/openid-configuration")
    assert response.status_code == 200
    with pytest.raises(Auth0RateLimited):
        gw.user_get(user_id=USER)
    gw.close()
