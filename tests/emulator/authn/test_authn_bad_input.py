"""Bad input to every Authentication API endpoint gets an Auth0-style answer: never a 500, never a
stack trace, JSON errors on API endpoints and the hosted error page on browser endpoints."""

from __future__ import annotations

import httpx
import pytest

from tests.support.authn_browser import PORTAL_CALLBACK, PORTAL_CLIENT_ID

HTML_ENDPOINTS = [
    ("GET", "/authorize", {"client_id": "\x00\ud7ff", "redirect_uri": "::::"}),
    ("GET", "/authorize", {"client_id": PORTAL_CLIENT_ID, "redirect_uri": PORTAL_CALLBACK * 50}),
    ("GET", "/u/login", {}),
    ("GET", "/u/login", {"state": "x" * 5000}),
    ("POST", "/u/login", {"state": "nope"}),
    ("GET", "/u/signup", {"state": ""}),
    ("POST", "/u/signup", {}),
    ("GET", "/u/reset-password", {"ticket": "'; DROP TABLE tickets; --"}),
    ("POST", "/u/reset-password", {}),
    ("GET", "/u/reset-password/request", {}),
    ("POST", "/u/reset-password/request", {"state": "nope"}),
    ("GET", "/u/email-verification", {"ticket": "%00"}),
    ("GET", "/oidc/logout", {"id_token_hint": "a.b.c", "client_id": PORTAL_CLIENT_ID}),
    ("GET", "/v2/logout", {"client_id": "", "returnTo": "javascript:alert(1)"}),
]

JSON_ENDPOINTS = [
    ("POST", "/oauth/token", b'{"grant_type": ["client_credentials"], "client_id": {"a": 1}}'),
    ("POST", "/oauth/token", b"[1, 2, 3]"),
    ("POST", "/oauth/token", b'{"grant_type": "authorization_code", "client_id": "portal-web-dev"}'),
    ("POST", "/oauth/token", b'{"grant_type": "refresh_token", "client_id": "portal-web-dev", "refresh_token": 5}'),
    ("POST", "/oauth/revoke", b"{}"),
    ("POST", "/dbconnections/change_password", b'{"email": null, "connection": 3}'),
    ("POST", "/dbconnections/change_password", b'{"email": "a@b.c", "connection": "nope"}'),
    ("POST", "/dbconnections/signup", b'{"client_id": "portal-web-dev", "email": "a", "password": "x"}'),
    ("POST", "/dbconnections/signup", b"\xff\xfe"),
    ("GET", "/userinfo", None),
]


@pytest.mark.parametrize(("method", "path", "params"), HTML_ENDPOINTS)
def test_browser_endpoints_answer_with_a_page(emulator, method, path, params):
    response = httpx.request(method, f"{emulator.url}{path}", params=params, timeout=10)
    assert 300 <= response.status_code < 500, response.text[:500]
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("text/html")
        assert "Traceback" not in response.text
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


@pytest.mark.parametrize(("method", "path", "body"), JSON_ENDPOINTS)
def test_api_endpoints_answer_with_json_errors(emulator, method, path, body):
    response = httpx.request(
        method, f"{emulator.url}{path}", content=body, headers={"Content-Type": "application/json"}, timeout=10
    )
    assert 400 <= response.status_code < 500, response.text[:500]
    payload = response.json()
    assert isinstance(payload, dict) and "Traceback" not in response.text
    assert payload.get("error") or payload.get("code")


def test_no_unhandled_errors_in_the_emulator_log(emulator):
    # Runs after the cases above (same module): nothing they sent may have reached the 500 handler.
    failures = [
        line
        for line in emulator.log().splitlines()
        if "unhandled error on" in line and " /api/v2/" not in line  # the Management API is not this module's
    ]
    assert failures == []
