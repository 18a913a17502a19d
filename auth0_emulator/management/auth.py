"""Bearer tokens for the Management API: RS256 tokens this tenant issued, with per-endpoint scopes."""

from __future__ import annotations

import time
from typing import Any

import jwt
from starlette.requests import Request

from ..errors import Auth0Error
from .common import tenant_of

# Verified tokens are cached (by token text) until they expire: the portal sends the same token
# thousands of times, and an RSA check per request is wasted work.
_CACHE_SIZE = 512


def _unauthorized(message: str) -> Auth0Error:
    return Auth0Error(401, message, None)


def token_claims(request: Request) -> dict[str, Any]:
    """The verified claims of the request's bearer token, or Auth0's 401."""
    header = request.headers.get("authorization")
    if not header:
        raise _unauthorized("Missing authentication")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("Bad HTTP authentication header format")
    token = token.strip()
    tenant = tenant_of(request)
    cache: dict[str, dict] = tenant.extensions.setdefault("token_cache", {})
    claims = cache.get(token)
    if claims is not None and claims["exp"] > time.time():
        return claims
    try:
        claims = tenant.key.verify(
            token, audience=tenant.config.management_audience, issuer=tenant.config.issuer
        )
    except jwt.ExpiredSignatureError:
        raise _unauthorized("Expired token received for JSON Web Token validation") from None
    except jwt.InvalidSignatureError:
        raise _unauthorized("Invalid signature received for JSON Web Token validation") from None
    except jwt.InvalidTokenError:
        raise _unauthorized("Invalid token") from None
    if len(cache) >= _CACHE_SIZE:
        cache.clear()
    cache[token] = claims
    return claims


def require(request: Request, *scopes: str) -> dict[str, Any]:
    """Authenticate the request and demand any one of ``scopes``; returns the token's claims."""
    claims = token_claims(request)
    request.state.claims = claims
    granted = set(str(claims.get("scope") or "").split())
    if not granted.intersection(scopes):
        raise Auth0Error(
            403, f"Insufficient scope, expected any of: {','.join(scopes)}", "insufficient_scope"
        )
    return claims


def require_all(request: Request, *scopes: str, alternative: str | None = None) -> dict[str, Any]:
    """Authenticate the request and demand every one of ``scopes``, or the single ``alternative`` scope
    that Auth0 accepts in their place (its finer-grained ``*:role_members``); returns the token's claims."""
    claims = token_claims(request)
    request.state.claims = claims
    granted = set(str(claims.get("scope") or "").split())
    if granted.issuperset(scopes) or (alternative is not None and alternative in granted):
        return claims
    raise Auth0Error(403, f"Insufficient scope, expected all of: {','.join(scopes)}", "insufficient_scope")
