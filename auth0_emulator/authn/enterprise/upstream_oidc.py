"""The emulator as the relying party of an ``oidc`` connection's provider: the authorization-code flow against the
provider's discovery document, its ID token verified (RS256 against its JWKS, issuer, audience = the connection's
client_id, expiry, the nonce this transaction sent)."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

import jwt

from ...tenant import Tenant

TIMEOUT = 10


class OidcRefused(Exception):
    """The provider's answer is not valid for this connection."""


def _get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=TIMEOUT) as answer:  # noqa: S310 - the connection's own https URL
        return json.load(answer)


def discovery(connection: dict) -> dict:
    options = connection.get("options") or {}
    url = options.get("discovery_url") or f"{options.get('issuer', '').rstrip('/')}/.well-known/openid-configuration"
    return _get_json(url)


def redirect_uri(tenant: Tenant) -> str:
    return f"{tenant.config.public_url.rstrip('/')}/login/callback"


def authorization_url(tenant: Tenant, connection: dict, *, state: str, nonce: str, login_hint: str | None) -> str:
    options = connection.get("options") or {}
    query = {"response_type": "code", "client_id": options.get("client_id", ""), "redirect_uri": redirect_uri(tenant),
             "scope": options.get("scope") or "openid profile email", "state": state, "nonce": nonce}
    if login_hint:
        query["login_hint"] = login_hint
    return f"{discovery(connection)['authorization_endpoint']}?{urllib.parse.urlencode(query)}"


def code_identity(tenant: Tenant, connection: dict, *, code: str, nonce: str) -> dict:
    """Exchange the code and verify the ID token; the person's ``sub``, ``email`` and names."""
    options = connection.get("options") or {}
    config = discovery(connection)
    body = urllib.parse.urlencode({
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri(tenant),
        "client_id": options.get("client_id", ""), "client_secret": options.get("client_secret", "")}).encode()
    try:
        request = urllib.request.Request(config["token_endpoint"], data=body, method="POST")  # noqa: S310
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:  # noqa: S310
            tokens = json.load(answer)
        signing_key = jwt.PyJWKClient(config["jwks_uri"]).get_signing_key_from_jwt(tokens["id_token"])
        claims = jwt.decode(tokens["id_token"], signing_key.key, algorithms=["RS256"], issuer=config["issuer"],
                            audience=options.get("client_id"), options={"require": ["iss", "sub", "aud", "exp"]})
    except (OSError, KeyError, ValueError, jwt.PyJWTError) as exc:
        raise OidcRefused(f"{type(exc).__name__}: {exc}") from None
    if claims.get("nonce") != nonce:
        raise OidcRefused("The ID token was not issued for this sign-in (nonce).")
    return {"sub": str(claims["sub"]), "email": claims.get("email"), "given_name": claims.get("given_name"),
            "family_name": claims.get("family_name")}
