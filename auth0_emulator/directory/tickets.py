"""Single-use tickets (password change, email verification, invitation) and the URLs that carry them."""

from __future__ import annotations

import json
import secrets
import time

from ..tenant import Tenant

DEFAULT_TICKET_TTL = 432000  # 5 days, Auth0's default for password-change tickets

_TICKET_PATHS = {
    "password_change": "/u/reset-password",
    "email_verification": "/u/email-verification",
    "invitation": "/u/invitation",
}


def ticket_create(
    tenant: Tenant,
    *,
    kind: str,
    user_id: str,
    result_url: str | None = None,
    ttl_sec: int = 0,
    mark_email_as_verified: bool = False,
    include_email_in_redirect: bool = False,
    client_id: str | None = None,
    organization_id: str | None = None,
) -> str:
    """Store a single-use ticket and return its absolute URL."""
    if kind not in _TICKET_PATHS:
        raise ValueError(f"unknown ticket kind {kind!r}")
    ticket_id = secrets.token_urlsafe(24)
    ttl = ttl_sec if ttl_sec and ttl_sec > 0 else DEFAULT_TICKET_TTL
    data = {
        "result_url": result_url,
        "mark_email_as_verified": bool(mark_email_as_verified),
        "include_email_in_redirect": bool(include_email_in_redirect),
        "client_id": client_id,
        "organization_id": organization_id,
    }
    tenant.store.execute(
        "INSERT INTO tickets(id, kind, user_id, expires_at, used_at, data) VALUES (?, ?, ?, ?, NULL, ?)",
        (ticket_id, kind, user_id, time.time() + ttl, json.dumps(data)),
    )
    return f"{tenant.config.public_url.rstrip('/')}{_TICKET_PATHS[kind]}?ticket={ticket_id}"


def ticket_get(tenant: Tenant, ticket_id: str) -> dict | None:
    row = tenant.store.one("SELECT * FROM tickets WHERE id = ?", (ticket_id,))
    if row is None:
        return None
    return {
        "id": row["id"],
        "kind": row["kind"],
        "user_id": row["user_id"],
        "expires_at": row["expires_at"],
        "used_at": row["used_at"],
        **json.loads(row["data"]),
    }


def ticket_consume(tenant: Tenant, ticket_id: str) -> None:
    tenant.store.execute(
        "UPDATE tickets SET used_at = ? WHERE id = ? AND used_at IS NULL", (time.time(), ticket_id)
    )
