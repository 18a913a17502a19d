"""The emulator's Authentication API against Auth0's published OpenAPI document: every answer's
status is documented for its operation, and JSON bodies validate against the documented schemas."""

from __future__ import annotations

import httpx
import pytest

from tests.support import authn_openapi
from tests.support.authn_browser import (
    PORTAL_CALLBACK,
    PORTAL_CLIENT_ID,
    PORTAL_CLIENT_SECRET,
    Browser,
    Mailboxes,
    management_client,
    pkce_pair,
    query_of,
)

M2M = {"client_id": "portal-m2m-dev", "client_secret": "portal-m2m-dev-secret"}


def check(method: str, path: str, response: httpx.Response) -> bool:
    return authn_openapi.response_check(method, path, response)


def test_client_credentials_token(emulator):
    response = httpx.post(
        f"{emulator.url}/oauth/token",
        json={"grant_type": "client_credentials", "audience": f"{emulator.url}/api/v2/", **M2M},
    )
    assert response.status_code == 200
    assert check("POST", "/oauth/token", response)
    assert {"access_token", "token_type", "expires_in"} <= response.json().keys()


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({}, 400),
        (
            {
                "grant_type": "client_credentials",
                "audience": "x",
                "client_id": "nobody",
                "client_secret": "x",
            },
            401,
        ),
        ({"grant_type": "client_credentials", "audience": "https://nowhere.example/", **M2M}, 403),
        (
            {
                "grant_type": "authorization_code",
                "code": "nope",
                "client_id": PORTAL_CLIENT_ID,
                "client_secret": PORTAL_CLIENT_SECRET,
            },
            403,
        ),
    ],
)
def test_token_errors(emulator, body, status):
    response = httpx.post(f"{emulator.url}/oauth/token", data=body)
    assert response.status_code == status
    assert check("POST", "/oauth/token", response)
    assert set(response.json()) == {"error", "error_description"}


def test_authorization_code_flow_and_userinfo(emulator):
    verifier, challenge = pkce_pair()
    with Browser(emulator) as browser:
        start = browser.authorize(
            code_challenge=challenge,
            code_challenge_method="S256",
            scope="openid profile email offline_access",
        )
        authn_openapi.response_spec("GET", "/authorize", start.status_code)
        done = browser.login(
            "user11@initech.test",
            code_challenge=challenge,
            code_challenge_method="S256",
            scope="openid profile email offline_access",
        )
    code = query_of(done.headers["location"])["code"]
    token = httpx.post(
        f"{emulator.url}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "client_id": PORTAL_CLIENT_ID,
            "client_secret": PORTAL_CLIENT_SECRET,
            "code": code,
            "code_verifier": verifier,
            "redirect_uri": PORTAL_CALLBACK,
        },
    )
    assert token.status_code == 200
    assert check("POST", "/oauth/token", token)
    assert {"access_token", "id_token", "refresh_token", "token_type", "expires_in"} <= token.json().keys()

    refreshed = httpx.post(
        f"{emulator.url}/oauth/token",
        data={
            "grant_type": "refresh_token",
            "client_id": PORTAL_CLIENT_ID,
            "client_secret": PORTAL_CLIENT_SECRET,
            "refresh_token": token.json()["refresh_token"],
        },
    )
    assert refreshed.status_code == 200
    assert check("POST", "/oauth/token", refreshed)

    userinfo = httpx.get(
        f"{emulator.url}/userinfo", headers={"Authorization": f"Bearer {token.json()['access_token']}"}
    )
    assert userinfo.status_code == 200
    assert check("GET", "/userinfo", userinfo)
    assert userinfo.json()["email_verified"] is True


def test_userinfo_unauthorized(emulator):
    response = httpx.get(f"{emulator.url}/userinfo", headers={"Authorization": "Bearer nonsense"})
    assert response.status_code == 401
    assert check("GET", "/userinfo", response)


def test_authorize_error_statuses_are_documented(emulator):
    with Browser(emulator) as browser:
        bad_callback = browser.authorize(redirect_uri="https://evil.example/cb")
        authn_openapi.response_spec("GET", "/authorize", bad_callback.status_code)
        bad_type = browser.authorize(response_type="token")
        authn_openapi.response_spec("GET", "/authorize", bad_type.status_code)


def test_logout_statuses_are_documented(emulator):
    with Browser(emulator) as browser:
        ok = browser.get("/v2/logout", params={"client_id": PORTAL_CLIENT_ID, "returnTo": "http://localhost:8000/"})
        authn_openapi.response_spec("GET", "/v2/logout", ok.status_code)
        refused = browser.get("/v2/logout", params={"client_id": PORTAL_CLIENT_ID, "returnTo": "https://x.example/"})
        authn_openapi.response_spec("GET", "/v2/logout", refused.status_code)
        oidc = browser.get(
            "/oidc/logout",
            params={"client_id": PORTAL_CLIENT_ID, "post_logout_redirect_uri": "http://localhost:8000/"},
        )
        authn_openapi.response_spec("GET", "/oidc/logout", oidc.status_code)


def test_change_password_answer(emulator):
    response = httpx.post(
        f"{emulator.url}/dbconnections/change_password",
        json={
            "client_id": PORTAL_CLIENT_ID,
            "email": "enduser@portal.test",
            "connection": "Username-Password-Authentication",
        },
    )
    assert response.status_code == 200
    assert check("POST", "/dbconnections/change_password", response)
    documented = authn_openapi.response_spec("POST", "/dbconnections/change_password", 200)
    assert response.json() == documented["content"]["application/json"]["schema"]["example"]
    missing = httpx.post(f"{emulator.url}/dbconnections/change_password", json={"client_id": PORTAL_CLIENT_ID})
    assert missing.status_code == 400
    assert check("POST", "/dbconnections/change_password", missing)


@pytest.fixture
def mailboxes(emulator):
    boxes = Mailboxes(management_client(emulator))
    yield boxes
    boxes.cleanup()


def test_signup_answers(emulator, mailboxes):
    email = mailboxes.new("contract")
    body = {
        "client_id": PORTAL_CLIENT_ID,
        "email": email,
        "password": "Contract-Passw0rd",
        "connection": "Username-Password-Authentication",
    }
    created = httpx.post(f"{emulator.url}/dbconnections/signup", json=body)
    assert created.status_code == 200
    authn_openapi.response_spec("POST", "/dbconnections/signup", 200)
    duplicate = httpx.post(f"{emulator.url}/dbconnections/signup", json=body)
    assert duplicate.status_code == 400
    assert check("POST", "/dbconnections/signup", duplicate)
