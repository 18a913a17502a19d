"""Event streams: their definitions, the events owed to each, and the shapes Auth0 gives both.

Shapes, and where they come from:

- A stream is ``EventStreamWebhookResponseContent`` of the Management API spec
  (``tests/contract/spec/``): ``{id, name, subscriptions: [{event_type}], destination: {type: "webhook",
  configuration: {webhook_endpoint, webhook_authorization}}, status, created_at, updated_at}``. The
  authorization shows only ``method`` (and ``username`` for basic): the secret given on create
  (``token`` for bearer, ``password`` for basic, as Auth0's CLI and Terraform provider send them) is
  write-only, kept in its own column and never answered.
- What a webhook receives is the CloudEvents 1.0 envelope of ``EventStreamCloudEvent<Type>CloudEvent``
  in the spec (and Auth0's "Event Testing, Observability, and Failure Recovery" page, which shows one
  received): ``{specversion: "1.0", type, source: "urn:auth0:<tenant domain>", id: "evt_…", time,
  data: {object}, a0tenant, a0stream}``, POSTed as ``application/json``. ``data.object`` is the user as
  ``GET /users/{id}`` shows it for ``user.*`` (plus ``deleted_at`` for ``user.deleted``), and
  ``{organization: {id, name}, user: {user_id}}`` for ``organization.member.*``.
- A delivery, as ``GET /event-streams/{id}/deliveries`` lists it, is ``EventStreamDelivery``:
  ``{id, event_stream_id, status: "failed", event_type, attempts: [{status, timestamp, error_message}],
  event: {id, source, specversion, type, time, data: <the data as a JSON string>}}``. The spec's only
  status is ``failed``, and Auth0's page says an empty list means the stream works: only deliveries
  that ran out of attempts are listed (and can be redelivered).

One event (one id) goes to every enabled stream subscribed to its type, each delivery tracked apart,
in the same transaction as the change that caused it, so a change is never without its events.
Auth0 sends nothing to a disabled stream, and neither does this.
"""

from __future__ import annotations

import base64
import json
import secrets
import string
import time
from typing import Any

from ..directory.formats import now_iso
from ..store import register_schema
from ..tenant import Tenant

register_schema(
    """
    CREATE TABLE IF NOT EXISTS event_streams (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        name TEXT,
        status TEXT NOT NULL,
        data TEXT NOT NULL,
        secret TEXT
    );
    CREATE TABLE IF NOT EXISTS event_deliveries (
        seq INTEGER PRIMARY KEY,
        stream_id TEXT NOT NULL REFERENCES event_streams(id) ON DELETE CASCADE,
        event_id TEXT NOT NULL,
        event_type TEXT NOT NULL,
        event TEXT NOT NULL,
        status TEXT NOT NULL,
        tries INTEGER NOT NULL DEFAULT 0,
        attempts TEXT NOT NULL DEFAULT '[]',
        next_at REAL NOT NULL,
        UNIQUE (stream_id, event_id)
    );
    CREATE INDEX IF NOT EXISTS event_deliveries_due ON event_deliveries(status, next_at);
    CREATE INDEX IF NOT EXISTS event_deliveries_stream ON event_deliveries(stream_id, status, seq);
    """
)

# Auth0's event types (EventStreamEventTypeEnum in the spec). The emulator emits the user and
# organization-membership ones; a stream may subscribe to any of them.
EVENT_TYPES = (
    "group.created", "group.deleted", "group.member.added", "group.member.deleted", "group.role.assigned",
    "group.role.deleted", "group.updated", "organization.connection.added", "organization.connection.removed",
    "organization.connection.updated", "organization.created", "organization.deleted",
    "organization.group.role.assigned", "organization.group.role.deleted", "organization.member.added",
    "organization.member.deleted", "organization.member.role.assigned", "organization.member.role.deleted",
    "organization.updated", "user.created", "user.deleted", "user.updated",
)
_CACHE = "event_streams_cache"
_ALNUM = string.ascii_letters + string.digits


def new_id(prefix: str) -> str:
    """Auth0's 26-character ids: ``est_`` (streams) or ``evt_`` (events) and 22 letters or digits."""
    return prefix + "".join(secrets.choice(_ALNUM) for _ in range(22))


