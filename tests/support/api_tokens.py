"""Helpers of the API's tests (the ``api`` fixture is in tests/conftest.py): real access tokens from the
emulator over HTTP (client credentials for tools, the authorization code flow for people), and tokens forged
with the tenant's own key for the negatives."""

from __future__ import annotations

import sqlite3
import time

import httpx
import jwt

from organizations.clients.services import api_client_register
from organizations.models import ApiClient, ApiPermission, Organization
from tests.support.processes import EmulatorProcess

TOOL_ID, TOOL_SECRET = "portal-tool-dev", "portal-tool-dev-secret"
ACME_TOOL_ID, ACME_TOOL_SECRET = "portal-tool-acme-dev", "portal-tool-acme-dev-secret"
AUDIENCE = "https://portal.local/api/"
ALL_PERMISSIONS = list(ApiPermission.values)


def tool_token(emulator: EmulatorProcess, client_id: str = TOOL_ID, secret: str = TOOL_SECRET,
               scope: str | None = None) -> str:
    """A client-credentials access token from the emulator's /oauth/token."""
    data = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret,
            "audience": AUDIENCE}
    if scope is not None:
        data["scope"] = scope
    response = httpx.post(f"{emulator.url}/oauth/token", data=data, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def tenant_key(emulator: EmulatorProcess) -> tuple[object, str]:
    """The emulator's signing key and its kid, read from its data file: to forge tokens that differ from a
    real one in one claim only."""
    with sqlite3.connect(emulator.data_file) as db:
        (pem,) = db.execute("SELECT value FROM kv WHERE key = 'signing_key_pem'").fetchone()
    import json

    from cryptography.hazmat.primitives import serialization
    key = serialization.load_pem_private_key(json.loads(pem).encode(), password=None)
    kid = jwt.get_unverified_header(tool_token(emulator))["kid"]
    return key, kid


def forged(emulator: EmulatorProcess, **overrides) -> str:
    key, kid = tenant_key(emulator)
    now = int(time.time())
    claims = {"iss": f"{emulator.url}/", "sub": f"{TOOL_ID}@clients", "aud": AUDIENCE, "azp": TOOL_ID,
              "scope": " ".join(ALL_PERMISSIONS), "gty": "client-credentials", "iat": now, "exp": now + 600}
    headers = {"kid": overrides.pop("kid", kid)}
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, key, algorithm="RS256", headers=headers)


def register(client_id: str = TOOL_ID, *, organizations: list[Organization] | None = None,
             permissions: list[str] | None = None) -> ApiClient:
    return api_client_register(actor=None, client_id=client_id, name=f"Tool {client_id}",
                               all_organizations=organizations is None, organizations=organizations or [],
                               permissions=ALL_PERMISSIONS if permissions is None else permissions)


def person_token(emulator: EmulatorProcess, email: str) -> tuple[str, str]:
    """A person's access token for the portal's API, by the authorization code flow through the emulator's
    login page (as a tool acting for a person would get it), and their user id."""
    from urllib.parse import parse_qs, urlsplit

    from tests.support.authn_browser import PORTAL_CALLBACK, PORTAL_CLIENT_ID, PORTAL_CLIENT_SECRET, Browser

    with Browser(emulator) as browser:
        response = browser.login(email, audience=AUDIENCE, scope="openid email")
    assert response.status_code == 302, response.text[:500]
    code = parse_qs(urlsplit(response.headers["location"]).query)["code"][0]
    tokens = httpx.post(f"{emulator.url}/oauth/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": PORTAL_CALLBACK,
        "client_id": PORTAL_CLIENT_ID, "client_secret": PORTAL_CLIENT_SECRET}, timeout=10).json()
    token = tokens["access_token"]
    return token, jwt.decode(token, options={"verify_signature": False})["sub"]
