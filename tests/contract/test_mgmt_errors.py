"""Error bodies, scopes and rate-limit headers of the Management API, over raw HTTP."""

from __future__ import annotations

import time

import httpx
import pytest
from auth0.management.errors import TooManyRequestsError

from tests.support.openapi import management_token, validating_client
from tests.support.processes import EmulatorProcess


def test_missing_and_invalid_tokens(emulator: EmulatorProcess) -> None:
    r = httpx.get(f"{emulator.url}/api/v2/users")
    assert r.status_code == 401
    assert r.json() == {"statusCode": 401, "error": "Unauthorized", "message": "Missing authentication"}
    r = httpx.get(f"{emulator.url}/api/v2/users", headers={"Authorization": "Bearer not-a-jwt"})
    assert r.status_code == 401 and r.json()["message"] == "Invalid token"
    # A token of this tenant for another audience (the portal's own API) is not a Management API token.
    tool = httpx.post(f"{emulator.url}/oauth/token", data={
        "grant_type": "client_credentials", "client_id": "portal-tool-dev",
        "client_secret": "portal-tool-dev-secret", "audience": "https://portal.local/api/"})
    assert tool.status_code == 200
    r = httpx.get(f"{emulator.url}/api/v2/users", headers={"Authorization": f"Bearer {tool.json()['access_token']}"})
    assert r.status_code == 401 and r.json()["message"] == "Invalid token"


def test_insufficient_scope(emulator: EmulatorProcess) -> None:
    token = management_token(emulator.url)
    # The portal's client may not delete organizations (it never needs to).
    r = httpx.delete(f"{emulator.url}/api/v2/organizations/org_x", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 403
    assert r.json() == {"statusCode": 403, "error": "Forbidden", "errorCode": "insufficient_scope",
                        "message": "Insufficient scope, expected any of: delete:organizations"}


def test_bad_bodies_are_400_not_500(emulator: EmulatorProcess) -> None:
    headers = {"Authorization": f"Bearer {management_token(emulator.url)}"}
    cases = [
        ("post", "/api/v2/users", {"content": b"{not json", "headers": {**headers, "content-type": "text/json"}}),
        ("post", "/api/v2/users", {"json": {"email": "a@b.test"}, "headers": headers}),
        ("post", "/api/v2/users", {"json": {"connection": "acme-users", "email": 5}, "headers": headers}),
        ("post", "/api/v2/users", {"json": [1, 2], "headers": headers}),
        ("patch", "/api/v2/users/auth0|x", {"json": {"nope": 1}, "headers": headers}),
        ("get", "/api/v2/users", {"params": {"page": "x"}, "headers": headers}),
        ("get", "/api/v2/users", {"params": {"include_totals": "maybe"}, "headers": headers}),
        ("post", "/api/v2/tickets/password-change", {"json": {"ttl_sec": "soon"}, "headers": headers}),
        ("get", "/api/v2/jobs/not-a-job", {"headers": headers}),
    ]
    for method, path, kwargs in cases:
        r = httpx.request(method, f"{emulator.url}{path}", **kwargs)
        assert r.status_code == 400, (method, path, r.text)
        body = r.json()
        assert body["statusCode"] == 400 and body["error"] == "Bad Request" and body["message"], body


def test_every_response_has_rate_limit_headers(emulator: EmulatorProcess) -> None:
    for path in ("/api/v2/users", "/api/v2/nothing-here"):
        r = httpx.get(f"{emulator.url}{path}")
        assert {"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"} <= set(r.headers)
        assert int(r.headers["x-ratelimit-reset"]) >= int(time.time()) - 1


def test_read_users_bucket_runs_dry_and_answers_429(emulator_factory) -> None:
    # A burst of three and one token a minute: on a loaded machine the calls below may take seconds, and a
    # faster refill (a token a second) would hand one back before the last call.
    emu: EmulatorProcess = emulator_factory("--seed", "empty", "--rate-limit", "read_users=3/1")
    token = management_token(emu.url)
    headers = {"Authorization": f"Bearer {token}"}
    seen = [httpx.get(f"{emu.url}/api/v2/users", headers=headers) for _ in range(4)]
    assert [r.status_code for r in seen] == [200, 200, 200, 429]
    assert [r.headers["x-ratelimit-limit"] for r in seen] == ["3"] * 4
    assert [int(r.headers["x-ratelimit-remaining"]) for r in seen] == [2, 1, 0, 0]
    assert seen[3].json() == {"statusCode": 429, "error": "Too Many Requests",
                              "message": "Global limit has been reached", "errorCode": "too_many_requests"}
    assert int(seen[3].headers["x-ratelimit-reset"]) > time.time()
    # Other groups have their own buckets.
    assert httpx.get(f"{emu.url}/api/v2/connections", headers=headers).status_code == 200
    client, _ = validating_client(f"{emu.url}/api/v2", token)
    with pytest.raises(TooManyRequestsError) as err:
        client.users.get("auth0|" + "0" * 24)
    assert err.value.headers["x-ratelimit-remaining"] == "0"