def source(tenant: Tenant) -> str:
    return "urn:auth0:" + tenant.config.public_url.split("://", 1)[-1].split("/")[0]


# -- definitions -----------------------------------------------------------------------------------
def stream_get(tenant: Tenant, stream_id: str) -> dict | None:
    row = tenant.store.one("SELECT data FROM event_streams WHERE id = ?", (stream_id,))
    return json.loads(row["data"]) if row else None


def stream_get_by_name(tenant: Tenant, name: str) -> dict | None:
    row = tenant.store.one("SELECT data FROM event_streams WHERE name = ?", (name,))
    return json.loads(row["data"]) if row else None


def stream_list(tenant: Tenant) -> list[dict]:
    return [json.loads(r["data"]) for r in tenant.store.all("SELECT data FROM event_streams ORDER BY seq")]


def stream_secret(tenant: Tenant, stream_id: str) -> dict:
    row = tenant.store.one("SELECT secret FROM event_streams WHERE id = ?", (stream_id,))
    return json.loads(row["secret"]) if row and row["secret"] else {}


def stream_put(tenant: Tenant, stream: dict, secret: dict) -> dict:
    """Insert or replace a stream (its public shape) and its write-only secret."""
    tenant.store.execute(
        "INSERT INTO event_streams(id, name, status, data, secret) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT(id) DO UPDATE SET name = excluded.name, status = excluded.status, data = excluded.data, "
        "secret = excluded.secret",
        (stream["id"], stream.get("name"), stream["status"], json.dumps(stream), json.dumps(secret)),
    )
    tenant.extensions.pop(_CACHE, None)
    return stream


def stream_delete(tenant: Tenant, stream_id: str) -> bool:
    cur = tenant.store.execute("DELETE FROM event_streams WHERE id = ?", (stream_id,))
    tenant.extensions.pop(_CACHE, None)
    return bool(cur.rowcount)


def authorization_header(stream: dict, secret: dict) -> str | None:
    """The ``Authorization`` header the stream's webhook gets (bearer token, or basic credentials)."""
    authorization = stream["destination"]["configuration"]["webhook_authorization"]
    if authorization["method"] == "bearer":
        return f"Bearer {secret['token']}"
    if authorization["method"] == "basic":
        pair = f"{authorization['username']}:{secret.get('password', '')}".encode()
        return "Basic " + base64.b64encode(pair).decode()
    return None


def _subscribers(tenant: Tenant) -> dict[str, list[str]]:
    """event type → ids of the enabled streams subscribed to it (rebuilt after any stream change)."""
    cached = tenant.extensions.get(_CACHE)
    if cached is None:
        cached = {}
        for row in tenant.store.all("SELECT data FROM event_streams WHERE status = 'enabled' ORDER BY seq"):
            stream = json.loads(row["data"])
            for subscription in stream.get("subscriptions") or []:
                cached.setdefault(subscription["event_type"], []).append(stream["id"])
        tenant.extensions[_CACHE] = cached
    return cached


# -- events ----------------------------------------------------------------------------------------
def publish(tenant: Tenant, event_type: str, obj: dict) -> bool:
    """Owe one event to every enabled stream subscribed to ``event_type``; True when any is."""
    streams = _subscribers(tenant).get(event_type)
    if not streams:
        return False
    now = time.time()
    event = {
        "id": new_id("evt_"),
        "source": source(tenant),
        "specversion": "1.0",
        "type": event_type,
        "time": now_iso(now),
        "data": {"object": obj},
    }
    text = json.dumps(event, separators=(",", ":"))
    with tenant.store.transaction():
        tenant.store.executemany(
            "INSERT INTO event_deliveries(stream_id, event_id, event_type, event, status, next_at) "
            "VALUES (?, ?, ?, ?, 'pending', ?)",
            [(stream_id, event["id"], event_type, text, now) for stream_id in streams],
        )
    return True


def envelope(tenant: Tenant, stream_id: str, event: dict) -> dict:
    """What the webhook receives: the CloudEvent plus Auth0's ``a0tenant`` and ``a0stream``."""
    return {**event, "a0tenant": tenant.config.tenant_name, "a0stream": stream_id}


