"""The authorization code flow with PKCE against a real emulator: hosted login page, code exchange,
ID token signature and claims, silent SSO, and the ways each step refuses bad input."""

from __future__ import annotations

import hashlib
import time

import httpx
import jwt
import pytest

from tests.support.authn_browser import (
    DEMO_PASSWORD,
    PORTAL_CALLBACK,
    PORTAL_CLIENT_ID,
    PORTAL_CLIENT_SECRET,
    Browser,
    page_parse,
    pkce_pair,
    query_of,
)

ORG_CLAIM = "https://portal.local/org"


@pytest.fixture
def browser(emulator):
    with Browser(emulator) as b:
        yield b


def exchange(
    emulator,
    code: str,
    *,
    verifier: str | None = None,
    redirect_uri: str = PORTAL_CALLBACK,
    secret: str | None = PORTAL_CLIENT_SECRET,
    basic: bool = False,
) -> httpx.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if verifier is not None:
        data["code_verifier"] = verifier
    auth = None
    if basic:
        auth = (PORTAL_CLIENT_ID, secret or "")
    else:
        data["client_id"] = PORTAL_CLIENT_ID
        if secret is not None:
            data["client_secret"] = secret
    return httpx.post(f"{emulator.url}/oauth/token", data=data, auth=auth, timeout=10)


def id_token_claims(emulator, token: str, nonce: str | None = None) -> dict:
    """Verify the signature with the published JWKS, then the standard claims, as a relying party does."""
    jwks = jwt.PyJWKClient(f"{emulator.url}/.well-known/jwks.json")
    key = jwks.get_signing_key_from_jwt(token)
    claims = jwt.decode(
        token,
        key.key,
        algorithms=["RS256"],
        audience=PORTAL_CLIENT_ID,
        issuer=f"{emulator.url}/",
        options={"require": ["exp", "iat", "iss", "aud", "sub"]},
    )
    if nonce is not None:
        assert claims["nonce"] == nonce
    return claims


def login_code(browser: Browser, email: str, password: str = DEMO_PASSWORD, **params) -> dict[str, str]:
    response = browser.login(email, password, **params)
    assert response.status_code == 302, response.text[:2000]
    assert response.headers["location"].startswith(params.get("redirect_uri") or PORTAL_CALLBACK)
    return query_of(response.headers["location"])


