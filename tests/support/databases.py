"""A portal database of a run's own, for benchmarks and tests that start real portal processes (which
cannot share pytest's test database: on SQLite it lives in the test process's memory)."""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


@contextmanager
def scratch_database(workdir: Path, prefix: str, *, keep: bool = False) -> Iterator[tuple[str, str]]:
    """A new, empty database: on DATABASE_URL's PostgreSQL server when it names one, else a SQLite file in
    ``workdir``. Yields its URL and vendor; dropped at the end unless ``keep`` (its name is printed)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{workdir / f'{prefix}.sqlite3'}", "sqlite"
        return
    import psycopg

    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    parts = urlsplit(url)
    admin_url = urlunsplit(parts._replace(path="/postgres")).replace("postgres://", "postgresql://", 1)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}")), "postgresql"
    finally:
        if keep:
            print(f"kept database: {name}", file=sys.stderr)
        else:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
