"""The Authentication API as a plain OpenID provider: profile claims only from /userinfo, logout at
another path, one client authentication method; from the command line (``--oidc-profile plain`` and
the single switches, also as EMULATOR_* variables) and from ``POST /emulator/authn/settings``.

The switches are tried on one emulator of this module's own, started with ``--oidc-profile plain``;
the session's shared emulator is only read, to show Auth0's shape is still the default.
"""

from __future__ import annotations

import httpx
import jwt
import pytest

from auth0_emulator.__main__ import parse_args
from auth0_emulator.app import create_app
from auth0_emulator.config import EmulatorConfig
from tests.support import authn_openapi
from tests.support.authn_browser import (
    DEMO_PASSWORD,
    PORTAL_CALLBACK,
    PORTAL_CLIENT_ID,
    PORTAL_CLIENT_SECRET,
    Browser,
    query_of,
)

M2M_ID, M2M_SECRET = "portal-m2m-dev", "portal-m2m-dev-secret"
LOGOUT_TARGET = "http://localhost:8000/"
PROFILE_CLAIMS = {"email", "email_verified", "name", "given_name", "family_name", "nickname", "picture"}
PROTOCOL_CLAIMS = {"iss", "sub", "aud", "exp", "iat", "nonce", "auth_time"}
AUTH0_SHAPE = {"profile": "auth0", "claims_in": "id_token", "end_session_path": "/oidc/logout",
               "token_auth_method": "any"}
PLAIN_SHAPE = {"profile": "plain", "claims_in": "userinfo", "end_session_path": "/connect/endsession",
               "token_auth_method": "client_secret_basic"}
ENVIRONMENT = ("EMULATOR_OIDC_PROFILE", "EMULATOR_CLAIMS_IN", "EMULATOR_END_SESSION_PATH",
               "EMULATOR_TOKEN_AUTH_METHOD")


@pytest.fixture(scope="module")
def plain(emulator_factory):
    return emulator_factory("--seed", "demo", "--test-controls", "--no-rate-limits", "--oidc-profile", "plain")


def settings_post(emu, **values) -> httpx.Response:
    return httpx.post(f"{emu.url}/emulator/authn/settings", json=values, timeout=10)


@pytest.fixture
def switch(plain):
    """Change the plain emulator's settings for one test, and put its start-up shape back after."""

    def change(**values) -> dict:
        response = settings_post(plain, **values)
        assert response.status_code == 200, response.text
        return response.json()

    yield change
    change(profile=None)


def discovery(emu) -> dict:
    return httpx.get(f"{emu.url}/.well-known/openid-configuration", timeout=10).json()


def login_code(browser: Browser, email: str, **params: str) -> str:
    """Log in through the hosted page; the code the application receives."""
    response = browser.login(email, DEMO_PASSWORD, **params)
    assert response.status_code == 302 and response.headers["location"].startswith(PORTAL_CALLBACK), response.text
    return query_of(response.headers["location"])["code"]


def exchange(emu, code: str, method: str) -> httpx.Response:
    """Redeem a code for the portal's client, authenticating with ``method`` ("basic" or "post")."""
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": PORTAL_CALLBACK}
    if method == "basic":
        return httpx.post(f"{emu.url}/oauth/token", data=data, auth=(PORTAL_CLIENT_ID, PORTAL_CLIENT_SECRET))
    data.update(client_id=PORTAL_CLIENT_ID, client_secret=PORTAL_CLIENT_SECRET)
    return httpx.post(f"{emu.url}/oauth/token", data=data)


def m2m_token(emu, method: str) -> httpx.Response:
    data = {"grant_type": "client_credentials", "audience": f"{emu.url}/api/v2/"}
    if method == "basic":
        return httpx.post(f"{emu.url}/oauth/token", data=data, auth=(M2M_ID, M2M_SECRET))
    return httpx.post(f"{emu.url}/oauth/token", data={**data, "client_id": M2M_ID, "client_secret": M2M_SECRET})


def id_token_claims(emu, token: str, nonce: str) -> dict:
    """Verified against the JWKS, as a relying party does."""
    key = jwt.PyJWKClient(f"{emu.url}/.well-known/jwks.json").get_signing_key_from_jwt(token)
    claims = jwt.decode(token, key.key, algorithms=["RS256"], audience=PORTAL_CLIENT_ID, issuer=f"{emu.url}/")
    assert claims["nonce"] == nonce
    return claims


def login_tokens(emu, email: str, method: str, **params: str) -> dict:
    with Browser(emu) as browser:
        response = exchange(emu, login_code(browser, email, nonce="n-1", **params), method)
    assert response.status_code == 200, response.text
    return response.json()


def userinfo(emu, access_token: str) -> dict:
    response = httpx.get(f"{emu.url}/userinfo", headers={"Authorization": f"Bearer {access_token}"})
    assert response.status_code == 200, response.text
    return response.json()


def invalid_client(response: httpx.Response, refused: str, accepted: str) -> None:
    """Assert the token endpoint's 401 ``invalid_client`` for a refused authentication method."""
    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_client",
        "error_description": f"Client authentication method {refused} is not allowed: "
                             f"this token endpoint accepts only {accepted}.",
    }
    assert authn_openapi.response_check("POST", "/oauth/token", response)


# -- the command line and the environment --------------------------------------------------------------
def _oidc(config: EmulatorConfig) -> dict:
    return {k: getattr(config, k) for k in ("claims_in", "end_session_path", "token_auth_method")}


def test_command_line_profile_switches_and_environment(monkeypatch) -> None:
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    assert _oidc(parse_args([])) == {k: v for k, v in AUTH0_SHAPE.items() if k != "profile"}
    assert _oidc(parse_args(["--oidc-profile", "plain"])) == {k: v for k, v in PLAIN_SHAPE.items() if k != "profile"}
    # A single switch overrides the profile it is given with.
    assert _oidc(parse_args(["--oidc-profile", "plain", "--token-auth-method", "any"])) == {
        "claims_in": "userinfo", "end_session_path": "/connect/endsession", "token_auth_method": "any"}
    assert _oidc(parse_args(["--claims-in", "userinfo", "--end-session-path", "/logout"])) == {
        "claims_in": "userinfo", "end_session_path": "/logout", "token_auth_method": "any"}
    monkeypatch.setenv("EMULATOR_OIDC_PROFILE", "plain")
    monkeypatch.setenv("EMULATOR_CLAIMS_IN", "id_token")
    assert _oidc(parse_args([])) == {"claims_in": "id_token", "end_session_path": "/connect/endsession",
                                     "token_auth_method": "client_secret_basic"}
    assert parse_args(["--claims-in", "userinfo"]).claims_in == "userinfo"  # the option beats the variable


@pytest.mark.parametrize(
    ("argv", "environment", "message"),
    [
        (["--oidc-profile", "keycloak"], {}, "--oidc-profile 'keycloak': must be one of auth0, plain"),
        (["--claims-in", "access_token"], {}, "--claims-in 'access_token': must be one of id_token, userinfo"),
        (["--end-session-path", "logout"], {}, "--end-session-path 'logout': must be a path of one or more"),
        ([], {"EMULATOR_TOKEN_AUTH_METHOD": "private_key_jwt"},
         "--token-auth-method 'private_key_jwt': must be one of any, client_secret_basic, client_secret_post"),
    ],
)
def test_bad_command_line_values_stop_the_emulator(monkeypatch, capsys, argv, environment, message) -> None:
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as stopped:
        parse_args(argv)
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err


def test_end_session_path_cannot_take_another_routes_place() -> None:
    for taken in ("/userinfo", "/api/v2/logout", "/u/login"):
        with pytest.raises(ValueError, match=f"end_session_path: {taken} is already served by the emulator"):
            create_app(EmulatorConfig(data_file=":memory:", seed="empty", end_session_path=taken))


# -- Auth0's shape stays the default --------------------------------------------------------------------
def test_defaults_are_auth0s(emulator) -> None:
    echoed = settings_post(emulator).json()
    assert {k: echoed[k] for k in AUTH0_SHAPE} == AUTH0_SHAPE
    doc = discovery(emulator)
    assert doc["end_session_endpoint"] == f"{emulator.url}/oidc/logout"
    assert doc["token_endpoint_auth_methods_supported"] == ["client_secret_basic", "client_secret_post", "none"]
    assert m2m_token(emulator, "basic").status_code == 200 and m2m_token(emulator, "post").status_code == 200
    tokens = login_tokens(emulator, "viewer@initech.test", "post")
    claims = id_token_claims(emulator, tokens["id_token"], "n-1")
    assert set(claims) >= PROFILE_CLAIMS and claims["email"] == "viewer@initech.test"
    assert httpx.get(f"{emulator.url}/connect/endsession").status_code == 404


# -- the plain profile from the command line ------------------------------------------------------------
def test_plain_discovery_document(plain) -> None:
    doc = discovery(plain)
    assert doc["end_session_endpoint"] == f"{plain.url}/connect/endsession"
    assert doc["token_endpoint_auth_methods_supported"] == ["client_secret_basic"]
    assert doc["userinfo_endpoint"] == f"{plain.url}/userinfo"
    echoed = settings_post(plain).json()
    assert {k: echoed[k] for k in PLAIN_SHAPE} == PLAIN_SHAPE


def test_id_token_has_only_protocol_claims_and_userinfo_the_profile(plain) -> None:
    tokens = login_tokens(plain, "viewer@initech.test", "basic")
    claims = id_token_claims(plain, tokens["id_token"], "n-1")
    assert set(claims) == PROTOCOL_CLAIMS
    profile = userinfo(plain, tokens["access_token"])
    assert set(profile) >= PROFILE_CLAIMS
    assert profile["sub"] == claims["sub"] and profile["email"] == "viewer@initech.test"


def test_organization_login_keeps_org_id_and_org_name_in_the_id_token(plain) -> None:
    tokens = login_tokens(plain, "admin@globex.test", "basic", organization="globex")
    claims = id_token_claims(plain, tokens["id_token"], "n-1")
    assert set(claims) == PROTOCOL_CLAIMS | {"org_id", "org_name"}
    assert claims["org_name"] == "globex" and claims["org_id"].startswith("org_")
    assert userinfo(plain, tokens["access_token"])["email"] == "admin@globex.test"


def test_claims_in_switches_at_runtime(plain, switch) -> None:
    assert switch(claims_in="id_token")["claims_in"] == "id_token"
    claims = id_token_claims(plain, login_tokens(plain, "viewer@initech.test", "basic")["id_token"], "n-1")
    assert set(claims) >= PROFILE_CLAIMS
    assert switch(claims_in=None)["claims_in"] == "userinfo"  # null: the start-up value
    claims = id_token_claims(plain, login_tokens(plain, "viewer@initech.test", "basic")["id_token"], "n-1")
    assert set(claims) == PROTOCOL_CLAIMS


def test_logout_at_the_plain_path_and_not_at_auth0s(plain) -> None:
    assert httpx.get(f"{plain.url}/oidc/logout", params={"client_id": PORTAL_CLIENT_ID}).status_code == 404
    with Browser(plain) as browser:
        id_token = exchange(plain, login_code(browser, "viewer@initech.test"), "basic").json()["id_token"]
        out = browser.get("/connect/endsession", params={
            "id_token_hint": id_token, "post_logout_redirect_uri": LOGOUT_TARGET, "state": "bye"})
        assert out.status_code == 302 and out.headers["location"] == f"{LOGOUT_TARGET}?state=bye"
        assert browser.authorize().headers["location"].startswith("/u/login")  # the session is over


def test_end_session_path_moves_at_runtime(plain, switch) -> None:
    params = {"client_id": PORTAL_CLIENT_ID, "post_logout_redirect_uri": LOGOUT_TARGET}
    assert switch(end_session_path="/session/end")["end_session_path"] == "/session/end"
    assert discovery(plain)["end_session_endpoint"] == f"{plain.url}/session/end"
    assert httpx.get(f"{plain.url}/session/end", params=params).status_code == 302
    assert httpx.get(f"{plain.url}/connect/endsession", params=params).status_code == 404
    assert switch(profile="auth0")["end_session_path"] == "/oidc/logout"
    assert httpx.get(f"{plain.url}/oidc/logout", params=params).status_code == 302
    assert httpx.get(f"{plain.url}/session/end", params=params).status_code == 404
    assert switch(end_session_path=None)["end_session_path"] == "/connect/endsession"
    assert httpx.get(f"{plain.url}/connect/endsession", params=params).status_code == 302


# -- one client authentication method ----------------------------------------------------------------------
def test_basic_accepted_and_post_refused(plain) -> None:
    assert m2m_token(plain, "basic").status_code == 200
    refused = m2m_token(plain, "post")
    invalid_client(refused, "client_secret_post", "client_secret_basic")
    assert refused.headers["www-authenticate"] == f'Basic realm="{plain.url}/"'
    with Browser(plain) as browser:
        code = login_code(browser, "viewer@initech.test")
    invalid_client(exchange(plain, code, "post"), "client_secret_post", "client_secret_basic")
    assert exchange(plain, code, "basic").status_code == 200  # the refusal did not use the code up


def test_post_accepted_and_basic_refused_when_switched(plain, switch) -> None:
    assert switch(token_auth_method="client_secret_post")["token_auth_method"] == "client_secret_post"
    assert discovery(plain)["token_endpoint_auth_methods_supported"] == ["client_secret_post"]
    assert m2m_token(plain, "post").status_code == 200
    refused = m2m_token(plain, "basic")
    invalid_client(refused, "client_secret_basic", "client_secret_post")
    assert "www-authenticate" not in refused.headers
    switch(token_auth_method="any")
    assert m2m_token(plain, "post").status_code == 200 and m2m_token(plain, "basic").status_code == 200
    assert len(discovery(plain)["token_endpoint_auth_methods_supported"]) == 3


# -- the test control refuses bad settings and changes nothing ------------------------------------------------
@pytest.mark.parametrize(
    ("body", "description"),
    [
        ({"claims_in": "access_token"}, "claims_in must be one of id_token, userinfo"),
        ({"token_auth_method": "private_key_jwt"},
         "token_auth_method must be one of any, client_secret_basic, client_secret_post"),
        ({"end_session_path": "connect/endsession"}, "end_session_path must be a path of one or more /segments"),
        ({"end_session_path": "/authorize"}, "end_session_path /authorize is already served by the emulator"),
        ({"end_session_path": "/api/v2/logout"}, "end_session_path /api/v2/logout is already served"),
        ({"profile": "keycloak"}, "profile must be one of auth0, plain or null"),
        ({"claims_in": "id_token", "token_auth_method": "bogus"}, "token_auth_method must be one of"),
        ({"authorization_code_lifetime": 5, "end_session_path": 7}, "end_session_path must be a path"),
        ({"colour": "blue"}, "Unknown settings: colour"),
    ],
)
def test_bad_settings_are_refused_and_change_nothing(plain, body, description) -> None:
    before = settings_post(plain).json()
    response = settings_post(plain, **body)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert response.json()["error_description"].startswith(description)
    assert settings_post(plain).json() == before
