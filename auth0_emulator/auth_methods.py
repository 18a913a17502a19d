"""A user's authentication methods: enrolled MFA factors (phone, email, TOTP, recovery code), security
keys and passkeys, as ``/api/v2/users/{id}/authentication-methods`` manages them.

One table. Each row is the whole method as stored, secrets included (``totp_secret``); what each
Management API operation shows of it (masked or not, which fields) is decided by
``management.users.authentication_methods``. Rows belong to their user (``ON DELETE CASCADE``, the store
turns foreign keys on): deleting the user deletes its methods in the same statement.

Ids are Auth0's: ``<type>|dev_<16 letters and digits>``. A phone method's sub-methods
(``authentication_methods``: ``sms|dev_…`` or ``voice|dev_…``) share its suffix and are derived from
``preferred_authentication_method`` when shown, never stored.
"""

from __future__ import annotations

import json

from .directory.formats import now_iso, random_id
from .store import register_schema
from .tenant import Tenant

register_schema(
    """
    CREATE TABLE IF NOT EXISTS authentication_methods (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        user_id TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
        type TEXT NOT NULL,
        data TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS authentication_methods_user ON authentication_methods(user_id, seq);
    """
)

# Auth0's AuthenticationMethodTypeEnum: every type a user's list may show.
TYPES = (
    "recovery-code", "totp", "push", "phone", "email", "email-verification", "webauthn-roaming",
    "webauthn-platform", "guardian", "passkey", "password",
)
# What a stored method may hold besides id, type, confirmed and created_at.
FIELDS = (
    "name", "phone_number", "preferred_authentication_method", "email", "totp_secret", "key_id", "public_key",
    "relying_party_identifier", "aaguid", "enrolled_at", "last_auth_at",
)


def method_build(kind: str, *, suffix: str | None = None, created_at: str | None = None, **fields: str) -> dict:
    """A confirmed method of type ``kind`` (not stored). A phone prefers ``sms`` unless told otherwise."""
    unknown = set(fields) - set(FIELDS)
    if kind not in TYPES or unknown:
        raise ValueError(f"not an authentication method: {kind} {sorted(unknown)}")
    method = {
        "id": f"{kind}|{suffix or random_id('dev_')}",
        "type": kind,
        "confirmed": True,
        "created_at": created_at or now_iso(),
    }
    method.update({k: v for k, v in fields.items() if v is not None})
    if kind == "phone":
        method.setdefault("preferred_authentication_method", "sms")
    return method


def methods_list(tenant: Tenant, user_id: str) -> list[dict]:
    """The user's methods, oldest first."""
    rows = tenant.store.all(
        "SELECT data FROM authentication_methods WHERE user_id = ? ORDER BY seq", (user_id,)
    )
    return [json.loads(r["data"]) for r in rows]


def method_get(tenant: Tenant, user_id: str, method_id: str) -> dict | None:
    row = tenant.store.one(
        "SELECT data FROM authentication_methods WHERE user_id = ? AND id = ?", (user_id, method_id)
    )
    return json.loads(row["data"]) if row else None


def method_insert(tenant: Tenant, user_id: str, method: dict) -> dict:
    tenant.store.execute(
        "INSERT INTO authentication_methods(id, user_id, type, data) VALUES (?, ?, ?, ?)",
        (method["id"], user_id, method["type"], json.dumps(method, separators=(",", ":"))),
    )
    return method


def method_save(tenant: Tenant, user_id: str, method: dict) -> dict:
    """Store a changed method in place (its position in the list stays)."""
    tenant.store.execute(
        "UPDATE authentication_methods SET data = ? WHERE user_id = ? AND id = ?",
        (json.dumps(method, separators=(",", ":")), user_id, method["id"]),
    )
    return method


def method_delete(tenant: Tenant, user_id: str, method_id: str) -> bool:
    cur = tenant.store.execute(
        "DELETE FROM authentication_methods WHERE user_id = ? AND id = ?", (user_id, method_id)
    )
    return bool(cur.rowcount)


def methods_delete_all(tenant: Tenant, user_id: str) -> int:
    cur = tenant.store.execute("DELETE FROM authentication_methods WHERE user_id = ?", (user_id,))
    return cur.rowcount


def methods_replace(tenant: Tenant, user_id: str, methods: list[dict]) -> list[dict]:
    """Delete every method of the user and store ``methods`` instead, in one transaction."""
    with tenant.store.transaction():
        methods_delete_all(tenant, user_id)
        for method in methods:
            method_insert(tenant, user_id, method)
    return methods
