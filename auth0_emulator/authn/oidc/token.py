"""``POST /oauth/token`` (authorization_code with PKCE, client_credentials, refresh_token) and
``POST /oauth/revoke``, answering errors as Auth0's Authentication API does."""

from __future__ import annotations

import base64
import hashlib
import hmac

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ...directory.logs import log_event_record
from ...directory.users import user_get
from ...tenant import ACCESS_TOKEN_LIFETIME, Tenant
from ..clients import client_authenticate, client_grant_type_check, resource_servers
from ..errors import OAuthError, invalid_request, json_endpoint
from ..params import body_params, client_ip, tenant_of
from .codes import code_redeem, refresh_token_create, refresh_token_get, refresh_token_revoke
from .tokens import USER_ACCESS_TOKEN_LIFETIME, id_token_issue, scope_split, user_access_token_issue

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _required(params: dict[str, str], *names: str) -> None:
    for name in names:
        if not params.get(name):
            raise invalid_request(f"Missing required parameter: {name}")


def pkce_verify(challenge: str, method: str, verifier: str) -> bool:
    if method == "S256":
        digest = hashlib.sha256(verifier.encode()).digest()
        computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    else:
        computed = verifier
    return hmac.compare_digest(computed.encode(), challenge.encode())


def client_credentials_grant(tenant: Tenant, client: dict, params: dict[str, str]) -> dict:
    client_grant_type_check(client, "client_credentials")
    audience = params.get("audience")
    if not audience:
        # Auth0 falls back to the tenant's default audience; this tenant has none configured.
        raise OAuthError(
            403,
            "access_denied",
            "No audience parameter was provided, and no default audience has been configured",
        )
    if audience not in resource_servers(tenant):
        raise OAuthError(403, "access_denied", f"Service not found: {audience}")
    granted = (client.get("grants") or {}).get(audience)
    if granted is None:
        raise OAuthError(
            403,
            "access_denied",
            f'Client is not authorized to access "{audience}". You need to create a "client-grant" '
            "associated to this API. See: https://auth0.com/docs/api/v2#!/Client_Grants/post_client_grants",
        )
    requested = scope_split(params.get("scope"))
    if requested:
        missing = [s for s in requested if s not in granted]
        if missing:
            raise OAuthError(403, "access_denied", f"Client has not been granted scopes: {', '.join(missing)}")
        scopes = requested
    else:
        scopes = list(granted)
    scope = " ".join(scopes)
    token = tenant.access_token_issue(client_id=client["client_id"], audience=audience, scope=scope)
    log_event_record(
        tenant,
        type="seccft",
        description="Client Credentials for Access Token",
        client_id=client["client_id"],
        client_name=client.get("name"),
        details={"audience": audience},
    )
    return {
        "access_token": token,
        "scope": scope,
        "expires_in": ACCESS_TOKEN_LIFETIME,
        "token_type": "Bearer",
    }


def _user_tokens(tenant: Tenant, grant: dict, user: dict) -> dict:
    scopes = scope_split(grant.get("scope"))
    body: dict = {
        "access_token": user_access_token_issue(tenant, user=user, grant=grant),
        "expires_in": USER_ACCESS_TOKEN_LIFETIME,
        "token_type": "Bearer",
        "scope": grant.get("scope", ""),
    }
    if "openid" in scopes:
        body["id_token"] = id_token_issue(tenant, user=user, grant=grant)
    return body


def _grant_user(tenant: Tenant, grant: dict) -> dict:
    user = user_get(tenant, grant["user_id"])
    if user is None:
        raise OAuthError(403, "invalid_grant", "Invalid authorization code")
    if user.get("blocked"):
        raise OAuthError(401, "unauthorized", "user is blocked")
    return user


