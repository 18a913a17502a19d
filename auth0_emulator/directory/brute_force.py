"""Brute-force protection: failed logins counted per identifier and IP, and the blocks they lead to
(what ``/api/v2/user-blocks`` reads and clears; not a user's ``blocked`` flag)."""

from __future__ import annotations

import time

from ..tenant import Tenant

# Auth0 blocks an identifier after this many consecutive failed logins from one IP.
BRUTE_FORCE_THRESHOLD = 10


def login_failure_record(tenant: Tenant, *, identifier: str, ip: str, connection: str | None) -> bool:
    """Count one failed login; True when this failure is the one that blocks the identifier."""
    identifier = identifier.lower()
    with tenant.store.transaction():
        row = tenant.store.one(
            "SELECT failures, blocked FROM login_failures WHERE identifier = ? AND ip = ?", (identifier, ip)
        )
        failures = (row["failures"] if row else 0) + 1
        was_blocked = bool(row and row["blocked"])
        blocked = was_blocked or failures >= BRUTE_FORCE_THRESHOLD
        tenant.store.execute(
            "INSERT INTO login_failures(identifier, ip, connection, failures, blocked, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(identifier, ip) DO UPDATE SET "
            "failures = excluded.failures, blocked = excluded.blocked, updated_at = excluded.updated_at, "
            "connection = COALESCE(excluded.connection, login_failures.connection)",
            (identifier, ip, connection, failures, int(blocked), time.time()),
        )
    return blocked and not was_blocked


def login_blocked(tenant: Tenant, *, identifier: str, ip: str) -> bool:
    return (
        tenant.store.one(
            "SELECT 1 FROM login_failures WHERE identifier = ? AND ip = ? AND blocked = 1",
            (identifier.lower(), ip),
        )
        is not None
    )


def login_failures_clear(tenant: Tenant, *, identifier: str, ip: str | None = None) -> None:
    """Forget failures (after a successful login, or all IPs when an admin unblocks)."""
    if ip is None:
        tenant.store.execute("DELETE FROM login_failures WHERE identifier = ?", (identifier.lower(),))
    else:
        tenant.store.execute(
            "DELETE FROM login_failures WHERE identifier = ? AND ip = ?", (identifier.lower(), ip)
        )


def login_blocks_list(tenant: Tenant, identifiers: list[str]) -> list[dict]:
    """``blocked_for`` entries of ``GET /user-blocks``: every blocked (identifier, ip)."""
    keys = [i.lower() for i in identifiers if i]
    if not keys:
        return []
    marks = ",".join("?" * len(keys))
    rows = tenant.store.all(
        "SELECT identifier, ip, connection FROM login_failures "  # noqa: S608 - placeholders only
        f"WHERE blocked = 1 AND identifier IN ({marks}) ORDER BY identifier, ip",
        tuple(keys),
    )
    return [{"identifier": r["identifier"], "ip": r["ip"], "connection": r["connection"] or ""} for r in rows]


def user_identifiers(user: dict) -> list[str]:
    """What a user can type at the login prompt: email and username."""
    return [v for v in (user.get("email"), user.get("username")) if v]
