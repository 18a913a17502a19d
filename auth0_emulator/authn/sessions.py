"""Login transactions (one per /authorize that shows the login page) and the emulator's SSO sessions.

A transaction keeps the validated /authorize request server side, so the login form only carries an
opaque ``state`` and a CSRF token, both bound to the browser through a cookie. A session is what the
``auth0`` cookie points to: while it lasts, /authorize without ``prompt=login`` logs in silently.
Cookie values are stored hashed; the session's ``sid`` (put in ID tokens) is a separate public id.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time

from ..store import register_schema
from ..tenant import Tenant

TRANSACTION_LIFETIME = 3600
SESSION_LIFETIME = 7 * 86400  # Auth0's default inactivity timeout is 3 days, absolute 7 days.
SESSION_COOKIE = "auth0"
BROWSER_COOKIE = "auth0_emulator_browser"

register_schema(
    """
    CREATE TABLE IF NOT EXISTS authn_transactions (
        id TEXT PRIMARY KEY,
        params TEXT NOT NULL,
        csrf TEXT NOT NULL,
        browser_hash TEXT NOT NULL,
        created_at REAL NOT NULL,
        expires_at REAL NOT NULL
    );
    CREATE TABLE IF NOT EXISTS authn_sessions (
        cookie_hash TEXT PRIMARY KEY,
        sid TEXT NOT NULL UNIQUE,
        user_id TEXT NOT NULL,
        connection TEXT,
        auth_time INTEGER NOT NULL,
        created_at REAL NOT NULL,
        expires_at REAL NOT NULL,
        ended_at REAL
    );
    CREATE INDEX IF NOT EXISTS authn_sessions_user ON authn_sessions(user_id);
    -- What the Management API shows of a session (its application and device), in a table of its own so
    -- that data files made before it keep working.
    CREATE TABLE IF NOT EXISTS authn_session_details (
        sid TEXT PRIMARY KEY,
        client_id TEXT,
        ip TEXT,
        user_agent TEXT
    );
    """
)


def secret_hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def transaction_create(tenant: Tenant, params: dict, browser: str) -> dict:
    now = time.time()
    txn = {"id": secrets.token_urlsafe(24), "params": params, "csrf": secrets.token_urlsafe(24)}
    with tenant.store.transaction():
        tenant.store.execute("DELETE FROM authn_transactions WHERE expires_at < ?", (now,))
        tenant.store.execute(
            "INSERT INTO authn_transactions(id, params, csrf, browser_hash, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                txn["id"],
                json.dumps(params),
                txn["csrf"],
                secret_hash(browser),
                now,
                now + TRANSACTION_LIFETIME,
            ),
        )
    return txn


def transaction_get(tenant: Tenant, txn_id: str, browser: str | None) -> dict | None:
    """The live transaction ``txn_id`` started by this browser, or None."""
    if not txn_id or not browser:
        return None
    row = tenant.store.one(
        "SELECT * FROM authn_transactions WHERE id = ? AND browser_hash = ? AND expires_at >= ?",
        (txn_id, secret_hash(browser), time.time()),
    )
    if row is None:
        return None
    return {"id": row["id"], "params": json.loads(row["params"]), "csrf": row["csrf"]}


def transaction_delete(tenant: Tenant, txn_id: str) -> None:
    tenant.store.execute("DELETE FROM authn_transactions WHERE id = ?", (txn_id,))


def session_create(
    tenant: Tenant, *, user_id: str, connection: str | None, client_id: str | None = None, ip: str | None = None,
    user_agent: str | None = None,
) -> tuple[str, dict]:
    """A new SSO session; returns the cookie value (shown once) and the session. ``client_id``, ``ip`` and
    ``user_agent`` (the application signed in to and the browser) are what the Management API's view of the
    user's sessions shows."""
    cookie = secrets.token_urlsafe(32)
    now = time.time()
    session = {
        "sid": secrets.token_urlsafe(24),
        "user_id": user_id,
        "connection": connection,
        "auth_time": int(now),
    }
    tenant.store.execute(
        "INSERT INTO authn_sessions"
        "(cookie_hash, sid, user_id, connection, auth_time, created_at, expires_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            secret_hash(cookie),
            session["sid"],
            user_id,
            connection,
            session["auth_time"],
            now,
            now + SESSION_LIFETIME,
        ),
    )
    tenant.store.execute(
        "INSERT INTO authn_session_details(sid, client_id, ip, user_agent) VALUES (?, ?, ?, ?)",
        (session["sid"], client_id, ip, user_agent),
    )
    return cookie, session


def session_get(tenant: Tenant, cookie: str | None) -> dict | None:
    if not cookie:
        return None
    row = tenant.store.one(
        "SELECT sid, user_id, connection, auth_time FROM authn_sessions "
        "WHERE cookie_hash = ? AND ended_at IS NULL AND expires_at >= ?",
        (secret_hash(cookie), time.time()),
    )
    return dict(row) if row else None


def session_end(tenant: Tenant, *, cookie: str | None = None, sid: str | None = None) -> None:
    now = time.time()
    if cookie:
        tenant.store.execute(
            "UPDATE authn_sessions SET ended_at = ? WHERE cookie_hash = ? AND ended_at IS NULL",
            (now, secret_hash(cookie)),
        )
    if sid:
        tenant.store.execute("UPDATE authn_sessions SET ended_at = ? WHERE sid = ? AND ended_at IS NULL", (now, sid))


def sessions_of_user(tenant: Tenant, user_id: str) -> list[dict]:
    """The user's live sessions (not ended, not expired), oldest first, with their details."""
    rows = tenant.store.all(
        "SELECT s.sid, s.user_id, s.auth_time, s.created_at, s.expires_at, d.client_id, d.ip, d.user_agent "
        "FROM authn_sessions s LEFT JOIN authn_session_details d ON d.sid = s.sid "
        "WHERE s.user_id = ? AND s.ended_at IS NULL AND s.expires_at >= ? ORDER BY s.created_at, s.sid",
        (user_id, time.time()),
    )
    return [dict(r) for r in rows]


def sessions_end_for_user(tenant: Tenant, user_id: str) -> int:
    """End every live session of the user (the Management API's ``DELETE /users/{id}/sessions``): their
    browsers must sign in again. Returns how many were ended."""
    cur = tenant.store.execute(
        "UPDATE authn_sessions SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL", (time.time(), user_id)
    )
    return cur.rowcount


def page_token(tenant: Tenant, purpose: str) -> str:
    """A CSRF token for a page that has no transaction (the ticket pages): an HMAC of ``purpose``
    under a secret kept in the store."""
    secret = tenant.store.kv_get("authn_page_secret")
    if secret is None:
        secret = secrets.token_hex(32)
        tenant.store.kv_set("authn_page_secret", secret)
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).hexdigest()