def test_full_code_flow_with_pkce_issues_verifiable_tokens(emulator, browser):
    verifier, challenge = pkce_pair()
    response = browser.authorize(
        state="st-123",
        nonce="n-456",
        code_challenge=challenge,
        code_challenge_method="S256",
        login_hint="admin@initech.test",
    )
    assert response.status_code == 302
    assert response.headers["location"].startswith("/u/login?state=")
    page = page_parse(browser.follow(response))
    assert page.response.status_code == 200
    assert page.form.fields["username"] == "admin@initech.test"  # login_hint prefills the form
    assert page.form.fields["csrf_token"]
    done = browser.submit(page, password=DEMO_PASSWORD)
    assert done.status_code == 302
    params = query_of(done.headers["location"])
    assert params["state"] == "st-123"

    token = exchange(emulator, params["code"], verifier=verifier)
    assert token.status_code == 200, token.text
    body = token.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] > 0
    assert "refresh_token" not in body  # offline_access was not asked for
    claims = id_token_claims(emulator, body["id_token"], nonce="n-456")
    assert claims["sub"] == "auth0|" + hashlib.sha1(b"admin@initech.test").hexdigest()[:24]  # noqa: S324 - an id
    assert claims["email"] == "admin@initech.test"
    assert claims["email_verified"] is True
    assert claims["name"] and claims["nickname"] == "admin" and claims["picture"].startswith("https://")
    assert claims["updated_at"].endswith("Z")
    assert claims["sid"] and abs(claims["auth_time"] - time.time()) < 300
    assert claims[ORG_CLAIM] == ["initech"]
    assert "org_id" not in claims
    header = jwt.get_unverified_header(body["id_token"])
    assert header["alg"] == "RS256" and header["kid"]

    userinfo = httpx.get(f"{emulator.url}/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert userinfo.status_code == 200
    assert userinfo.json()["sub"] == claims["sub"]
    assert userinfo.json()["email"] == "admin@initech.test"


def test_client_secret_basic_is_accepted(emulator, browser):
    params = login_code(browser, "viewer@initech.test")
    token = exchange(emulator, params["code"], basic=True)
    assert token.status_code == 200, token.text
    assert id_token_claims(emulator, token.json()["id_token"])["email"] == "viewer@initech.test"


def test_code_is_single_use(emulator, browser):
    params = login_code(browser, "user01@initech.test")
    assert exchange(emulator, params["code"]).status_code == 200
    again = exchange(emulator, params["code"])
    assert again.status_code == 403
    assert again.json() == {"error": "invalid_grant", "error_description": "Invalid authorization code"}


def test_wrong_client_secret_is_refused_and_does_not_burn_the_code(emulator, browser):
    params = login_code(browser, "user02@initech.test")
    wrong = exchange(emulator, params["code"], secret="not-the-secret")
    assert wrong.status_code == 401
    assert wrong.json() == {"error": "access_denied", "error_description": "Unauthorized"}
    assert exchange(emulator, params["code"], secret=None).status_code == 401  # a confidential client
    assert exchange(emulator, params["code"]).status_code == 200


@pytest.mark.parametrize("verifier", ["wrong-verifier-" + "x" * 40, None])
def test_pkce_verifier_must_match(emulator, browser, verifier):
    _, challenge = pkce_pair()
    params = login_code(browser, "user03@initech.test", code_challenge=challenge, code_challenge_method="S256")
    response = exchange(emulator, params["code"], verifier=verifier)
    assert response.status_code == 403
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "Failed to verify code verifier",
    }


def test_plain_pkce(emulator, browser):
    verifier = "p" * 50
    params = login_code(browser, "user04@initech.test", code_challenge=verifier, code_challenge_method="plain")
    assert exchange(emulator, params["code"], verifier=verifier).status_code == 200


def test_redirect_uri_must_equal_the_authorize_one(emulator, browser):
    params = login_code(browser, "user05@initech.test")
    response = exchange(
        emulator, params["code"], redirect_uri="http://127.0.0.1:8000/accounts/oidc/auth0/login/callback/"
    )
    assert response.status_code == 403
    assert response.json()["error"] == "invalid_grant"


def test_expired_code_is_refused(emulator, browser):
    settings = f"{emulator.url}/emulator/authn/settings"
    assert httpx.post(settings, json={"authorization_code_lifetime": 1}).status_code == 200
    try:
        params = login_code(browser, "user06@initech.test")
    finally:
        httpx.post(settings, json={"authorization_code_lifetime": None})
    time.sleep(1.2)
    response = exchange(emulator, params["code"])
    assert response.status_code == 403
    assert response.json()["error"] == "invalid_grant"


def test_second_authorize_is_silent_sso_unless_prompt_login(emulator, browser):
    first = login_code(browser, "user07@initech.test", nonce="first")
    first_claims = id_token_claims(emulator, exchange(emulator, first["code"]).json()["id_token"])
    silent = browser.authorize(nonce="second", state="s2")
    assert silent.status_code == 302
    assert silent.headers["location"].startswith(PORTAL_CALLBACK)
    params = query_of(silent.headers["location"])
    assert params["state"] == "s2"
    claims = id_token_claims(emulator, exchange(emulator, params["code"]).json()["id_token"], nonce="second")
    assert claims["sub"] == first_claims["sub"] and claims["sid"] == first_claims["sid"]
    forced = browser.authorize(prompt="login")
    assert forced.headers["location"].startswith("/u/login")


def test_prompt_none_without_session_reports_login_required(browser):
    response = browser.authorize(prompt="none", state="abc")
    assert response.status_code == 302
    params = query_of(response.headers["location"])
    assert response.headers["location"].startswith(PORTAL_CALLBACK)
    assert params == {"error": "login_required", "error_description": "Login required", "state": "abc"}


