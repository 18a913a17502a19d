"""Log streams of type ``http`` (Auth0's "Custom Webhook"): definitions, filters and payloads.

Shapes, and where they come from:

- A stream is ``LogStreamHttpResponseSchema`` of the Management API spec: ``{id, name, type: "http",
  status: active|paused|suspended, sink: {httpEndpoint, httpAuthorization, httpContentType,
  httpContentFormat, httpCustomHeaders?}, filters?, isPriority?}``; the spec's sample responses show
  ``httpAuthorization`` answered as it was given.
- Each log event travels in the envelope ``{"log_id": …, "data": <the event as GET /api/v2/logs
  returns it>}`` (reference/NOTES.md; Elastic's Auth0 integration reads the same shape as
  ``auth0.logs.log_id`` and ``auth0.logs.data.*``).
- ``httpContentFormat`` (Auth0's "Content Format: JSON lines, arrays, or objects"): ``JSONARRAY`` posts
  one JSON array per batch, ``JSONLINES`` one envelope per line, ``JSONOBJECT`` one envelope per request.
  ``httpAuthorization`` goes verbatim in ``Authorization``, ``httpContentType`` in ``Content-Type``
  (``application/json`` when not given), each ``httpCustomHeaders`` item as its own header.
- ``filters`` are ``{type: "category", name}`` with the names of ``LogStreamFilterGroupNameEnum``; a
  stream with none gets every event. Which event type falls in which category follows Auth0's "Log
  Stream Filters" page (Login - Failure: f, fp, fu, …; Signup - Success: ss; Management API - Success:
  sapi; User/Behavioral - Success: scp, scpr, sdu, sv, …; System - Notification: limit_wc, …), for the
  types the emulator records; anything else is ``other``.

A stream keeps a cursor (the ``seq`` of the last log event it has received) instead of a queue: the
logs table already is the queue, a paused stream catches up when it is active again (Auth0 queues
logs while a stream is paused), and the cursor moves only once the receiver has answered 2xx, so
every event arrives at least once.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from ..store import register_schema
from ..tenant import Tenant

register_schema(
    """
    CREATE TABLE IF NOT EXISTS log_streams (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        status TEXT NOT NULL,
        data TEXT NOT NULL,
        cursor INTEGER NOT NULL DEFAULT 0
    );
    """
)

CONTENT_FORMATS = ("JSONARRAY", "JSONLINES", "JSONOBJECT")
_CACHE = "log_streams_active"
STATUSES = ("active", "paused", "suspended")
# LogStreamFilterGroupNameEnum in the spec.
CATEGORIES = (
    "auth.login.fail", "auth.login.notification", "auth.login.success", "auth.logout.fail",
    "auth.logout.success", "auth.signup.fail", "auth.signup.success", "auth.silent_auth.fail",
    "auth.silent_auth.success", "auth.token_exchange.fail", "auth.token_exchange.success", "management.fail",
    "management.success", "scim.event", "system.notification", "user.fail", "user.notification",
    "user.success", "actions", "other",
)
_CATEGORY_OF_TYPE = {
    **dict.fromkeys(("f", "fc", "fco", "fcoa", "fens", "fp", "fu"), "auth.login.fail"),
    "w": "auth.login.notification",
    **dict.fromkeys(("s", "scoa", "sens"), "auth.login.success"),
    "flo": "auth.logout.fail",
    **dict.fromkeys(("slo", "oidc_backchannel_logout_succeeded"), "auth.logout.success"),
    "fs": "auth.signup.fail",
    "ss": "auth.signup.success",
    "fsa": "auth.silent_auth.fail",
    "ssa": "auth.silent_auth.success",
    **dict.fromkeys(("feacft", "feccft", "fepft", "fertft", "ferrt"), "auth.token_exchange.fail"),
    **dict.fromkeys(("seacft", "seccft", "sepft", "sertft"), "auth.token_exchange.success"),
    "fapi": "management.fail",
    **dict.fromkeys(("sapi", "mgmt_api_read"), "management.success"),
    **dict.fromkeys(("limit_wc", "limit_mu", "limit_sul", "api_limit"), "system.notification"),
    **dict.fromkeys(("fce", "fcp", "fcpr", "fcu", "fdu", "fn", "fv", "fvr"), "user.fail"),
    **dict.fromkeys(("du", "ublkdu"), "user.notification"),
    **dict.fromkeys(("sce", "scp", "scpr", "scu", "sdu", "sv", "svr", "srrt"), "user.success"),
    "actions_execution_failed": "actions",
}


def category(log_type: str) -> str:
    return _CATEGORY_OF_TYPE.get(log_type, "other")


# -- definitions -----------------------------------------------------------------------------------
def new_id(tenant: Tenant) -> str:
    """Auth0's log stream ids: ``lst_`` and sixteen digits."""
    row = tenant.store.one("SELECT COALESCE(MAX(seq), 0) + 1 AS next FROM log_streams")
    return f"lst_{row['next']:016d}"


