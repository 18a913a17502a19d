"""Persistent state of the emulated tenant: one SQLite file.

The emulator serves requests from a single event loop and its handlers never await while holding
the store, so one connection is enough and no locking is needed. Each feature module declares the
tables it owns with ``register_schema``; ``Store`` creates them all on open.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_SCHEMAS: list[str] = []


def register_schema(sql: str) -> None:
    """Declare tables (``CREATE TABLE IF NOT EXISTS …``) that a feature module owns."""
    _SCHEMAS.append(sql)


register_schema(
    """
    CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS clients (
        client_id TEXT PRIMARY KEY,
        data TEXT NOT NULL
    );
    """
)


class Store:
    def __init__(self, path: str) -> None:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.ensure_schema()

    def ensure_schema(self) -> None:
        for sql in _SCHEMAS:
            self.db.executescript(sql)

    def close(self) -> None:
        self.db.close()

    # -- plain SQL helpers -------------------------------------------------------------------
    def execute(self, sql: str, params: tuple | dict = ()) -> sqlite3.Cursor:
        return self.db.execute(sql, params)

    def executemany(self, sql: str, rows: Any) -> sqlite3.Cursor:
        return self.db.executemany(sql, rows)

    def one(self, sql: str, params: tuple | dict = ()) -> sqlite3.Row | None:
        return self.db.execute(sql, params).fetchone()

    def all(self, sql: str, params: tuple | dict = ()) -> list[sqlite3.Row]:
        return self.db.execute(sql, params).fetchall()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE … COMMIT; nested use joins the outer transaction."""
        if self.db.in_transaction:
            yield
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # -- small key/value settings (signing key, seed marker, …) ------------------------------
    def kv_get(self, key: str, default: Any = None) -> Any:
        row = self.one("SELECT value FROM kv WHERE key = ?", (key,))
        return json.loads(row["value"]) if row else default

    def kv_set(self, key: str, value: Any) -> None:
        self.execute(
            "INSERT INTO kv(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value)),
        )

    # -- application clients (the portal's OIDC client, its Management API client, tools) ---
    def client_get(self, client_id: str) -> dict | None:
        row = self.one("SELECT data FROM clients WHERE client_id = ?", (client_id,))
        return json.loads(row["data"]) if row else None

    def client_put(self, client: dict) -> None:
        self.execute(
            "INSERT INTO clients(client_id, data) VALUES (?, ?) "
            "ON CONFLICT(client_id) DO UPDATE SET data = excluded.data",
            (client["client_id"], json.dumps(client)),
        )

    def client_list(self) -> list[dict]:
        return [json.loads(r["data"]) for r in self.all("SELECT data FROM clients ORDER BY client_id")]

    def wipe(self) -> None:
        """Drop every table (the test-controls reset); ``ensure_schema`` recreates them."""
        tables = [r["name"] for r in self.all("SELECT name FROM sqlite_master WHERE type = 'table'")]
        self.db.execute("PRAGMA foreign_keys=OFF")
        for name in tables:
            self.db.execute(f'DROP TABLE IF EXISTS "{name}"')
        self.db.execute("PRAGMA foreign_keys=ON")
        self.ensure_schema()