def test_wrong_password_shows_the_form_again(emulator, browser):
    response = browser.login("user08@initech.test", "not-the-password")
    assert response.status_code == 400
    page = page_parse(response)
    assert page.ids["error-message"] == "Wrong email or password."
    assert page.form.fields["username"] == "user08@initech.test"
    # The same transaction still works with the right password.
    done = browser.submit(page, username="user08@initech.test", password=DEMO_PASSWORD)
    assert done.status_code == 302 and "code=" in done.headers["location"]


def test_unknown_email_gets_the_same_message(browser):
    page = page_parse(browser.login("nobody@initech.test", "whatever-1A"))
    assert page.response.status_code == 400
    assert page.ids["error-message"] == "Wrong email or password."


def test_bad_redirect_uri_is_an_error_page_not_a_redirect(browser):
    response = browser.authorize(redirect_uri="https://evil.example/callback")
    assert response.status_code == 400
    assert "location" not in response.headers
    page = page_parse(response)
    assert page.ids["error-code"] == "invalid_request"
    assert "Callback URL mismatch" in page.ids["error-description"]
    assert "https://evil.example/callback" in page.ids["error-description"]


def test_unknown_client_is_an_error_page(browser):
    response = browser.authorize(client_id="no-such-client")
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "Unknown client" in page_parse(response).ids["error-description"]


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": None}, "invalid_request"),
        ({"code_challenge": "a" * 43, "code_challenge_method": "S512"}, "invalid_request"),
        ({"connection": "no-such-connection"}, "invalid_request"),
        ({"organization": "org_doesnotexist"}, "invalid_request"),
        ({"audience": "https://unknown.example/api"}, "access_denied"),
    ],
)
def test_invalid_requests_go_back_to_the_application(browser, params, error):
    response = browser.authorize(state="keep-me", **params)
    assert response.status_code == 302
    assert response.headers["location"].startswith(PORTAL_CALLBACK)
    query = query_of(response.headers["location"])
    assert query["error"] == error
    assert query["error_description"]
    assert query["state"] == "keep-me"


def test_pages_are_escaped_and_sent_with_security_headers(browser):
    hint = '"><script>alert(1)</script>'
    response = browser.follow(browser.authorize(login_hint=hint))
    assert response.status_code == 200
    assert "<script>" not in response.text
    assert "&lt;script&gt;" in response.text or "&#34;&gt;&lt;script" in response.text
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "form-action 'self' http://localhost:8000" in csp
    assert response.headers["x-frame-options"] == "DENY"
    stylesheet = browser.get("/u/assets/style.css")
    assert stylesheet.status_code == 200 and stylesheet.headers["content-type"].startswith("text/css")


def test_login_form_requires_its_csrf_token_and_browser(emulator, browser):
    page = page_parse(browser.follow(browser.authorize()))
    forged = browser.submit(page, username="user09@initech.test", password=DEMO_PASSWORD, csrf_token="forged")
    assert forged.status_code == 403
    # Another browser (no transaction cookie) cannot use this transaction either.
    with Browser(emulator) as other:
        stolen = other.submit(page, username="user09@initech.test", password=DEMO_PASSWORD)
        assert stolen.status_code == 400
        assert "location" not in stolen.headers


def test_connection_restricts_the_login(emulator, browser):
    # Acme's users live in the isolated connection: they cannot log in through the shared one.
    page = page_parse(browser.login("admin@acme.test", connection="Username-Password-Authentication"))
    assert page.ids["error-message"] == "Wrong email or password."
    page_with_connection = page_parse(browser.follow(browser.authorize(connection="acme-users")))
    assert "acme-users" in page_with_connection.response.text
    params = login_code(browser, "admin@acme.test", connection="acme-users")
    claims = id_token_claims(emulator, exchange(emulator, params["code"]).json()["id_token"])
    assert claims["email"] == "admin@acme.test"
    assert claims[ORG_CLAIM] == []


