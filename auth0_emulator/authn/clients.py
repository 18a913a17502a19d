"""Applications (clients) as the Authentication API sees them: lookup, authentication, APIs, URLs."""

from __future__ import annotations

import base64
import hmac
from urllib.parse import unquote

from starlette.requests import Request

from ..tenant import Tenant
from .errors import OAuthError, invalid_request


def client_get(tenant: Tenant, client_id: str | None) -> dict | None:
    if not client_id:
        return None
    return tenant.store.client_get(client_id)


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        raise invalid_request("Invalid Authorization header") from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise invalid_request("Invalid Authorization header")
    # RFC 6749 2.3.1: both parts are form-urlencoded before being joined.
    return unquote(client_id.replace("+", " ")), unquote(secret.replace("+", " "))


def client_authenticate(
    request: Request, tenant: Tenant, params: dict[str, str], *, secret_required: bool = True
) -> dict:
    """The client calling the token endpoint, authenticated by ``client_secret_basic`` or
    ``client_secret_post`` (whichever the tenant accepts). Auth0 answers a bad or unknown client with
    a bare 401 Unauthorized."""
    basic = _basic_credentials(request)
    if basic:
        client_id, secret = basic
        if params.get("client_id") and params["client_id"] != client_id:
            raise invalid_request("client_id in body and Authorization header do not match")
        auth_method_check(tenant, "client_secret_basic")
    else:
        client_id, secret = params.get("client_id", ""), params.get("client_secret")
        auth_method_check(tenant, "none" if secret is None else "client_secret_post")
    if not client_id:
        raise invalid_request("Missing required parameter: client_id")
    client = client_get(tenant, client_id)
    if client is None:
        raise OAuthError(401, "access_denied", "Unauthorized")
    if secret is None:
        # Public clients (token_endpoint_auth_method "none") prove themselves with PKCE instead.
        if secret_required or client.get("token_endpoint_auth_method") != "none":
            raise OAuthError(401, "access_denied", "Unauthorized")
        return client
    if not hmac.compare_digest(secret.encode(), str(client.get("client_secret", "")).encode()):
        raise OAuthError(401, "access_denied", "Unauthorized")
    return client


def auth_method_check(tenant: Tenant, method: str) -> None:
    """Refuse a client authentication method the tenant does not accept (a plain OpenID provider
    takes one; Auth0 takes either secret method and PKCE-only public clients), with the 401
    ``invalid_client`` of RFC 6749 section 5.2."""
    accepted = tenant.config.token_auth_method
    if accepted == "any" or method == accepted:
        return
    headers = None
    if accepted == "client_secret_basic":  # RFC 7617: tell the client which scheme to use
        headers = {"WWW-Authenticate": f'Basic realm="{tenant.config.issuer}"'}
    raise OAuthError(
        401,
        "invalid_client",
        f"Client authentication method {method} is not allowed: this token endpoint accepts only {accepted}.",
        headers=headers,
    )


def client_grant_type_check(client: dict, grant_type: str) -> None:
    if grant_type not in client.get("grant_types", []):
        raise OAuthError(
            403,
            "unauthorized_client",
            f"Grant type '{grant_type}' not allowed for the client.",
        )


def resource_servers(tenant: Tenant) -> set[str]:
    """The tenant's APIs (audiences): Management API, portal API, any API a client has a grant for."""
    audiences = {tenant.config.management_audience, tenant.config.portal_api_audience}
    for client in tenant.store.client_list():
        audiences.update((client.get("grants") or {}).keys())
    return audiences


def userinfo_audience(tenant: Tenant) -> str:
    return tenant.config.issuer + "userinfo"


def url_allowed(url: str, allowed: list[str]) -> bool:
    """Exact match, as Auth0 compares callback and logout URLs (no wildcard is configured here)."""
    return url in (allowed or [])
