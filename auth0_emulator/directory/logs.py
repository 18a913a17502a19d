"""The tenant's log events (``GET /api/v2/logs`` shape): recorded, read one by id.

After each event the ``"logs_appended"`` hook in ``tenant.extensions`` (set by ``delivery``) is called,
so log streams hear of it.
"""

from __future__ import annotations

import json
import time
from typing import Any

from ..tenant import Tenant
from .formats import now_iso

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