def stream_get(tenant: Tenant, stream_id: str) -> dict | None:
    row = tenant.store.one("SELECT data FROM log_streams WHERE id = ?", (stream_id,))
    return json.loads(row["data"]) if row else None


def stream_list(tenant: Tenant) -> list[dict]:
    return [json.loads(r["data"]) for r in tenant.store.all("SELECT data FROM log_streams ORDER BY seq")]


def any_active(tenant: Tenant) -> bool:
    """Whether some stream wants log events now (cached: asked after every log event recorded)."""
    active = tenant.extensions.get(_CACHE)
    if active is None:
        active = tenant.store.one("SELECT 1 FROM log_streams WHERE status = 'active' LIMIT 1") is not None
        tenant.extensions[_CACHE] = active
    return active


def stream_put(tenant: Tenant, stream: dict, cursor: int | None = None) -> dict:
    """Insert or replace a stream; ``cursor`` only when it is created (where its delivery starts)."""
    if cursor is None:
        tenant.store.execute(
            "UPDATE log_streams SET status = ?, data = ? WHERE id = ?",
            (stream["status"], json.dumps(stream), stream["id"]),
        )
    else:
        tenant.store.execute(
            "INSERT INTO log_streams(id, status, data, cursor) VALUES (?, ?, ?, ?)",
            (stream["id"], stream["status"], json.dumps(stream), cursor),
        )
    tenant.extensions.pop(_CACHE, None)
    return stream


def stream_delete(tenant: Tenant, stream_id: str) -> bool:
    cur = tenant.store.execute("DELETE FROM log_streams WHERE id = ?", (stream_id,))
    tenant.extensions.pop(_CACHE, None)
    return bool(cur.rowcount)


def cursor_start(tenant: Tenant, start_from: str | None) -> int:
    """Where a new stream begins: after the newest log event, or before the first one at or after
    ``start_from`` (Auth0's ``startFrom``, an ISO-8601 time within the logs kept)."""
    if start_from is None:
        row = tenant.store.one("SELECT COALESCE(MAX(seq), 0) AS seq FROM logs")
        return row["seq"]
    row = tenant.store.one(
        "SELECT COALESCE(MAX(seq), 0) AS seq FROM logs WHERE json_extract(data, '$.date') < ?", (start_from,)
    )
    return row["seq"]


def active_streams(tenant: Tenant) -> list[Any]:
    return tenant.store.all("SELECT id, data, cursor FROM log_streams WHERE status = 'active' ORDER BY seq")


def cursor_advance(tenant: Tenant, stream_id: str, seq: int) -> None:
    tenant.store.execute("UPDATE log_streams SET cursor = MAX(cursor, ?) WHERE id = ?", (seq, stream_id))


# -- batches ---------------------------------------------------------------------------------------
def pending(tenant: Tenant, stream: dict, cursor: int, limit: int) -> tuple[list[tuple[int, dict]], int, bool]:
    """Up to ``limit`` log events after ``cursor`` that pass the stream's filters: ((seq, event) pairs,
    the last ``seq`` looked at, whether more events lie beyond it)."""
    wanted = {f.get("name") for f in stream.get("filters") or [] if f.get("type", "category") == "category"}
    events: list[tuple[int, dict]] = []
    last = cursor
    while len(events) < limit:
        rows = tenant.store.all(
            "SELECT seq, type, data FROM logs WHERE seq > ? ORDER BY seq LIMIT ?", (last, limit - len(events))
        )
        if not rows:
            return events, last, False
        for row in rows:
            last = row["seq"]
            if not wanted or category(row["type"]) in wanted:
                events.append((row["seq"], json.loads(row["data"])))
    more = tenant.store.one("SELECT 1 FROM logs WHERE seq > ? LIMIT 1", (last,)) is not None
    return events, last, more


def event_time(event: dict) -> float:
    """When a log event was recorded (its ``date``), as epoch seconds."""
    return datetime.fromisoformat(event["date"]).timestamp()


def bodies(stream: dict, events: list[tuple[int, dict]]) -> list[tuple[int, bytes]]:
    """The requests that carry ``events`` in the stream's content format: (the ``seq`` of the last event
    each one carries, its body)."""
    envelopes = [json.dumps({"log_id": e["log_id"], "data": e}, separators=(",", ":")) for _, e in events]
    fmt = stream["sink"].get("httpContentFormat") or "JSONLINES"
    if fmt == "JSONOBJECT":
        return [(seq, text.encode()) for (seq, _), text in zip(events, envelopes, strict=True)]
    last = events[-1][0]
    if fmt == "JSONARRAY":
        return [(last, ("[" + ",".join(envelopes) + "]").encode())]
    return [(last, "".join(text + "\n" for text in envelopes).encode())]


def headers(stream: dict) -> dict[str, str]:
    sink = stream["sink"]
    out = {"Content-Type": sink.get("httpContentType") or "application/json"}
    for item in sink.get("httpCustomHeaders") or []:
        if item.get("header"):
            out[str(item["header"])] = str(item.get("value", ""))
    if sink.get("httpAuthorization"):
        out["Authorization"] = sink["httpAuthorization"]
    return out

