"""auth0_gateway failure handling against real emulator processes: the cached token, no SDK
retries (429 and injected 5xx surface at once), token endpoint failures, and token secrecy."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import redis

from auth0_gateway import (
    Auth0Conflict,
    Auth0Gateway,
    Auth0NotFound,
    Auth0Permanent,
    Auth0RateLimited,
    Auth0Transient,
    Auth0Unauthorized,
    gateway,
    gateway_reset,
)
from auth0_gateway.token import REFRESH_MARGIN_SECONDS, ManagementToken
from portal.ratelimit import rate_limiter
from tests.contract.test_gateway import (
    M2M_ID,
    M2M_SECRET,
    SHARED,
    STRONG_PASSWORD,
    RecordingTransport,
    demo_user_id,
    gateway_for,
    raw_token,
    unique_email,
)
from tests.support.budget import REDIS_URL as BUDGET_URL
from tests.support.processes import EmulatorProcess, free_port

USER = demo_user_id("user01@acme.test")


@pytest.fixture(scope="module")
def emu(emulator_factory) -> EmulatorProcess:
    return emulator_factory("--seed", "demo", "--test-controls", "--no-rate-limits")


@pytest.fixture
def faults(emu) -> Iterator[httpx.Client]:
    """The emulator's test controls; fault injection is switched off again afterwards."""
    with httpx.Client(base_url=emu.url) as controls:
        yield controls
        controls.post("/emulator/controls", json={"fault_rate": 0.0, "fault_status": 503}).raise_for_status()


def token_grants_logged(emu: EmulatorProcess) -> int:
    """How many client-credentials grants (log type ``seccft``) the tenant has recorded."""
    response = httpx.get(
        f"{emu.url}/api/v2/logs",
        params={"q": f'type:"seccft" AND client_id:"{M2M_ID}"', "per_page": 1, "include_totals": "true"},
        headers={"Authorization": f"Bearer {raw_token(emu)}"},
    )
    response.raise_for_status()
    return response.json()["total"]


# -- the cached token ---------------------------------------------------------------------------
def test_one_token_request_for_many_management_calls(emu):
    before = token_grants_logged(emu)
    gw = gateway_for(emu)
    for _ in range(10):
        gw.user_get(user_id=USER)
    gw.users_page(q='email:"user01@acme.test"')
    gw.connections_list()
    with pytest.raises(Auth0NotFound):
        gw.user_get(user_id="auth0|" + "0" * 24)
    after = token_grants_logged(emu)
    # token_grants_logged itself fetches one token per call: one more each time.
    assert after - before - 1 == 1
    assert gw.token_fetch_count == 1
    gw.close()


def test_threads_share_one_token_request(emu):
    gw = gateway_for(emu)
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait()
            gw.user_get(user_id=USER)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert gw.token_fetch_count == 1
    gw.close()


def test_token_is_refreshed_shortly_before_it_expires(emu):
    now = [1000.0]
    token = ManagementToken(
        domain=emu.domain, client_id=M2M_ID, client_secret=M2M_SECRET,
        audience=f"{emu.url}/api/v2/", protocol="http", clock=lambda: now[0],
    )
    first = token()
    assert token.fetch_count == 1
    lifetime = 86400  # what the emulator (like Auth0) issues for the Management API
    now[0] += lifetime - REFRESH_MARGIN_SECONDS - 1
    assert token() == first and token.fetch_count == 1
    now[0] += 2
    second = token()
    assert token.fetch_count == 2 and second
    token.invalidate()
    token()
    assert token.fetch_count == 3
    assert first not in repr(token)


def test_a_rejected_cached_token_is_replaced_once_and_the_call_goes_through(emu):
    transport = RecordingTransport()
    gw = gateway_for(emu, transport)
    gw.user_get(user_id=USER)
    # The cached token was revoked (or its signing key rotated) after it was fetched.
    gw._token._state = ("revoked-token", math.inf)
    assert gw.user_get(user_id=USER)["user_id"] == USER
    assert [status for status, _headers in transport.responses[-2:]] == [401, 200]
    assert gw.token_fetch_count == 2
    gw.close()


