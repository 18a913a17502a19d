"""Users: lookups, building an Auth0-shaped user, insert, update, delete, passwords, logins.

Every write announces itself (``hooks``): the search index hears of each change, and
``user.created|updated|deleted`` is published in the transaction of the change.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any

from ..errors import Auth0Error
from ..tenant import Tenant
from .formats import now_iso
from .hooks import event_publish, index_touch
from .passwords import password_hash_check, password_hash_make


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
        event_publish(tenant, "user.created", user)
    index_touch(tenant, user["user_id"])
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
            event_publish(tenant, "user.updated", user)
    index_touch(tenant, user_id)
    return user


def user_delete(tenant: Tenant, user_id: str) -> bool:
    with tenant.store.transaction():
        user = user_get(tenant, user_id)
        cur = tenant.store.execute("DELETE FROM users WHERE user_id = ?", (user_id,))
        tenant.store.execute("DELETE FROM tickets WHERE user_id = ?", (user_id,))
        if cur.rowcount and user is not None:
            event_publish(tenant, "user.deleted", {**user, "deleted_at": now_iso()})
    if cur.rowcount:
        index_touch(tenant, user_id)
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


def users_summarized(tenant: Tenant, user_ids: list[str]) -> list[dict]:
    """``user_ids`` as the lists of a role's users and an organization's members show them (``user_id``, ``email``,
    ``picture``, ``name``), in the order given; ids of no user are left out. Those lists page over ids and read only
    the page's users, so that a list of tens of thousands costs each page what its hundred users do."""
    if not user_ids:
        return []
    marks = ", ".join("?" for _ in user_ids)
    # Only placeholders are formatted into the SQL; every value is a bound parameter.
    rows = tenant.store.all(f"SELECT user_id, data FROM users WHERE user_id IN ({marks})", tuple(user_ids))  # noqa: S608
    summarized = {}
    for row in rows:
        user = json.loads(row["data"])
        summarized[row["user_id"]] = {key: user[key] for key in ("user_id", "email", "picture", "name")
                                      if user.get(key) is not None}
    return [summarized[user_id] for user_id in user_ids if user_id in summarized]
