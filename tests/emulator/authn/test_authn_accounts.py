"""Account protection at login (brute-force blocks, blocked users), logout, and the test control that
registers an application's URLs; the Management API side is driven through the official SDK."""

from __future__ import annotations

import hashlib
import secrets

import httpx
import pytest
from auth0.management.client import Auth0

from tests.support.authn_browser import (
    DEMO_PASSWORD,
    PORTAL_CALLBACK,
    PORTAL_CLIENT_ID,
    PORTAL_CLIENT_SECRET,
    Browser,
    management_client,
    page_parse,
    query_of,
)

BLOCKED_MESSAGE = (
    "Your account has been blocked after multiple consecutive login attempts. "
    "We've sent you an email with instructions on how to unblock it."
)


def demo_user_id(email: str) -> str:
    return "auth0|" + hashlib.sha1(email.lower().encode()).hexdigest()[:24]  # noqa: S324 - an id


@pytest.fixture(scope="module")
def management(emulator):
    return management_client(emulator)


@pytest.fixture
def browser(emulator):
    with Browser(emulator) as b:
        yield b


def log_types(management: Auth0, user_id: str) -> list[str]:
    return [log.type for log in management.users.logs.list(user_id, per_page=100)]


def test_ten_failures_block_the_account_until_an_admin_clears_it(emulator, browser, management):
    email = "user20@initech.test"
    user_id = demo_user_id(email)
    page = page_parse(browser.follow(browser.authorize()))
    for attempt in range(1, 10):
        response = browser.submit(page, username=email, password=f"wrong-{attempt}")
        page = page_parse(response)
        assert response.status_code == 400, attempt
        assert page.ids["error-message"] == "Wrong email or password."
    tenth = browser.submit(page, username=email, password="wrong-10")
    assert tenth.status_code == 429
    page = page_parse(tenth)
    assert page.ids["error-message"] == BLOCKED_MESSAGE
    # The right password does not get through a block.
    right = browser.submit(page, username=email, password=DEMO_PASSWORD)
    assert right.status_code == 429
    assert "location" not in right.headers

    blocks = management.user_blocks.list(user_id)
    assert [(b.identifier, b.ip) for b in blocks.blocked_for] == [(email, "127.0.0.1")]
    types = log_types(management, user_id)
    assert "limit_wc" in types and types.count("fp") >= 10
    mail = httpx.get(f"{emulator.url}/emulator/outbox", params={"to": email}).json()
    assert mail[0]["kind"] == "blocked_account"

    management.user_blocks.delete(user_id)
    done = browser.submit(page_parse(right), username=email, password=DEMO_PASSWORD)
    assert done.status_code == 302
    assert "code=" in done.headers["location"]
    assert "s" in log_types(management, user_id)


def test_blocked_user_cannot_log_in_or_keep_using_sso(emulator, browser, management):
    email = "user21@initech.test"
    user_id = demo_user_id(email)
    assert browser.login(email).status_code == 302  # opens an SSO session
    management.users.update(user_id, blocked=True)
    try:
        silent = browser.authorize()
        assert silent.headers["location"].startswith("/u/login")  # no silent login for a blocked user
        refused = browser.login(email)
        assert refused.status_code == 401
        assert page_parse(refused).ids["error-message"] == "Your account has been blocked. Contact your administrator."
    finally:
        management.users.update(user_id, blocked=False)
    # Unblocked, the session that was never ended logs in silently again.
    assert browser.authorize().headers["location"].startswith(PORTAL_CALLBACK)


def _logged_in(browser: Browser, email: str) -> str:
    """Log in and exchange the code; returns the ID token."""
    response = browser.login(email)
    code = query_of(response.headers["location"])["code"]
    token = httpx.post(
        f"{browser.emulator.url}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": PORTAL_CALLBACK,
            "client_id": PORTAL_CLIENT_ID,
            "client_secret": PORTAL_CLIENT_SECRET,
        },
    )
    return token.json()["id_token"]


def test_v2_logout_ends_the_session_and_redirects_to_an_allowed_url(browser):
    _logged_in(browser, "user22@initech.test")
    assert browser.authorize().headers["location"].startswith(PORTAL_CALLBACK)  # SSO
    response = browser.get("/v2/logout", params={"client_id": PORTAL_CLIENT_ID, "returnTo": "http://localhost:8000/"})
    assert response.status_code == 302
    assert response.headers["location"] == "http://localhost:8000/"
    assert browser.authorize().headers["location"].startswith("/u/login")  # the session is over


