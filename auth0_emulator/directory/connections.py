"""Database connections: read, list, store, create with Auth0's defaults."""

from __future__ import annotations

import json
from typing import Any

from ..tenant import Tenant
from .formats import random_id
from .users import user_delete


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


def connection_delete(tenant: Tenant, connection_id: str) -> bool:
    """Delete the connection, its users (as Auth0 does: each a ``user.deleted`` event) and its enablement in
    organizations; whether it existed."""
    connection = connection_get(tenant, connection_id)
    if connection is None:
        return False
    with tenant.store.transaction():
        for row in tenant.store.all("SELECT user_id FROM users WHERE connection = ?", (connection["name"],)):
            user_delete(tenant, row["user_id"])
        tenant.store.execute("DELETE FROM organization_connections WHERE connection_id = ?", (connection_id,))
        return tenant.store.execute("DELETE FROM connections WHERE id = ?", (connection_id,)).rowcount > 0
