"""Authorization codes and refresh tokens, stored hashed.

A code is single use and short lived; redeeming it twice is refused and, as RFC 6749 section 4.1.2
recommends, revokes the refresh token the first redemption produced.
"""

from __future__ import annotations

import json
import secrets
import time

from ...store import register_schema
from ...tenant import Tenant
from ..sessions import secret_hash

register_schema(
    """
    CREATE TABLE IF NOT EXISTS authn_codes (
        code_hash TEXT PRIMARY KEY,
        data TEXT NOT NULL,
        expires_at REAL NOT NULL,
        used_at REAL
    );
    CREATE TABLE IF NOT EXISTS authn_refresh_tokens (
        token_hash TEXT PRIMARY KEY,
        code_hash TEXT,
        data TEXT NOT NULL,
        created_at REAL NOT NULL,
        revoked_at REAL
    );
    """
)


def code_create(tenant: Tenant, grant: dict, lifetime: int) -> str:
    """Store ``grant`` (client, user, redirect_uri, PKCE challenge, nonce, …) behind a new code."""
    code = secrets.token_urlsafe(24)
    now = time.time()
    with tenant.store.transaction():
        # Keep the table small: codes are worthless a while after they expire.
        tenant.store.execute("DELETE FROM authn_codes WHERE expires_at < ?", (now - 3600,))
        tenant.store.execute(
            "INSERT INTO authn_codes(code_hash, data, expires_at) VALUES (?, ?, ?)",
            (secret_hash(code), json.dumps(grant), now + lifetime),
        )
    return code


def code_redeem(tenant: Tenant, code: str) -> tuple[dict | None, str]:
    """Mark ``code`` used and return its grant; ``(None, reason)`` if unknown, expired or reused."""
    code_hash = secret_hash(code)
    with tenant.store.transaction():
        row = tenant.store.one("SELECT data, expires_at, used_at FROM authn_codes WHERE code_hash = ?", (code_hash,))
        if row is None:
            return None, "unknown"
        if row["used_at"] is not None:
            tenant.store.execute(
                "UPDATE authn_refresh_tokens SET revoked_at = ? WHERE code_hash = ? AND revoked_at IS NULL",
                (time.time(), code_hash),
            )
            return None, "reused"
        tenant.store.execute("UPDATE authn_codes SET used_at = ? WHERE code_hash = ?", (time.time(), code_hash))
        if row["expires_at"] < time.time():
            return None, "expired"
        grant = json.loads(row["data"])
    grant["code_hash"] = code_hash
    return grant, "ok"


def refresh_token_create(tenant: Tenant, grant: dict, code_hash: str | None = None) -> str:
    token = secrets.token_urlsafe(36)
    tenant.store.execute(
        "INSERT INTO authn_refresh_tokens(token_hash, code_hash, data, created_at) VALUES (?, ?, ?, ?)",
        (secret_hash(token), code_hash, json.dumps(grant), time.time()),
    )
    return token


def refresh_token_get(tenant: Tenant, token: str) -> dict | None:
    row = tenant.store.one(
        "SELECT data FROM authn_refresh_tokens WHERE token_hash = ? AND revoked_at IS NULL",
        (secret_hash(token),),
    )
    return json.loads(row["data"]) if row else None


def refresh_token_revoke(tenant: Tenant, token: str, client_id: str) -> None:
    grant = refresh_token_get(tenant, token)
    if grant and grant.get("client_id") == client_id:
        tenant.store.execute(
            "UPDATE authn_refresh_tokens SET revoked_at = ? WHERE token_hash = ?",
            (time.time(), secret_hash(token)),
        )


def refresh_tokens_of_user(tenant: Tenant, user_id: str) -> list[dict]:
    """The user's refresh tokens that still work, oldest first: each its grant (client, scope, audience,
    session) with ``id`` (public: the start of the stored hash, never the token) and ``created_at``."""
    rows = tenant.store.all(
        "SELECT token_hash, data, created_at FROM authn_refresh_tokens "
        "WHERE revoked_at IS NULL AND json_extract(data, '$.user_id') = ? ORDER BY created_at, token_hash",
        (user_id,),
    )
    return [{**json.loads(r["data"]), "id": refresh_token_public_id(r["token_hash"]), "created_at": r["created_at"]}
            for r in rows]


def refresh_token_public_id(token_hash: str) -> str:
    return "rt_" + token_hash[:24]


def refresh_tokens_revoke_for_user(tenant: Tenant, user_id: str) -> int:
    """Revoke every refresh token of the user (the Management API's ``DELETE /users/{id}/refresh-tokens``);
    returns how many were revoked."""
    cur = tenant.store.execute(
        "UPDATE authn_refresh_tokens SET revoked_at = ? "
        "WHERE revoked_at IS NULL AND json_extract(data, '$.user_id') = ?",
        (time.time(), user_id),
    )
    return cur.rowcount


AUTHORIZATION_CODE_LIFETIME = 60  # seconds; Auth0's codes live about a minute.


def code_lifetime(tenant: Tenant) -> int:
    """Seconds a new code stays valid; tests shorten it through ``POST /emulator/authn/settings``."""
    return int(tenant.store.kv_get("authn_code_lifetime", AUTHORIZATION_CODE_LIFETIME))
