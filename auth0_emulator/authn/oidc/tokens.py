"""What goes into the ID tokens, user access tokens and /userinfo answers this tenant issues."""

from __future__ import annotations

from typing import Any

from ...seed import ORG_CLAIM
from ...tenant import Tenant
from ..clients import userinfo_audience

ID_TOKEN_LIFETIME = 36000  # Auth0's default ID token expiration: 10 hours.
USER_ACCESS_TOKEN_LIFETIME = 86400

PROFILE_CLAIMS = (
    "name",
    "family_name",
    "given_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "updated_at",
)
EMAIL_CLAIMS = ("email", "email_verified")
# What an ID token keeps when profile claims are served only by /userinfo (claims_in "userinfo"):
# OIDC Core 2's protocol claims, plus the organization claims Auth0 adds to an Organization login.
PROTOCOL_CLAIMS = ("iss", "sub", "aud", "exp", "iat", "nonce", "auth_time", "org_id", "org_name")


def scope_split(scope: str | None) -> list[str]:
    seen: list[str] = []
    for item in (scope or "").split():
        if item not in seen:
            seen.append(item)
    return seen


def user_claims(user: dict, scopes: list[str]) -> dict[str, Any]:
    """The standard claims of ``user`` released for ``scopes`` (OIDC Core 5.4), plus the namespaced
    organizations claim an Auth0 Action adds to every login of this tenant."""
    claims: dict[str, Any] = {"sub": user["user_id"]}
    if "profile" in scopes:
        claims.update({k: user[k] for k in PROFILE_CLAIMS if user.get(k) is not None})
    if "email" in scopes:
        claims.update({k: user[k] for k in EMAIL_CLAIMS if user.get(k) is not None})
    organizations = (user.get("app_metadata") or {}).get("organizations")
    claims[ORG_CLAIM] = list(organizations) if isinstance(organizations, list) else []
    return claims


def id_token_issue(tenant: Tenant, *, user: dict, grant: dict) -> str:
    """The ID token for a code or refresh grant: with the user's claims for the granted scopes, as
    Auth0 issues it, or only the protocol claims when the tenant plays a provider whose profile
    claims come from /userinfo."""
    scopes = scope_split(grant.get("scope"))
    claims = user_claims(user, scopes)
    claims.update({"iss": tenant.config.issuer, "aud": grant["client_id"], "sid": grant.get("sid")})
    if grant.get("auth_time"):
        claims["auth_time"] = grant["auth_time"]
    if grant.get("nonce"):
        claims["nonce"] = grant["nonce"]
    if grant.get("org_id"):
        claims["org_id"] = grant["org_id"]
        claims["org_name"] = grant.get("org_name")
    claims = {k: v for k, v in claims.items() if v is not None}
    if tenant.config.claims_in == "userinfo":
        claims = {k: v for k, v in claims.items() if k in PROTOCOL_CLAIMS}
    fault = tenant.store.kv_get(ID_TOKEN_FAULT_KEY)
    if fault:
        return _id_token_faulty(tenant, claims, fault)
    return tenant.key.sign(claims, ID_TOKEN_LIFETIME)


# Test control (POST /emulator/authn/settings {"id_token_fault": …}): ID tokens a relying party must
# refuse, so its validation can be tested end to end. Never set unless --test-controls.
ID_TOKEN_FAULT_KEY = "authn_id_token_fault"  # noqa: S105 - a store key, not a secret
ID_TOKEN_FAULTS = ("issuer", "audience", "expired", "algorithm", "unsigned", "signature")


def _id_token_faulty(tenant: Tenant, claims: dict[str, Any], fault: str) -> str:
    import time

    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa

    if fault == "issuer":
        return tenant.key.sign({**claims, "iss": "https://someone-else.example/"}, ID_TOKEN_LIFETIME)
    if fault == "audience":
        return tenant.key.sign({**claims, "aud": "another-application"}, ID_TOKEN_LIFETIME)
    if fault == "expired":
        return tenant.key.sign(claims, -3600)
    now = int(time.time())
    payload = {"iat": now, "exp": now + ID_TOKEN_LIFETIME, **claims}
    headers = {"kid": tenant.key.kid}
    if fault == "algorithm":  # HS256 with a guessable secret, under the tenant's kid
        return jwt.encode(payload, "not-the-tenant-key-but-long-enough-for-hs256", algorithm="HS256", headers=headers)
    if fault == "unsigned":
        return jwt.encode(payload, None, algorithm="none", headers=headers)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # "signature": a stranger's key
    return jwt.encode(payload, other, algorithm="RS256", headers=headers)


def user_access_token_issue(tenant: Tenant, *, user: dict, grant: dict) -> str:
    """An access token for the user: audience /userinfo, plus the API asked for at /authorize."""
    audience: list[str] | str = userinfo_audience(tenant)
    if grant.get("audience"):
        audience = [grant["audience"], userinfo_audience(tenant)]
    extra: dict[str, Any] = {}
    if grant.get("org_id"):
        extra["org_id"] = grant["org_id"]
    if grant.get("sid"):
        extra["sid"] = grant["sid"]
    return tenant.access_token_issue(
        client_id=grant["client_id"],
        audience=audience,  # type: ignore[arg-type]
        scope=grant.get("scope", ""),
        sub=user["user_id"],
        lifetime=USER_ACCESS_TOKEN_LIFETIME,
        extra=extra,
    )
