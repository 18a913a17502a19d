"""``GET|POST /userinfo``: the user's standard claims for a bearer access token."""

from __future__ import annotations

import jwt
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ...directory.users import user_get
from ..clients import userinfo_audience
from ..errors import OAuthError, json_endpoint
from ..params import tenant_of
from .tokens import scope_split, user_claims


def _unauthorized(description: str) -> OAuthError:
    # RFC 6750 3.1: a bad token is a 401 with a WWW-Authenticate challenge.
    return OAuthError(
        401,
        "invalid_token",
        description,
        headers={
            "WWW-Authenticate": (f'Bearer realm="Auth0", error="invalid_token", error_description="{description}"'),
        },
    )


@json_endpoint
async def userinfo(request: Request) -> Response:
    tenant = tenant_of(request)
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("Missing access token")
    try:
        claims = tenant.key.verify(token.strip(), audience=userinfo_audience(tenant), issuer=tenant.config.issuer)
    except jwt.InvalidTokenError:
        raise _unauthorized("Invalid token") from None
    scopes = scope_split(claims.get("scope"))
    if "openid" not in scopes:
        raise _unauthorized("Access token was not issued for the openid scope")
    user = user_get(tenant, str(claims.get("sub", "")))
    if user is None:
        raise _unauthorized("The user of this token no longer exists")
    if user.get("blocked"):
        raise OAuthError(401, "unauthorized", "user is blocked")
    return JSONResponse(user_claims(user, scopes), headers={"Cache-Control": "no-store"})
