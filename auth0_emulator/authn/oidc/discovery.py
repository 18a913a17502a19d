"""OpenID Connect discovery and the tenant's JWKS."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from ...config import EmulatorConfig
from ..params import tenant_of

# Auth0 publishes more (implicit and hybrid response types, HS256, device flow, MFA, …); the emulator
# lists what it implements, so a client that reads this document never picks something that fails.
SCOPES_SUPPORTED = [
    "openid",
    "profile",
    "offline_access",
    "name",
    "given_name",
    "family_name",
    "nickname",
    "email",
    "email_verified",
    "picture",
    "created_at",
    "identities",
    "phone",
    "address",
]
CLAIMS_SUPPORTED = [
    "aud",
    "auth_time",
    "created_at",
    "email",
    "email_verified",
    "exp",
    "family_name",
    "given_name",
    "iat",
    "identities",
    "iss",
    "name",
    "nickname",
    "phone_number",
    "picture",
    "sub",
]


def token_auth_methods(config: EmulatorConfig) -> list[str]:
    """What the token endpoint accepts: both secret methods and PKCE-only public clients (Auth0), or
    the one method a plain provider was set to."""
    accepted = config.token_auth_method
    return ["client_secret_basic", "client_secret_post", "none"] if accepted == "any" else [accepted]


def openid_configuration(config: EmulatorConfig) -> dict:
    issuer = config.issuer
    base = issuer.rstrip("/")
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{base}/authorize",
        "token_endpoint": f"{base}/oauth/token",
        "userinfo_endpoint": f"{base}/userinfo",
        "jwks_uri": f"{base}/.well-known/jwks.json",
        "revocation_endpoint": f"{base}/oauth/revoke",
        "end_session_endpoint": f"{base}{config.end_session_path}",
        "scopes_supported": SCOPES_SUPPORTED,
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256", "plain"],
        "response_modes_supported": ["query"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": token_auth_methods(config),
        "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
        "claims_supported": CLAIMS_SUPPORTED,
        "request_uri_parameter_supported": False,
        "request_parameter_supported": False,
        "claims_parameter_supported": False,
        "frontchannel_logout_supported": False,
        "backchannel_logout_supported": False,
    }


async def openid_configuration_get(request: Request) -> JSONResponse:
    tenant = tenant_of(request)
    return JSONResponse(openid_configuration(tenant.config), headers={"Cache-Control": "public, max-age=15"})


async def jwks_get(request: Request) -> JSONResponse:
    return JSONResponse(tenant_of(request).key.jwks(), headers={"Cache-Control": "public, max-age=15"})