def test_credentials_refused_with_a_new_token_are_permanent_and_say_what_to_check(emu):
    # A token for another API is well-formed but not for the Management API: Auth0 answers 401 to it,
    # as it would to a portal configured with another application's credentials.
    transport = RecordingTransport()
    gw = gateway_for(
        emu, transport, client_id="portal-tool-dev", client_secret="portal-tool-dev-secret",
        audience="https://portal.local/api/",
    )
    with pytest.raises(Auth0Unauthorized) as caught:
        gw.user_get(user_id=USER)
    error = caught.value
    assert error.status == 401 and isinstance(error, Auth0Permanent) and not isinstance(error, Auth0Transient)
    assert "AUTH0_MGMT_CLIENT_ID" in error.message and "AUTH0_MGMT_AUDIENCE" in error.message
    # One new token was tried, once: no loop of retries.
    assert gw.token_fetch_count == 2
    assert [status for status, _headers in transport.responses] == [401, 401]
    gw.close()


# -- token endpoint failures --------------------------------------------------------------------
def test_wrong_client_secret_is_permanent(emu):
    gw = gateway_for(emu, client_secret="not-the-secret")
    with pytest.raises(Auth0Permanent) as caught:
        gw.user_get(user_id=USER)
    assert caught.value.status == 401
    assert caught.value.error_code == "access_denied" and caught.value.message == "Unauthorized"
    assert not isinstance(caught.value, Auth0Transient)
    gw.close()


def test_unreachable_tenant_is_transient():
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    gw = Auth0Gateway(base_url=url, client_id=M2M_ID, client_secret=M2M_SECRET, timeout=2)
    with pytest.raises(Auth0Transient) as caught:
        gw.user_get(user_id=USER)
    assert caught.value.status is None
    with pytest.raises(Auth0Transient):
        list(gw.users_export_rows(location=f"{url}/emulator-exports/job_0000000000000000-x.json.gz"))
    gw.close()


# -- no retries ---------------------------------------------------------------------------------
def test_429_surfaces_at_once_with_reset_at(emulator_factory):
    limited = emulator_factory("--seed", "demo", "--rate-limit", "read_users=2/1")
    transport = RecordingTransport()
    gw = gateway_for(limited, transport)
    gw.user_get(user_id=USER)
    gw.user_get(user_id=USER)
    started = time.time()
    with pytest.raises(Auth0RateLimited) as caught:
        gw.user_get(user_id=USER)
    calls = transport.api_requests(f"/users/{USER}")
    assert len(calls) == 3  # the SDK did not retry the 429
    status, headers = transport.responses[-1]
    assert status == 429
    error = caught.value
    assert (error.status, error.error_code) == (429, "too_many_requests") and error.message
    assert error.reset_at == int(headers["x-ratelimit-reset"])
    assert error.reset_at > started
    assert error.retry_after is not None
    assert 0 < error.retry_after <= math.ceil(error.reset_at - started)
    assert isinstance(error, Auth0Transient)  # retry later, as Celery does
    gw.close()


@pytest.mark.parametrize("status", [503, 500, 502])
def test_injected_5xx_is_transient_and_not_retried(emu, faults, status):
    transport = RecordingTransport()
    gw = gateway_for(emu, transport)
    gw.user_get(user_id=USER)  # the token is fetched before faults start
    faults.post("/emulator/controls", json={"fault_rate": 1.0, "fault_status": status}).raise_for_status()
    before = len(transport.api_requests())
    with pytest.raises(Auth0Transient) as caught:
        gw.user_get(user_id=USER)
    assert caught.value.status == status and caught.value.message
    assert len(transport.api_requests()) - before == 1
    before = len(transport.api_requests())
    with pytest.raises(Auth0Transient):
        gw.user_create(connection=SHARED, email=unique_email(), password=STRONG_PASSWORD)
    assert len(transport.api_requests()) - before == 1
    gw.close()