# -- deliveries ------------------------------------------------------------------------------------
def deliveries_due(tenant: Tenant, now: float, limit: int) -> list[Any]:
    """Pending deliveries whose time has come, of enabled streams only."""
    return tenant.store.all(
        "SELECT d.seq, d.stream_id, d.event, d.tries, d.attempts FROM event_deliveries d "
        "JOIN event_streams s ON s.id = d.stream_id "
        "WHERE d.status = 'pending' AND d.next_at <= ? AND s.status = 'enabled' ORDER BY d.next_at, d.seq LIMIT ?",
        (now, limit),
    )


def next_due(tenant: Tenant) -> float | None:
    row = tenant.store.one(
        "SELECT MIN(d.next_at) AS at FROM event_deliveries d JOIN event_streams s ON s.id = d.stream_id "
        "WHERE d.status = 'pending' AND s.status = 'enabled'"
    )
    return row["at"] if row and row["at"] is not None else None


def deliveries_resume(tenant: Tenant) -> None:
    """At start, nothing is being sent: whatever is pending (leased by a process that stopped mid-send,
    or waiting out a backoff) is due now."""
    tenant.store.execute(
        "UPDATE event_deliveries SET next_at = ? WHERE status = 'pending' AND next_at > ?", (time.time(),) * 2
    )


def delivery_succeeded(tenant: Tenant, seq: int) -> None:
    tenant.store.execute("UPDATE event_deliveries SET status = 'delivered' WHERE seq = ?", (seq,))


def delivery_failed(tenant: Tenant, seq: int, message: str, *, attempts_allowed: int, backoff: float) -> None:
    """Record a failed attempt: retried after ``backoff`` × 2ⁿ, until ``attempts_allowed`` have failed."""
    row = tenant.store.one("SELECT tries, attempts FROM event_deliveries WHERE seq = ?", (seq,))
    if row is None:  # the stream was deleted while the attempt ran
        return
    tries = row["tries"] + 1
    attempts = [*json.loads(row["attempts"]), {"status": "failed", "timestamp": now_iso(),
                                                "error_message": message}]
    status = "failed" if tries >= attempts_allowed else "pending"
    tenant.store.execute(
        "UPDATE event_deliveries SET status = ?, tries = ?, attempts = ?, next_at = ? WHERE seq = ?",
        (status, tries, json.dumps(attempts), time.time() + backoff * 2 ** (tries - 1), seq),
    )


def delivery_public(row: Any) -> dict:
    """A failed delivery as ``GET /event-streams/{id}/deliveries`` shows it."""
    event = json.loads(row["event"])
    return {
        "id": row["event_id"],
        "event_stream_id": row["stream_id"],
        "status": row["status"],
        "event_type": row["event_type"],
        "attempts": json.loads(row["attempts"]),
        "event": {**event, "data": json.dumps(event["data"], separators=(",", ":"))},
    }


def failed_deliveries(
    tenant: Tenant, stream_id: str, *, event_types: list[str] | None = None,
    date_from: str | None = None, date_to: str | None = None,
) -> list[Any]:
    """Failed deliveries of a stream, oldest first; dates compare with the event's time (from
    inclusive, to exclusive, as the spec describes them)."""
    rows = tenant.store.all(
        "SELECT * FROM event_deliveries WHERE stream_id = ? AND status = 'failed' ORDER BY seq", (stream_id,)
    )
    out = []
    for row in rows:
        moment = json.loads(row["event"])["time"][:19] + "Z"
        if event_types and row["event_type"] not in event_types:
            continue
        if (date_from and moment < date_from) or (date_to and moment >= date_to):
            continue
        out.append(row)
    return out


def redeliver(tenant: Tenant, rows: list[Any]) -> None:
    """Queue failed deliveries again, now, for a new round of attempts (their history is kept)."""
    tenant.store.executemany(
        "UPDATE event_deliveries SET status = 'pending', tries = 0, next_at = ? WHERE seq = ? AND status = 'failed'",
        [(time.time(), row["seq"]) for row in rows],
    )


def delivery_of_event(tenant: Tenant, stream_id: str, event_id: str) -> Any:
    return tenant.store.one(
        "SELECT * FROM event_deliveries WHERE stream_id = ? AND event_id = ?", (stream_id, event_id)
    )