def authorization_code_grant(tenant: Tenant, request: Request, client: dict, params: dict[str, str]) -> dict:
    _required(params, "code")
    grant, outcome = code_redeem(tenant, params["code"])
    # Unknown, expired, reused, or issued to another application: Auth0 says the same for all,
    # and its log tells them apart.
    if grant is None or grant["client_id"] != client["client_id"]:
        log_event_record(
            tenant,
            type="feacft",
            description="Invalid authorization code",
            user_id=grant["user_id"] if grant else None,
            client_id=client["client_id"],
            client_name=client.get("name"),
            ip=client_ip(request),
            details={"reason": outcome if grant is None else "issued to another client"},
        )
        raise OAuthError(403, "invalid_grant", "Invalid authorization code")
    if grant.get("redirect_uri") and params.get("redirect_uri") != grant["redirect_uri"]:
        raise OAuthError(
            403,
            "invalid_grant",
            "The redirect_uri MUST match the registered callback URL for this application.",
        )
    if grant.get("code_challenge"):
        verifier = params.get("code_verifier")
        if not verifier or not pkce_verify(grant["code_challenge"], grant["code_challenge_method"], verifier):
            raise OAuthError(403, "invalid_grant", "Failed to verify code verifier")
    elif params.get("code_verifier") or client.get("token_endpoint_auth_method") == "none":
        # A verifier without a challenge, or a public client that skipped PKCE.
        raise OAuthError(403, "invalid_grant", "Failed to verify code verifier")
    user = _grant_user(tenant, grant)
    body = _user_tokens(tenant, grant, user)
    if "offline_access" in scope_split(grant.get("scope")) and "refresh_token" in client.get("grant_types", []):
        body["refresh_token"] = refresh_token_create(tenant, grant, grant.get("code_hash"))
    log_event_record(
        tenant,
        type="seacft",
        description="Authorization Code for Access Token",
        user_id=user["user_id"],
        user_name=user.get("email"),
        client_id=client["client_id"],
        client_name=client.get("name"),
        ip=client_ip(request),
    )
    return body


def refresh_token_grant(tenant: Tenant, client: dict, request: Request, params: dict[str, str]) -> dict:
    _required(params, "refresh_token")
    client_grant_type_check(client, "refresh_token")
    grant = refresh_token_get(tenant, params["refresh_token"])
    if grant is None or grant.get("client_id") != client["client_id"]:
        raise OAuthError(403, "invalid_grant", "Unknown or invalid refresh token.")
    requested = scope_split(params.get("scope"))
    if requested:
        extra = [s for s in requested if s not in scope_split(grant.get("scope"))]
        if extra:
            raise OAuthError(403, "access_denied", "Scope must be a subset of the original scope")
        grant = {**grant, "scope": " ".join(requested)}
    user = _grant_user(tenant, grant)
    grant = {k: v for k, v in grant.items() if k != "nonce"}  # nonce belongs to the first ID token only
    body = _user_tokens(tenant, grant, user)
    log_event_record(
        tenant,
        type="sertft",
        description="Refresh Token for Access Token",
        user_id=user["user_id"],
        user_name=user.get("email"),
        client_id=client["client_id"],
        client_name=client.get("name"),
        ip=client_ip(request),
    )
    return body


@json_endpoint
async def token_post(request: Request) -> Response:
    tenant = tenant_of(request)
    params = await body_params(request)
    grant_type = params.get("grant_type")
    if not grant_type:
        raise invalid_request("Missing required parameter: grant_type")
    if grant_type == "client_credentials":
        client = client_authenticate(request, tenant, params)
        body = client_credentials_grant(tenant, client, params)
    elif grant_type == "authorization_code":
        client = client_authenticate(request, tenant, params, secret_required=False)
        client_grant_type_check(client, "authorization_code")
        body = authorization_code_grant(tenant, request, client, params)
    elif grant_type == "refresh_token":
        client = client_authenticate(request, tenant, params, secret_required=False)
        body = refresh_token_grant(tenant, client, request, params)
    else:
        raise OAuthError(400, "unsupported_grant_type", f"Unsupported grant type: {grant_type}")
    return JSONResponse(body, headers=NO_STORE)


@json_endpoint
async def revoke_post(request: Request) -> Response:
    tenant = tenant_of(request)
    params = await body_params(request)
    client = client_authenticate(request, tenant, params, secret_required=False)
    _required(params, "token")
    refresh_token_revoke(tenant, params["token"], client["client_id"])
    return Response(status_code=200)
