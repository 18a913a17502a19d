"""Requests at the same instant: threads, each with its own database connection, released together.

Only a database server gives each thread a connection of its own (SQLite's in-memory test database is one
connection shared by every thread), so the tests that race through the database are marked
``needs_database_server`` and run in CI's PostgreSQL pass (``.ci/run``), with ``django_db(transaction=True)``
so that each thread sees what the others commit."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

needs_database_server = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs a database server (CI's PostgreSQL pass): SQLite's in-memory test database is one connection")


def simultaneously(request: Callable[[int], Any], count: int) -> list[Any]:
    """Call ``request(n)`` for n in 0..count-1, each in a thread of its own, all released at once; returns what
    each returned or raised (an exception is returned, not raised), in the order of n."""
    outcomes: list[Any] = [None] * count
    start = threading.Barrier(count)

    def run(n: int) -> None:
        try:
            start.wait()
            outcomes[n] = request(n)
        except Exception as exc:  # noqa: BLE001 - the outcome the test looks at
            outcomes[n] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes
