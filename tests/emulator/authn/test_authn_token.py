"""Discovery, JWKS and the client-credentials grant, through the official SDK where it has a call."""

from __future__ import annotations

import base64

import httpx
import jwt
import pytest
from auth0.authentication import GetToken
from auth0.authentication.exceptions import Auth0Error

M2M_ID, M2M_SECRET = "portal-m2m-dev", "portal-m2m-dev-secret"
TOOL_ID, TOOL_SECRET = "portal-tool-dev", "portal-tool-dev-secret"
PORTAL_API = "https://portal.local/api/"


def sdk(emulator, client_id: str = M2M_ID, secret: str = M2M_SECRET) -> GetToken:
    return GetToken(emulator.domain, client_id, secret, protocol="http")


def test_discovery_document(emulator):
    doc = httpx.get(f"{emulator.url}/.well-known/openid-configuration").json()
    assert doc["issuer"] == f"{emulator.url}/"
    assert doc["authorization_endpoint"] == f"{emulator.url}/authorize"
    assert doc["token_endpoint"] == f"{emulator.url}/oauth/token"
    assert doc["userinfo_endpoint"] == f"{emulator.url}/userinfo"
    assert doc["jwks_uri"] == f"{emulator.url}/.well-known/jwks.json"
    assert doc["end_session_endpoint"] == f"{emulator.url}/oidc/logout"
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert doc["code_challenge_methods_supported"] == ["S256", "plain"]
    assert "code" in doc["response_types_supported"]
    assert {"client_secret_basic", "client_secret_post"} <= set(doc["token_endpoint_auth_methods_supported"])
    assert {"authorization_code", "client_credentials", "refresh_token"} <= set(doc["grant_types_supported"])
    assert {"openid", "profile", "email", "offline_access"} <= set(doc["scopes_supported"])
    assert "public" in doc["subject_types_supported"]


def test_management_token_via_sdk_verifies_against_jwks(emulator):
    body = sdk(emulator).client_credentials(f"{emulator.url}/api/v2/")
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 86400
    jwks = jwt.PyJWKClient(f"{emulator.url}/.well-known/jwks.json")
    key = jwks.get_signing_key_from_jwt(body["access_token"])
    claims = jwt.decode(
        body["access_token"],
        key.key,
        algorithms=["RS256"],
        audience=f"{emulator.url}/api/v2/",
        issuer=f"{emulator.url}/",
    )
    assert claims["sub"] == f"{M2M_ID}@clients"
    assert claims["gty"] == "client-credentials"
    assert "read:users" in claims["scope"].split()
    assert body["scope"] == claims["scope"]


def test_portal_api_token_for_the_tool_client(emulator):
    body = sdk(emulator, TOOL_ID, TOOL_SECRET).client_credentials(PORTAL_API)
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["aud"] == PORTAL_API
    assert claims["azp"] == TOOL_ID


def test_requested_scope_subset(emulator):
    response = httpx.post(
        f"{emulator.url}/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": M2M_ID,
            "client_secret": M2M_SECRET,
            "audience": f"{emulator.url}/api/v2/",
            "scope": "read:users read:logs",
        },
    )
    assert response.status_code == 200
    assert response.json()["scope"] == "read:users read:logs"
    refused = httpx.post(
        f"{emulator.url}/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": M2M_ID,
            "client_secret": M2M_SECRET,
            "audience": f"{emulator.url}/api/v2/",
            "scope": "read:users delete:clients",
        },
    )
    assert refused.status_code == 403
    assert refused.json()["error"] == "access_denied"
    assert "delete:clients" in refused.json()["error_description"]


def test_client_secret_basic(emulator):
    credentials = base64.b64encode(f"{M2M_ID}:{M2M_SECRET}".encode()).decode()
    response = httpx.post(
        f"{emulator.url}/oauth/token",
        data={"grant_type": "client_credentials", "audience": f"{emulator.url}/api/v2/"},
        headers={"Authorization": f"Basic {credentials}"},
    )
    assert response.status_code == 200, response.text


def test_wrong_secret_via_sdk(emulator):
    with pytest.raises(Auth0Error) as caught:
        sdk(emulator, M2M_ID, "wrong").client_credentials(f"{emulator.url}/api/v2/")
    assert caught.value.status_code == 401
    assert caught.value.error_code == "access_denied"
    assert caught.value.message == "Unauthorized"


def test_unknown_client_via_sdk(emulator):
    with pytest.raises(Auth0Error) as caught:
        sdk(emulator, "nobody", "nothing").client_credentials(f"{emulator.url}/api/v2/")
    assert caught.value.status_code == 401


def test_audience_without_a_grant(emulator):
    with pytest.raises(Auth0Error) as caught:
        sdk(emulator, TOOL_ID, TOOL_SECRET).client_credentials(f"{emulator.url}/api/v2/")
    assert caught.value.status_code == 403
    assert caught.value.error_code == "access_denied"
    assert caught.value.message.startswith(f'Client is not authorized to access "{emulator.url}/api/v2/"')


def test_unknown_audience(emulator):
    with pytest.raises(Auth0Error) as caught:
        sdk(emulator).client_credentials("https://nowhere.example/api")
    assert caught.value.status_code == 403
    assert caught.value.message == "Service not found: https://nowhere.example/api"


def test_grant_type_not_allowed_for_the_client(emulator):
    # The portal's web client logs users in; it has no client-credentials grant.
    with pytest.raises(Auth0Error) as caught:
        sdk(emulator, "portal-web-dev", "portal-web-dev-secret").client_credentials(f"{emulator.url}/api/v2/")
    assert caught.value.status_code == 403
    assert caught.value.error_code == "unauthorized_client"


@pytest.mark.parametrize(
    ("data", "status", "error"),
    [
        ({}, 400, "invalid_request"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
        ({"grant_type": "client_credentials", "audience": "x"}, 400, "invalid_request"),  # no client_id
    ],
)
def test_malformed_token_requests(emulator, data, status, error):
    response = httpx.post(f"{emulator.url}/oauth/token", data=data)
    assert response.status_code == status
    assert response.json()["error"] == error
    assert response.json()["error_description"]


def test_unparseable_bodies_are_400_not_500(emulator):
    bad_json = httpx.post(
        f"{emulator.url}/oauth/token", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert bad_json.status_code == 400
    assert bad_json.json()["error"] == "invalid_request"
    wrong_type = httpx.post(f"{emulator.url}/oauth/token", content=b"<xml/>", headers={"Content-Type": "text/xml"})
    assert wrong_type.status_code == 400


PORTAL_API_SCOPES = "users:read users:write audit:read organizations:read organizations:write"


@pytest.mark.parametrize("client_id", [TOOL_ID, "portal-tool-acme-dev"])
def test_tool_clients_get_every_portal_api_scope(emulator, client_id):
    body = sdk(emulator, client_id, f"{client_id}-secret").client_credentials(PORTAL_API)
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert body["scope"] == claims["scope"] == PORTAL_API_SCOPES
    assert claims["sub"] == f"{client_id}@clients" and claims["gty"] == "client-credentials"


def test_tool_client_asks_for_fewer_portal_api_scopes(emulator):
    data = {"grant_type": "client_credentials", "client_id": TOOL_ID, "client_secret": TOOL_SECRET,
            "audience": PORTAL_API}
    narrowed = httpx.post(f"{emulator.url}/oauth/token", data={**data, "scope": "users:read"})
    assert narrowed.status_code == 200 and narrowed.json()["scope"] == "users:read"
    refused = httpx.post(f"{emulator.url}/oauth/token", data={**data, "scope": "users:read users:admin"})
    assert refused.status_code == 403
    assert refused.json()["error_description"] == "Client has not been granted scopes: users:admin"


def test_portal_api_audience_is_configurable(emulator_factory):
    custom = emulator_factory("--seed", "empty", "--portal-api-audience", "https://api.example.test/portal")
    body = sdk(custom, TOOL_ID, TOOL_SECRET).client_credentials("https://api.example.test/portal")
    assert jwt.decode(body["access_token"], options={"verify_signature": False})["aud"] == (
        "https://api.example.test/portal")
    with pytest.raises(Auth0Error) as caught:  # the default audience is no API of this tenant
        sdk(custom, TOOL_ID, TOOL_SECRET).client_credentials(PORTAL_API)
    assert caught.value.message == f"Service not found: {PORTAL_API}"
