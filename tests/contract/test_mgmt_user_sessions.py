"""A user's sessions and refresh tokens (``/users/{id}/sessions``, ``/users/{id}/refresh-tokens``): listed
and deleted through the official SDK, every successful answer checked against Auth0's OpenAPI schema; what a
deletion ends is then tried for real (the hosted login asks for the password again, a refresh token is
refused); error bodies, scopes, paging and logs over raw HTTP. The portal's gateway reaches both deletions.

The module writes only to users it creates (in the shared connection, outside every organization) and
deletes them again, so the demo tenant other modules count is left as it was.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from auth0.management.errors import NotFoundError

from auth0_gateway import Auth0Gateway, Auth0NotFound
from tests.contract.test_mgmt_authentication_methods import NOBODY, USER_404, auth0_error, checked, raw
from tests.support.authn_browser import (
    PORTAL_CALLBACK,
    PORTAL_CLIENT_ID,
    PORTAL_CLIENT_SECRET,
    Browser,
    page_parse,
    pkce_pair,
    query_of,
)
from tests.support.processes import EmulatorProcess

CONNECTION = "Username-Password-Authentication"
PASSWORD = "Sessions-pass-2026!"
SCOPE = "openid profile email offline_access"


@pytest.fixture
def person(mgmt) -> Iterator[dict]:
    """A fresh user of the shared connection, deleted afterwards."""
    user = mgmt.users.create(connection=CONNECTION, email=f"sess-{uuid.uuid4().hex[:10]}@portal.test",
                             password=PASSWORD, verify_email=False)
    yield {"user_id": user.user_id, "email": user.email}
    mgmt.users.delete(user.user_id)


def signed_in(emulator: EmulatorProcess, email: str, user_agent: str, password: str = PASSWORD) -> tuple[Browser, str]:
    """A browser signed in at the emulator's hosted login (one SSO session), and the refresh token the portal's
    application got for it."""
    browser = Browser(emulator)
    browser.http.headers["User-Agent"] = user_agent
    verifier, challenge = pkce_pair()
    done = browser.login(email, password, scope=SCOPE, code_challenge=challenge, code_challenge_method="S256")
    code = query_of(done.headers["location"])["code"]
    tokens = httpx.post(f"{emulator.url}/oauth/token", data={
        "grant_type": "authorization_code", "client_id": PORTAL_CLIENT_ID, "client_secret": PORTAL_CLIENT_SECRET,
        "code": code, "code_verifier": verifier, "redirect_uri": PORTAL_CALLBACK})
    assert tokens.status_code == 200, tokens.text
    return browser, tokens.json()["refresh_token"]


def signs_in_silently(browser: Browser) -> bool:
    """Whether /authorize lets this browser in without the login page (its SSO session still holds)."""
    response = browser.follow(browser.authorize(scope=SCOPE))
    return response.status_code in (302, 303) and "code=" in response.headers.get("location", "")


def refreshes(emulator: EmulatorProcess, refresh_token: str) -> int:
    return httpx.post(f"{emulator.url}/oauth/token", data={
        "grant_type": "refresh_token", "client_id": PORTAL_CLIENT_ID, "client_secret": PORTAL_CLIENT_SECRET,
        "refresh_token": refresh_token}).status_code


def test_sessions_and_refresh_tokens_are_listed_as_the_spec_shows(emulator, mgmt, sdk, person) -> None:
    laptop, laptop_token = signed_in(emulator, person["email"], "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0")
    phone, _phone_token = signed_in(emulator, person["email"], "Mozilla/5.0 (iPhone) Version/17.0 Mobile Safari/")
    validated = sdk[1].validated
    listed = list(mgmt.users.sessions.list(person["user_id"]))
    assert [s.user_id for s in listed] == [person["user_id"]] * 2
    assert [s.device.initial_user_agent for s in listed] == [laptop.http.headers["User-Agent"],
                                                             phone.http.headers["User-Agent"]]
    assert all(s.clients[0].client_id == PORTAL_CLIENT_ID and s.authenticated_at is not None for s in listed)
    tokens = list(mgmt.users.refresh_token.list(person["user_id"]))
    assert [t.client_id for t in tokens] == [PORTAL_CLIENT_ID] * 2
    assert [t.session_id for t in tokens] == [s.id for s in listed]  # each token names the session it came from
    assert all(t.id.startswith("rt_") and laptop_token not in t.model_dump_json() for t in tokens)
    assert tokens[0].resource_servers[0].scopes == SCOPE
    assert sdk[1].validated >= validated + 2
    # Checkpoint paging, one at a time: ``next`` until the last.
    first = checked(raw(emulator, "GET", f"/users/{person['user_id']}/sessions", params={"take": 1}), 200)
    assert [s["id"] for s in first["sessions"]] == [listed[0].id] and first["next"] == listed[0].id
    second = checked(raw(emulator, "GET", f"/users/{person['user_id']}/sessions",
                         params={"take": 1, "from": first["next"], "include_totals": "false"}), 200)
    assert [s["id"] for s in second["sessions"]] == [listed[1].id] and "next" not in second
    laptop.close()
    phone.close()


def test_deleting_sessions_signs_every_browser_out_and_keeps_refresh_tokens(emulator, mgmt, sdk, person) -> None:
    laptop, laptop_token = signed_in(emulator, person["email"], "laptop")
    phone, _ = signed_in(emulator, person["email"], "phone")
    assert signs_in_silently(laptop) and signs_in_silently(phone)
    response = raw(emulator, "DELETE", f"/users/{person['user_id']}/sessions")
    assert response.status_code == 202 and response.content == b""
    assert list(mgmt.users.sessions.list(person["user_id"])) == []
    # Each browser is asked for the password again; the hosted login page shows its form.
    for browser in (laptop, phone):
        again = browser.follow(browser.authorize(scope=SCOPE))
        assert again.status_code == 200 and page_parse(again).form.fields.get("username") is not None
    # Refresh tokens are another resource: they still work until they are deleted too.
    assert refreshes(emulator, laptop_token) == 200
    assert mgmt.users.sessions.delete(person["user_id"]) is None  # through the SDK, and harmless again
    laptop.close()
    phone.close()


def test_deleting_refresh_tokens_revokes_them_and_keeps_sessions(emulator, mgmt, person) -> None:
    laptop, laptop_token = signed_in(emulator, person["email"], "laptop")
    assert mgmt.users.refresh_token.delete(person["user_id"]) is None
    assert list(mgmt.users.refresh_token.list(person["user_id"])) == []
    refused = httpx.post(f"{emulator.url}/oauth/token", data={
        "grant_type": "refresh_token", "client_id": PORTAL_CLIENT_ID, "client_secret": PORTAL_CLIENT_SECRET,
        "refresh_token": laptop_token})
    assert refused.status_code == 403 and refused.json()["error"] == "invalid_grant"
    assert signs_in_silently(laptop)
    laptop.close()


def test_another_users_sessions_and_tokens_are_left_alone(emulator, mgmt, person) -> None:
    other = mgmt.users.create(connection=CONNECTION, email=f"sess-{uuid.uuid4().hex[:10]}@portal.test",
                              password=PASSWORD, verify_email=False)
    try:
        theirs, their_token = signed_in(emulator, other.email, "theirs")
        mine, _ = signed_in(emulator, person["email"], "mine")
        mgmt.users.sessions.delete(person["user_id"])
        mgmt.users.refresh_token.delete(person["user_id"])
        assert signs_in_silently(theirs) and refreshes(emulator, their_token) == 200
        assert len(list(mgmt.users.sessions.list(other.user_id))) == 1
        theirs.close()
        mine.close()
    finally:
        mgmt.users.delete(other.user_id)


@pytest.mark.parametrize("verb", ["GET", "DELETE"])
@pytest.mark.parametrize("resource", ["sessions", "refresh-tokens"])
def test_an_unknown_user_is_auth0s_404(emulator, mgmt, verb, resource) -> None:
    response = raw(emulator, verb, f"/users/{NOBODY}/{resource}")
    assert response.status_code == 404 and response.json() == USER_404
    with pytest.raises(NotFoundError):
        mgmt.users.sessions.delete(NOBODY)


@pytest.mark.parametrize("params", [{"take": 0}, {"take": 101}, {"take": "x"}, {"include_totals": "maybe"},
                                    {"from": "no-such-session"}])
def test_bad_paging_is_a_400(emulator, person, params) -> None:
    for resource in ("sessions", "refresh-tokens"):
        message = auth0_error(raw(emulator, "GET", f"/users/{person['user_id']}/{resource}", params=params), 400,
                              "invalid_query_string")
        assert message.startswith("Query validation error")


def test_each_operation_demands_its_scope(emulator, person) -> None:
    token = httpx.post(f"{emulator.url}/oauth/token", data={
        "grant_type": "client_credentials", "client_id": "portal-m2m-dev", "client_secret": "portal-m2m-dev-secret",
        "audience": f"{emulator.url}/api/v2/", "scope": "read:users update:users delete:users"})
    narrow = token.json()["access_token"]
    cases = [("GET", "sessions", "read:sessions"), ("DELETE", "sessions", "delete:sessions"),
             ("GET", "refresh-tokens", "read:refresh_tokens"), ("DELETE", "refresh-tokens", "delete:refresh_tokens")]
    for verb, resource, scope in cases:
        response = raw(emulator, verb, f"/users/{person['user_id']}/{resource}", token=narrow)
        assert auth0_error(response, 403, "insufficient_scope") == f"Insufficient scope, expected any of: {scope}"


def test_deletions_land_in_the_users_logs(emulator, mgmt, person) -> None:
    mgmt.users.sessions.list(person["user_id"])  # reads are not logged
    mgmt.users.sessions.delete(person["user_id"])
    mgmt.users.refresh_token.delete(person["user_id"])
    events = [(e.type, e.description) for e in mgmt.users.logs.list(person["user_id"], sort="date:1").items]
    assert events[-2:] == [("sapi", "Delete Sessions for User"), ("sapi", "Delete Refresh Tokens for a User")]


def test_the_portals_gateway_signs_a_user_out_everywhere(emulator, person) -> None:
    auth0 = Auth0Gateway(base_url=emulator.url, client_id="portal-m2m-dev", client_secret="portal-m2m-dev-secret")
    try:
        browser, refresh_token = signed_in(emulator, person["email"], "laptop")
        auth0.user_sessions_delete(user_id=person["user_id"])
        auth0.user_refresh_tokens_delete(user_id=person["user_id"])
        assert not signs_in_silently(browser)
        assert refreshes(emulator, refresh_token) == 403
        with pytest.raises(Auth0NotFound):
            auth0.user_sessions_delete(user_id=NOBODY)
        with pytest.raises(Auth0NotFound):
            auth0.user_refresh_tokens_delete(user_id=NOBODY)
        browser.close()
    finally:
        auth0.close()