def test_v2_logout_refuses_a_return_url_not_allowed(browser):
    _logged_in(browser, "user22@initech.test")
    response = browser.get("/v2/logout", params={"client_id": PORTAL_CLIENT_ID, "returnTo": "https://evil.example/"})
    assert response.status_code == 400
    assert "location" not in response.headers
    page = page_parse(response)
    assert page.ids["error-code"] == "invalid_request"
    assert "https://evil.example/" in page.ids["error-description"]
    # Without a client there is no list to allow it from.
    assert browser.get("/v2/logout", params={"returnTo": "http://localhost:8000/"}).status_code == 400
    plain = browser.get("/v2/logout")
    assert plain.status_code == 200
    assert page_parse(plain).ids["message"] == "You have been logged out."


def test_oidc_logout_with_id_token_hint(browser):
    id_token = _logged_in(browser, "user23@initech.test")
    response = browser.get(
        "/oidc/logout",
        params={
            "id_token_hint": id_token,
            "post_logout_redirect_uri": "http://localhost:8000/",
            "state": "bye",
        },
    )
    assert response.status_code == 302
    assert response.headers["location"] == "http://localhost:8000/?state=bye"
    assert browser.authorize().headers["location"].startswith("/u/login")


@pytest.mark.parametrize(
    "params",
    [
        {"post_logout_redirect_uri": "http://localhost:8000/"},  # no client to check it against
        {"client_id": PORTAL_CLIENT_ID, "post_logout_redirect_uri": "https://evil.example/"},
        {"id_token_hint": "not-a-token", "post_logout_redirect_uri": "http://localhost:8000/"},
        {"client_id": "no-such-client"},
    ],
)
def test_oidc_logout_refusals_are_error_pages(browser, params):
    response = browser.get("/oidc/logout", params=params)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert page_parse(response).ids["error-code"] == "invalid_request"


def test_oidc_logout_hint_for_another_client_is_refused(browser, emulator):
    id_token = _logged_in(browser, "user23@initech.test")
    response = browser.get(
        "/oidc/logout",
        params={
            "id_token_hint": id_token,
            "client_id": "portal-tool-dev",
            "post_logout_redirect_uri": "http://localhost:8000/",
        },
    )
    assert response.status_code == 400


def test_test_control_registers_callback_and_logout_urls(emulator, browser):
    port = 40000 + secrets.randbelow(20000)
    callback = f"http://127.0.0.1:{port}/accounts/oidc/auth0/login/callback/"
    logout_url = f"http://127.0.0.1:{port}/"
    assert browser.authorize(redirect_uri=callback).status_code == 400  # not registered yet
    added = httpx.post(
        f"{emulator.url}/emulator/clients/{PORTAL_CLIENT_ID}",
        json={"callbacks": [callback], "allowed_logout_urls": [logout_url]},
    )
    assert added.status_code == 200
    assert callback in added.json()["callbacks"]
    response = browser.login("user24@initech.test", redirect_uri=callback)
    assert response.status_code == 302 and response.headers["location"].startswith(callback)
    out = browser.get("/v2/logout", params={"client_id": PORTAL_CLIENT_ID, "returnTo": logout_url})
    assert out.headers["location"] == logout_url


@pytest.mark.parametrize(
    ("client_id", "body", "status"),
    [
        ("no-such-client", {"callbacks": ["http://127.0.0.1:1/cb"]}, 404),
        (PORTAL_CLIENT_ID, {"callbacks": ["javascript:alert(1)"]}, 400),
        (PORTAL_CLIENT_ID, {"callbacks": "http://127.0.0.1:1/cb"}, 400),
        (PORTAL_CLIENT_ID, {"client_secret": "x"}, 400),
    ],
)
def test_test_control_validates_its_input(emulator, client_id, body, status):
    assert httpx.post(f"{emulator.url}/emulator/clients/{client_id}", json=body).status_code == status


def test_test_controls_are_off_by_default(emulator_factory):
    plain = emulator_factory("--seed", "empty")
    response = httpx.post(f"{plain.url}/emulator/clients/{PORTAL_CLIENT_ID}", json={"callbacks": []})
    assert response.status_code == 404
    assert httpx.delete(f"{plain.url}/emulator/outbox").status_code == 404
    assert httpx.get(f"{plain.url}/emulator/outbox").status_code == 200  # the outbox itself is always there