def test_default_login_finds_the_user_in_any_enabled_database_connection(emulator, browser):
    params = login_code(browser, "viewer@acme.test")
    assert exchange(emulator, params["code"]).status_code == 200


def test_organization_login_puts_org_claims_in_the_id_token(emulator, browser):
    params = login_code(browser, "admin@globex.test", organization="globex")
    claims = id_token_claims(emulator, exchange(emulator, params["code"]).json()["id_token"])
    assert claims["org_id"].startswith("org_")
    assert claims["org_name"] == "globex"
    # The same organization named by its id.
    with Browser(emulator) as other:
        by_id = login_code(other, "viewer@globex.test", organization=claims["org_id"])
        assert (
            id_token_claims(emulator, exchange(emulator, by_id["code"]).json()["id_token"])["org_id"]
            == claims["org_id"]
        )


def test_non_member_cannot_log_in_to_an_organization(browser):
    response = browser.login("admin@initech.test", organization="globex", state="org-state")
    assert response.status_code == 302
    query = query_of(response.headers["location"])
    assert query["error"] == "access_denied"
    assert "is not part of the" in query["error_description"]
    assert query["state"] == "org-state"


def test_refresh_token_when_offline_access_is_asked(emulator, browser):
    params = login_code(browser, "user10@initech.test", scope="openid profile email offline_access")
    body = exchange(emulator, params["code"]).json()
    assert body["refresh_token"]
    refreshed = httpx.post(
        f"{emulator.url}/oauth/token",
        data={
            "grant_type": "refresh_token",
            "client_id": PORTAL_CLIENT_ID,
            "client_secret": PORTAL_CLIENT_SECRET,
            "refresh_token": body["refresh_token"],
        },
    )
    assert refreshed.status_code == 200, refreshed.text
    assert id_token_claims(emulator, refreshed.json()["id_token"])["email"] == "user10@initech.test"
    revoked = httpx.post(
        f"{emulator.url}/oauth/revoke",
        data={
            "client_id": PORTAL_CLIENT_ID,
            "client_secret": PORTAL_CLIENT_SECRET,
            "token": body["refresh_token"],
        },
    )
    assert revoked.status_code == 200
    again = httpx.post(
        f"{emulator.url}/oauth/token",
        data={
            "grant_type": "refresh_token",
            "client_id": PORTAL_CLIENT_ID,
            "client_secret": PORTAL_CLIENT_SECRET,
            "refresh_token": body["refresh_token"],
        },
    )
    assert again.status_code == 403
    assert again.json() == {
        "error": "invalid_grant",
        "error_description": "Unknown or invalid refresh token.",
    }


def test_userinfo_refuses_missing_and_foreign_tokens(emulator):
    missing = httpx.get(f"{emulator.url}/userinfo")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    m2m = httpx.post(
        f"{emulator.url}/oauth/token",
        json={
            "grant_type": "client_credentials",
            "client_id": "portal-m2m-dev",
            "client_secret": "portal-m2m-dev-secret",
            "audience": f"{emulator.url}/api/v2/",
        },
    ).json()["access_token"]
    foreign = httpx.get(f"{emulator.url}/userinfo", headers={"Authorization": f"Bearer {m2m}"})
    assert foreign.status_code == 401
    assert foreign.json()["error"] == "invalid_token"


def test_reusing_a_code_revokes_the_refresh_token_it_produced(emulator, browser):
    params = login_code(browser, "user12@initech.test", scope="openid offline_access")
    refresh_token = exchange(emulator, params["code"]).json()["refresh_token"]
    assert exchange(emulator, params["code"]).status_code == 403  # the replay
    refreshed = httpx.post(
        f"{emulator.url}/oauth/token",
        data={
            "grant_type": "refresh_token",
            "client_id": PORTAL_CLIENT_ID,
            "client_secret": PORTAL_CLIENT_SECRET,
            "refresh_token": refresh_token,
        },
    )
    assert refreshed.status_code == 403
    assert refreshed.json()["error"] == "invalid_grant"