def test_the_sdk_left_to_itself_would_have_retried(emu, faults):
    """Control for the tests above: the same counting sees the SDK's own retry when it is on."""
    from auth0.management.client import Auth0  # the SDK itself, only as a control here
    from auth0.management.core.api_error import ApiError

    transport = RecordingTransport()
    sdk = Auth0(
        base_url=f"{emu.url}/api/v2", token=raw_token(emu), max_retries=1,
        httpx_client=httpx.Client(transport=transport, timeout=10),
    )
    faults.post("/emulator/controls", json={"fault_rate": 1.0, "fault_status": 503}).raise_for_status()
    with pytest.raises(ApiError) as caught:  # users.get has no typed 503 error: the base class
        sdk.users.get(USER)
    assert caught.value.status_code == 503
    assert len(transport.api_requests()) == 2


def test_conflict_is_not_retried(emu):
    transport = RecordingTransport()
    gw = gateway_for(emu, transport)
    email = unique_email()
    created = gw.user_create(connection=SHARED, email=email, password=STRONG_PASSWORD)
    before = len(transport.api_requests("/users"))
    with pytest.raises(Auth0Conflict):
        gw.user_create(connection=SHARED, email=email, password=STRONG_PASSWORD)
    assert len(transport.api_requests("/users")) - before == 1
    gw.user_delete(user_id=created["user_id"])
    gw.close()


# -- secrecy ------------------------------------------------------------------------------------
def test_token_is_never_logged(emu, caplog):
    caplog.set_level(logging.DEBUG)  # every logger, the SDKs', httpx's, urllib3's included
    transport = RecordingTransport()
    gw = gateway_for(emu, transport)
    gw.user_get(user_id=USER)
    with pytest.raises(Auth0NotFound) as caught:
        gw.user_get(user_id="auth0|" + "0" * 24)
    logging.getLogger("portal.test").exception("a failed call", exc_info=caught.value)
    token = transport.requests[-1].headers["authorization"].removeprefix("Bearer ")
    assert len(token) > 20
    assert token not in caplog.text
    assert token not in str(caught.value) and token not in repr(gw)
    assert caplog.records  # logging was on: the check above is not vacuous
    gw.close()


# -- the process-wide instance ------------------------------------------------------------------
def test_gateway_is_built_once_from_settings(emu, settings):
    settings.AUTH0_DOMAIN = emu.domain
    settings.AUTH0_BASE_URL = emu.url
    settings.AUTH0_MGMT_AUDIENCE = f"{emu.url}/api/v2/"
    settings.AUTH0_MGMT_CLIENT_ID = M2M_ID
    settings.AUTH0_MGMT_CLIENT_SECRET = M2M_SECRET
    # The budget every worker shares, as configured: here in Redis, Read Users 5 at a time.
    settings.AUTH0_RATE_LIMIT_STORE = BUDGET_URL
    settings.AUTH0_RATE_LIMITS = "read_users=5/6, other=1000/60000"
    redis.Redis.from_url(BUDGET_URL).delete("portal:auth0-rate:read_users")
    gateway_reset()
    try:
        first = gateway()
        assert gateway() is first and first.base_url == emu.url
        assert first.user_get(user_id=USER)["email"] == "user01@acme.test"
        assert gateway().user_get(user_id=USER)["user_id"] == USER
        assert first.token_fetch_count == 1
        # Two calls from a burst of 5, one of which the portal keeps as its margin.
        assert {s.group: s.available for s in rate_limiter().state()}["read_users"] == 2
        gateway_reset()
        assert gateway() is not first
    finally:
        gateway_reset()


def test_token_for_an_unknown_audience_is_permanent(emu):
    gw = gateway_for(emu, audience="https://no-such-api.example/")
    with pytest.raises(Auth0Permanent) as caught:
        gw.connections_list()
    assert (caught.value.status, caught.value.error_code) == (403, "access_denied")
    assert caught.value.message == "Service not found: https://no-such-api.example/"
    assert not isinstance(caught.value, Auth0Transient)
    gw.close()
