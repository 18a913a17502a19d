"""The tenant's directory: users, connections, organizations, logs, tickets, blocks, jobs and outbox.

This is the data layer both halves of the emulator share (the Authentication API and the Management
API). Every write to a user goes through here so that the in-memory search index (owned by
``management.search``) hears about it: the index registers itself in ``tenant.extensions`` under
``"users_index"`` and gets ``touch(user_id)`` after each change. Changes are announced the same way
to whatever pushes them to receivers (``delivery``): ``"events_publish"`` gets ``(event type, object)``
for ``user.created|updated|deleted`` and ``organization.member.added|deleted``, in the transaction of
the change, and ``"logs_appended"`` is called after each log event. Functions return Auth0-shaped JSON
(plain dicts) and raise ``Auth0Error`` where Auth0 would answer with an error.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from datetime import UTC, datetime
from typing import Any

from ..errors import Auth0Error
from ..store import register_schema
from ..tenant import Tenant

register_schema(
    """
    CREATE TABLE IF NOT EXISTS connections (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        strategy TEXT NOT NULL,
        data TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS users (
        user_id TEXT PRIMARY KEY,
        connection TEXT NOT NULL,
        email_lower TEXT,
        username_lower TEXT,
        password_hash TEXT,
        data TEXT NOT NULL
    );
    CREATE UNIQUE INDEX IF NOT EXISTS users_connection_email ON users(connection, email_lower);
    CREATE UNIQUE INDEX IF NOT EXISTS users_connection_username ON users(connection, username_lower);
    CREATE INDEX IF NOT EXISTS users_email ON users(email_lower);
    CREATE TABLE IF NOT EXISTS organizations (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        data TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS organization_members (
        org_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        user_id TEXT NOT NULL REFERENCES users(user_id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        PRIMARY KEY (org_id, user_id)
    );
    CREATE INDEX IF NOT EXISTS organization_members_user ON organization_members(user_id);
    CREATE TABLE IF NOT EXISTS organization_connections (
        org_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        connection_id TEXT NOT NULL REFERENCES connections(id) ON DELETE CASCADE,
        assign_membership_on_login INTEGER NOT NULL DEFAULT 0,
        show_as_button INTEGER NOT NULL DEFAULT 1,
        PRIMARY KEY (org_id, connection_id)
    );
    CREATE TABLE IF NOT EXISTS invitations (
        id TEXT PRIMARY KEY,
        org_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
        data TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS logs (
        seq INTEGER PRIMARY KEY,
        log_id TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        user_id TEXT,
        data TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS logs_user ON logs(user_id, seq);
    CREATE TABLE IF NOT EXISTS tickets (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        user_id TEXT NOT NULL,
        expires_at REAL NOT NULL,
        used_at REAL,
        data TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS login_failures (
        identifier TEXT NOT NULL,
        ip TEXT NOT NULL,
        connection TEXT,
        failures INTEGER NOT NULL,
        blocked INTEGER NOT NULL DEFAULT 0,
        updated_at REAL NOT NULL,
        PRIMARY KEY (identifier, ip)
    );
    CREATE TABLE IF NOT EXISTS jobs (
        id TEXT PRIMARY KEY,
        type TEXT NOT NULL,
        status TEXT NOT NULL,
        data TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS outbox (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        to_addr TEXT NOT NULL,
        kind TEXT NOT NULL,
        data TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS outbox_to ON outbox(to_addr, seq);
    """
)

# Auth0 blocks an identifier after this many consecutive failed logins from one IP.
BRUTE_FORCE_THRESHOLD = 10
DEFAULT_TICKET_TTL = 432000  # 5 days, Auth0's default for password-change tickets


# -- small helpers -------------------------------------------------------------------------------
def now_iso(ts: float | None = None) -> str:
    """Auth0's timestamp format: ISO-8601 in UTC with milliseconds and ``Z``."""
    dt = datetime.fromtimestamp(time.time() if ts is None else ts, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def random_id(prefix: str, length: int = 16) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return prefix + "".join(secrets.choice(alphabet) for _ in range(length))


def stable_id(prefix: str, seed: str, length: int = 16) -> str:
    """Deterministic ids for seeded objects, so a demo tenant looks the same on every machine."""
    return prefix + hashlib.sha1(seed.encode()).hexdigest()[:length]  # noqa: S324 - not security


def user_id_for_email(email: str) -> str:
    """The demo seed's deterministic user id: ``auth0|`` + 24 hex of sha1(lowercased email)."""
    return "auth0|" + hashlib.sha1(email.lower().encode()).hexdigest()[:24]  # noqa: S324 - an id


def _index_touch(tenant: Tenant, user_id: str) -> None:
    index = tenant.extensions.get("users_index")
    if index is not None:
        index.touch(user_id)


def _publish(tenant: Tenant, event_type: str, obj: dict) -> None:
    """Announce a change as the event Auth0 would stream (a no-op when nothing listens)."""
    publish = tenant.extensions.get("events_publish")
    if publish is not None:
        publish(event_type, obj)


# -- passwords -----------------------------------------------------------------------------------
# scrypt with a per-hash salt. n=2**14 keeps one check near 30 ms: slow enough to be a real KDF,
# fast enough that seeding and tests are not dominated by it.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def password_hash_make(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def password_hash_check(stored: str | None, password: str) -> bool:
    if not stored:
        return False
    try:
        _, n, r, p, salt, digest = stored.split("$")
        candidate = hashlib.scrypt(
            password.encode(), salt=bytes.fromhex(salt), dklen=32, n=int(n), r=int(r), p=int(p)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(candidate.hex(), digest)


_POLICY_MIN_LENGTH = {"none": 1, "low": 6, "fair": 8, "good": 8, "excellent": 10}


def password_policy_check(connection: dict, password: str) -> str | None:
    """Auth0's password policies (none/low/fair/good/excellent) plus ``min_length``; None if ok."""
    options = connection.get("options") or {}
    policy = options.get("passwordPolicy") or "good"
    if policy not in _POLICY_MIN_LENGTH:
        policy = "good"
    min_length = _POLICY_MIN_LENGTH[policy]
    complexity = options.get("password_complexity_options") or {}
    if isinstance(complexity.get("min_length"), int):
        min_length = max(1, complexity["min_length"])
    if not isinstance(password, str) or len(password) < min_length:
        return "PasswordStrengthError: Password is too weak"
    kinds = [
        bool(re.search(r"[a-z]", password)),
        bool(re.search(r"[A-Z]", password)),
        bool(re.search(r"[0-9]", password)),
        bool(re.search(r"[^a-zA-Z0-9]", password)),
    ]
    if policy == "fair" and not all(kinds[:3]):
        return "PasswordStrengthError: Password is too weak"
    if policy in ("good", "excellent") and sum(kinds) < 3:
        return "PasswordStrengthError: Password is too weak"
    if policy == "excellent" and re.search(r"(.)\1\1", password):
        return "PasswordStrengthError: Password is too weak"
    return None


# -- connections ---------------------------------------------------------------------------------
def _connection_row(row: Any) -> dict | None:
    return json.loads(row["data"]) if row else None


def connection_get(tenant: Tenant, connection_id: str) -> dict | None:
    return _connection_row(tenant.store.one("SELECT data FROM connections WHERE id = ?", (connection_id,)))


def connection_get_by_name(tenant: Tenant, name: str) -> dict | None:
    return _connection_row(tenant.store.one("SELECT data FROM connections WHERE name = ?", (name,)))


def connection_list(tenant: Tenant) -> list[dict]:
    return [json.loads(r["data"]) for r in tenant.store.all("SELECT data FROM connections ORDER BY rowid")]


def connection_put(tenant: Tenant, connection: dict) -> dict:
    """Insert or replace a connection (``id`` and ``name`` required)."""
    tenant.store.execute(
        "INSERT INTO connections(id, name, strategy, data) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(id) DO UPDATE SET name = excluded.name, strategy = excluded.strategy, "
        "data = excluded.data",
        (connection["id"], connection["name"], connection.get("strategy", "auth0"), json.dumps(connection)),
    )
    return connection


def connection_create(
    tenant: Tenant,
    *,
    name: str,
    strategy: str = "auth0",
    options: dict | None = None,
    enabled_clients: list[str] | None = None,
    display_name: str | None = None,
    connection_id: str | None = None,
    is_domain_connection: bool = False,
    metadata: dict | None = None,
) -> dict:
    connection: dict[str, Any] = {
        "id": connection_id or random_id("con_"),
        "name": name,
        "strategy": strategy,
        "options": {
            "passwordPolicy": "good",
            "brute_force_protection": True,
            "requires_username": False,
            **(options or {}),
        },
        "enabled_clients": list(enabled_clients or []),
        "realms": [name],
        "is_domain_connection": is_domain_connection,
    }
    if display_name:
        connection["display_name"] = display_name
    if metadata:
        connection["metadata"] = metadata
    return connection_put(tenant, connection)


# -- users ---------------------------------------------------------------------------------------
def _user_row(row: Any) -> dict | None:
    return json.loads(row["data"]) if row else None


def user_get(tenant: Tenant, user_id: str) -> dict | None:
    """The user as ``GET /api/v2/users/{id}`` returns it, or None."""
    return _user_row(tenant.store.one("SELECT data FROM users WHERE user_id = ?", (user_id,)))


def user_find_by_email(tenant: Tenant, connection_name: str, email: str) -> dict | None:
    return _user_row(
        tenant.store.one(
            "SELECT data FROM users WHERE connection = ? AND email_lower = ?",
            (connection_name, email.lower()),
        )
    )


def user_find_by_username(tenant: Tenant, connection_name: str, username: str) -> dict | None:
    return _user_row(
        tenant.store.one(
            "SELECT data FROM users WHERE connection = ? AND username_lower = ?",
            (connection_name, username.lower()),
        )
    )


def users_by_email(tenant: Tenant, email: str) -> list[dict]:
    """Every user with this email in any connection (``GET /users-by-email``, case-insensitive)."""
    rows = tenant.store.all("SELECT data FROM users WHERE email_lower = ? ORDER BY rowid", (email.lower(),))
    return [json.loads(r["data"]) for r in rows]


def user_connection(user: dict) -> str:
    return user["identities"][0]["connection"]


def _user_store(tenant: Tenant, user: dict, password_hash: str | None = None, *, insert: bool) -> None:
    email = user.get("email")
    username = user.get("username")
    params = (
        user_connection(user),
        email.lower() if email else None,
        username.lower() if username else None,
        json.dumps(user, separators=(",", ":")),
    )
    if insert:
        tenant.store.execute(
            "INSERT INTO users(connection, email_lower, username_lower, data, password_hash, user_id) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (*params, password_hash, user["user_id"]),
        )
    else:
        tenant.store.execute(
            "UPDATE users SET connection = ?, email_lower = ?, username_lower = ?, data = ? "
            "WHERE user_id = ?",
            (*params, user["user_id"]),
        )


def _gravatar(email: str | None) -> str:
    digest = hashlib.md5((email or "").strip().lower().encode()).hexdigest()  # noqa: S324 - gravatar
    return f"https://s.gravatar.com/avatar/{digest}?s=480&r=pg&d=https%3A%2F%2Fcdn.auth0.com%2Favatars%2Fdefault.png"


def user_build(
    *,
    connection: str,
    email: str | None,
    user_id: str | None = None,
    email_verified: bool = False,
    username: str | None = None,
    given_name: str | None = None,
    family_name: str | None = None,
    name: str | None = None,
    nickname: str | None = None,
    picture: str | None = None,
    phone_number: str | None = None,
    blocked: bool | None = None,
    user_metadata: dict | None = None,
    app_metadata: dict | None = None,
    created_at: str | None = None,
) -> dict:
    """An Auth0 database-connection user as the Management API shows it (not stored)."""
    user_id = user_id or "auth0|" + secrets.token_hex(12)
    created_at = created_at or now_iso()
    local_part = (email or username or user_id).split("@")[0]
    user: dict[str, Any] = {"created_at": created_at}
    if email is not None:
        user["email"] = email
        user["email_verified"] = bool(email_verified)
    if username is not None:
        user["username"] = username
    if phone_number is not None:
        user["phone_number"] = phone_number
    if given_name is not None:
        user["given_name"] = given_name
    if family_name is not None:
        user["family_name"] = family_name
    user["identities"] = [
        {
            "connection": connection,
            "provider": "auth0",
            "user_id": user_id.split("|", 1)[1],
            "isSocial": False,
        }
    ]
    user["name"] = name or email or username or user_id
    user["nickname"] = nickname or local_part
    user["picture"] = picture or _gravatar(email)
    user["updated_at"] = created_at
    user["user_id"] = user_id
    if user_metadata:
        user["user_metadata"] = user_metadata
    if app_metadata:
        user["app_metadata"] = app_metadata
    if blocked is not None:
        user["blocked"] = blocked
    return user


def user_insert(
    tenant: Tenant, user: dict, *, password: str | None = None, password_hash: str | None = None
) -> dict:
    """Store a user built by ``user_build``; 409 as Auth0 answers if the email/username is taken."""
    connection = user_connection(user)
    if user.get("email") and user_find_by_email(tenant, connection, user["email"]):
        raise Auth0Error(409, "The user already exists.", "auth0_idp_error")
    if user.get("username") and user_find_by_username(tenant, connection, user["username"]):
        raise Auth0Error(409, "The user already exists.", "auth0_idp_error")
    if user_get(tenant, user["user_id"]):
        raise Auth0Error(409, "The user already exists.", "auth0_idp_error")
    if password is not None:
        password_hash = password_hash_make(password)
    with tenant.store.transaction():
        _user_store(tenant, user, password_hash, insert=True)
        _publish(tenant, "user.created", user)
    _index_touch(tenant, user["user_id"])
    return user


def user_update(tenant: Tenant, user_id: str, changes: dict, *, publish: bool = True) -> dict:
    """Replace root fields of a user (a ``None`` value removes the field); bumps ``updated_at``.

    Metadata objects given here replace the stored ones whole: the merge rules of PATCH live in
    the Management API handler. ``publish=False`` leaves out the ``user.updated`` event (a login's
    counters: Auth0 documents user.updated for changes made to the user, not for logging in).
    """
    user = user_get(tenant, user_id)
    if user is None:
        raise Auth0Error(404, "The user does not exist.", "inexistent_user")
    for key, value in changes.items():
        if key in ("user_id", "identities", "created_at"):
            continue
        if value is None or (key in ("user_metadata", "app_metadata") and value == {}):
            user.pop(key, None)
        else:
            user[key] = value
    user["updated_at"] = changes.get("updated_at") or now_iso()
    with tenant.store.transaction():
        _user_store(tenant, user, insert=False)
        if publish:
            _publish(tenant, "user.updated", user)
    _index_touch(tenant, user_id)
    return user


def user_delete(tenant: Tenant, user_id: str) -> bool:
    with tenant.store.transaction():
        user = user_get(tenant, user_id)
        cur = tenant.store.execute("DELETE FROM users WHERE user_id = ?", (user_id,))
        tenant.store.execute("DELETE FROM tickets WHERE user_id = ?", (user_id,))
        if cur.rowcount and user is not None:
            _publish(tenant, "user.deleted", {**user, "deleted_at": now_iso()})
    if cur.rowcount:
        _index_touch(tenant, user_id)
    return bool(cur.rowcount)


def user_password_check(tenant: Tenant, user_id: str, password: str) -> bool:
    row = tenant.store.one("SELECT password_hash FROM users WHERE user_id = ?", (user_id,))
    return bool(row) and password_hash_check(row["password_hash"], password)


def user_password_set(tenant: Tenant, user_id: str, password: str, *, publish: bool = True) -> None:
    """Set a new password (and ``last_password_reset``). ``publish=False`` when the caller goes on to
    change the user in the same operation: one write, one ``user.updated``."""
    stamp = now_iso()
    with tenant.store.transaction():
        tenant.store.execute(
            "UPDATE users SET password_hash = ? WHERE user_id = ?", (password_hash_make(password), user_id)
        )
        user_update(tenant, user_id, {"last_password_reset": stamp, "updated_at": stamp}, publish=publish)


def user_login_record(tenant: Tenant, user_id: str, ip: str) -> None:
    user = user_get(tenant, user_id)
    if user is None:
        return
    stamp = now_iso()
    user_update(
        tenant,
        user_id,
        {
            "logins_count": int(user.get("logins_count") or 0) + 1,
            "last_login": stamp,
            "last_ip": ip,
            "updated_at": stamp,
        },
        publish=False,
    )


def user_organizations(tenant: Tenant, user_id: str) -> list[dict]:
    rows = tenant.store.all(
        "SELECT o.data FROM organizations o JOIN organization_members m ON m.org_id = o.id "
        "WHERE m.user_id = ? ORDER BY o.name",
        (user_id,),
    )
    return [json.loads(r["data"]) for r in rows]


# -- organizations -------------------------------------------------------------------------------
def organization_get(tenant: Tenant, org_id: str) -> dict | None:
    row = tenant.store.one("SELECT data FROM organizations WHERE id = ?", (org_id,))
    return json.loads(row["data"]) if row else None


def organization_get_by_name(tenant: Tenant, name: str) -> dict | None:
    row = tenant.store.one("SELECT data FROM organizations WHERE name = ?", (name,))
    return json.loads(row["data"]) if row else None


def organization_list(tenant: Tenant) -> list[dict]:
    return [json.loads(r["data"]) for r in tenant.store.all("SELECT data FROM organizations ORDER BY name")]


def organization_put(tenant: Tenant, org: dict) -> dict:
    tenant.store.execute(
        "INSERT INTO organizations(id, name, data) VALUES (?, ?, ?) "
        "ON CONFLICT(id) DO UPDATE SET name = excluded.name, data = excluded.data",
        (org["id"], org["name"], json.dumps(org)),
    )
    return org


def organization_delete(tenant: Tenant, org_id: str) -> bool:
    members = [
        r["user_id"]
        for r in tenant.store.all("SELECT user_id FROM organization_members WHERE org_id = ?", (org_id,))
    ]
    cur = tenant.store.execute("DELETE FROM organizations WHERE id = ?", (org_id,))
    for user_id in members:
        _index_touch(tenant, user_id)
    return bool(cur.rowcount)


def organization_member_check(tenant: Tenant, org_id: str, user_id: str) -> bool:
    return (
        tenant.store.one(
            "SELECT 1 FROM organization_members WHERE org_id = ? AND user_id = ?", (org_id, user_id)
        )
        is not None
    )


def _member_event(tenant: Tenant, event_type: str, org_id: str, user_id: str) -> None:
    org = organization_get(tenant, org_id) or {"id": org_id}
    _publish(tenant, event_type, {"organization": {"id": org["id"], "name": org.get("name")},
                                  "user": {"user_id": user_id}})


def organization_members_add(tenant: Tenant, org_id: str, user_ids: list[str]) -> None:
    """Add members; ``organization.member.added`` for each one who was not a member yet."""
    stamp = now_iso()
    with tenant.store.transaction():
        for uid in dict.fromkeys(user_ids):
            cur = tenant.store.execute(
                "INSERT OR IGNORE INTO organization_members(org_id, user_id, created_at) VALUES (?, ?, ?)",
                (org_id, uid, stamp),
            )
            if cur.rowcount:
                _member_event(tenant, "organization.member.added", org_id, uid)
    for uid in user_ids:
        _index_touch(tenant, uid)


def organization_members_remove(tenant: Tenant, org_id: str, user_ids: list[str]) -> None:
    """Remove members; ``organization.member.deleted`` for each one who was a member."""
    with tenant.store.transaction():
        for uid in dict.fromkeys(user_ids):
            cur = tenant.store.execute(
                "DELETE FROM organization_members WHERE org_id = ? AND user_id = ?", (org_id, uid)
            )
            if cur.rowcount:
                _member_event(tenant, "organization.member.deleted", org_id, uid)
    for uid in user_ids:
        _index_touch(tenant, uid)


def organization_member_ids(tenant: Tenant, user_id: str) -> list[str]:
    """Ids of the Auth0 Organizations a user belongs to (what ``organization_id:`` search matches)."""
    rows = tenant.store.all("SELECT org_id FROM organization_members WHERE user_id = ?", (user_id,))
    return [r["org_id"] for r in rows]


def organization_connections(tenant: Tenant, org_id: str) -> list[dict]:
    """Enabled connections as ``GET /organizations/{id}/enabled_connections`` shows them."""
    rows = tenant.store.all(
        "SELECT oc.connection_id, oc.assign_membership_on_login, oc.show_as_button, c.name, c.strategy "
        "FROM organization_connections oc JOIN connections c ON c.id = oc.connection_id "
        "WHERE oc.org_id = ? ORDER BY c.name",
        (org_id,),
    )
    return [
        {
            "connection_id": r["connection_id"],
            "assign_membership_on_login": bool(r["assign_membership_on_login"]),
            "show_as_button": bool(r["show_as_button"]),
            "connection": {"name": r["name"], "strategy": r["strategy"]},
        }
        for r in rows
    ]


def organization_connection_names(tenant: Tenant, org_id: str) -> list[str]:
    return [c["connection"]["name"] for c in organization_connections(tenant, org_id)]


def organization_connection_put(
    tenant: Tenant,
    org_id: str,
    connection_id: str,
    *,
    assign_membership_on_login: bool = False,
    show_as_button: bool = True,
) -> None:
    tenant.store.execute(
        "INSERT INTO organization_connections"
        "(org_id, connection_id, assign_membership_on_login, show_as_button) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(org_id, connection_id) DO UPDATE SET "
        "assign_membership_on_login = excluded.assign_membership_on_login, "
        "show_as_button = excluded.show_as_button",
        (org_id, connection_id, int(assign_membership_on_login), int(show_as_button)),
    )


def organization_connection_remove(tenant: Tenant, org_id: str, connection_id: str) -> bool:
    cur = tenant.store.execute(
        "DELETE FROM organization_connections WHERE org_id = ? AND connection_id = ?",
        (org_id, connection_id),
    )
    return bool(cur.rowcount)


# -- invitations ---------------------------------------------------------------------------------
def invitation_put(tenant: Tenant, invitation: dict) -> dict:
    tenant.store.execute(
        "INSERT INTO invitations(id, org_id, data) VALUES (?, ?, ?) "
        "ON CONFLICT(id) DO UPDATE SET data = excluded.data",
        (invitation["id"], invitation["organization_id"], json.dumps(invitation)),
    )
    return invitation


def invitation_get(tenant: Tenant, org_id: str, invitation_id: str) -> dict | None:
    row = tenant.store.one(
        "SELECT data FROM invitations WHERE org_id = ? AND id = ?", (org_id, invitation_id)
    )
    return json.loads(row["data"]) if row else None


def invitation_get_by_ticket(tenant: Tenant, ticket_id: str) -> dict | None:
    for row in tenant.store.all("SELECT data FROM invitations"):
        invitation = json.loads(row["data"])
        if invitation.get("ticket_id") == ticket_id:
            return invitation
    return None


def invitation_list(tenant: Tenant, org_id: str) -> list[dict]:
    rows = tenant.store.all("SELECT data FROM invitations WHERE org_id = ? ORDER BY rowid", (org_id,))
    return [json.loads(r["data"]) for r in rows]


def invitation_delete(tenant: Tenant, org_id: str, invitation_id: str) -> bool:
    cur = tenant.store.execute("DELETE FROM invitations WHERE org_id = ? AND id = ?", (org_id, invitation_id))
    return bool(cur.rowcount)


# -- logs ----------------------------------------------------------------------------------------
_LOG_DESCRIPTIONS = {
    "s": "Success Login",
    "f": "Failed Login",
    "fp": "Wrong password",
    "fu": "Invalid email or username",
    "ss": "Success Signup",
    "fs": "Failed Signup",
    "scp": "Success Change Password",
    "scpr": "Success Change Password Request",
    "sdu": "Successful User Deletion",
    "fcp": "Failed Change Password",
    "sapi": "Success API Operation",
    "fapi": "Failed API Operation",
    "limit_wc": "Blocked Account",
    "sv": "Success Verification Email",
    "fv": "Failed Verification Email",
    "slo": "Success Logout",
    "seccft": "Success Exchange",
    "feccft": "Failed Exchange",
}


def log_event_record(
    tenant: Tenant,
    *,
    type: str,
    description: str | None = None,  # noqa: A002 - Auth0's name
    user_id: str | None = None,
    user_name: str | None = None,
    client_id: str | None = None,
    client_name: str | None = None,
    connection: str | None = None,
    ip: str | None = None,
    details: dict | None = None,
    user_agent: str | None = None,
    connection_id: str | None = None,
) -> None:
    """Append an Auth0 log event (``GET /api/v2/logs`` shape)."""
    now = time.time()
    row = tenant.store.one("SELECT COALESCE(MAX(seq), 0) + 1 AS next FROM logs")
    seq = row["next"] if row else 1
    # Auth0 log ids are 56 digits and sort by time; "900" + ms timestamp + sequence keeps that.
    log_id = f"900{int(now * 1000):016d}{seq:037d}"
    event: dict[str, Any] = {
        "log_id": log_id,
        "date": now_iso(now),
        "type": type,
        "description": description or _LOG_DESCRIPTIONS.get(type, type),
        "ip": ip or "127.0.0.1",
        "hostname": tenant.config.public_url.split("://", 1)[-1].split("/")[0],
        "isMobile": False,
    }
    optional = {
        "client_id": client_id,
        "client_name": client_name,
        "connection": connection,
        "connection_id": connection_id,
        "user_id": user_id,
        "user_name": user_name,
        "user_agent": user_agent,
        "details": details,
    }
    event.update({k: v for k, v in optional.items() if v is not None})
    if connection:
        event.setdefault("strategy", "auth0")
        event.setdefault("strategy_type", "database")
    tenant.store.execute(
        "INSERT INTO logs(seq, log_id, type, user_id, data) VALUES (?, ?, ?, ?, ?)",
        (seq, log_id, type, user_id, json.dumps(event)),
    )
    appended = tenant.extensions.get("logs_appended")
    if appended is not None:
        appended()


def log_get(tenant: Tenant, log_id: str) -> dict | None:
    row = tenant.store.one("SELECT data FROM logs WHERE log_id = ?", (log_id,))
    return json.loads(row["data"]) if row else None


# -- tickets -------------------------------------------------------------------------------------
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


# -- brute-force protection ----------------------------------------------------------------------
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


# -- jobs ----------------------------------------------------------------------------------------
def job_put(tenant: Tenant, job: dict) -> dict:
    tenant.store.execute(
        "INSERT INTO jobs(id, type, status, data) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(id) DO UPDATE SET status = excluded.status, data = excluded.data",
        (job["id"], job["type"], job["status"], json.dumps(job)),
    )
    return job


def job_get(tenant: Tenant, job_id: str) -> dict | None:
    row = tenant.store.one("SELECT data FROM jobs WHERE id = ?", (job_id,))
    return json.loads(row["data"]) if row else None


# -- outbox --------------------------------------------------------------------------------------
def outbox_send(tenant: Tenant, *, to: str, kind: str, subject: str, text: str, links: list[str]) -> dict:
    """Record an email Auth0 itself would have sent (verification, password reset, invitation)."""
    message = {
        "id": secrets.token_hex(8),
        "to": to,
        "kind": kind,
        "subject": subject,
        "text": text,
        "links": list(links),
        "created_at": now_iso(),
    }
    tenant.store.execute(
        "INSERT INTO outbox(id, to_addr, kind, data) VALUES (?, ?, ?, ?)",
        (message["id"], to.lower(), kind, json.dumps(message)),
    )
    return message


def outbox_list(tenant: Tenant, *, to: str | None = None) -> list[dict]:
    if to is None:
        rows = tenant.store.all("SELECT data FROM outbox ORDER BY seq DESC")
    else:
        rows = tenant.store.all("SELECT data FROM outbox WHERE to_addr = ? ORDER BY seq DESC", (to.lower(),))
    return [json.loads(r["data"]) for r in rows]
