"""What the health endpoints check.

- ``/healthz``: the database and the broker (and, for information, beat's last tick and the directory's
  freshness); kept as it was for load balancers, compose and the tests.
- ``/healthz/live`` (Kubernetes' liveness probe): the process answers; it touches nothing else, so a
  database outage never makes Kubernetes restart every web pod at once.
- ``/healthz/ready`` (the readiness probe): the database, the broker and the cache answer and every
  migration of this code is applied; otherwise 503 naming what is not ready, and the pod gets no traffic.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from django.utils.module_loading import import_string

from portal.celery import app
from portal.models import ProcessHeartbeat

log = logging.getLogger(__name__)


def database_check() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        log.warning("health: database check failed: %s", exc)
        return "unavailable"
    return "ok"


def broker_check() -> str:
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=3)
    except Exception as exc:
        log.warning("health: broker check failed: %s", exc)
        return "unavailable"
    return "ok"


def beat_age_seconds() -> float | None:
    """Seconds since beat's heartbeat was last run by a worker, or None if never."""
    try:
        beat = ProcessHeartbeat.objects.filter(name="beat").first()
    except Exception:
        return None
    if beat is None:
        return None
    return round((timezone.now() - beat.last_seen).total_seconds(), 1)


def health_report() -> tuple[bool, dict]:
    checks = {"database": database_check(), "broker": broker_check()}
    healthy = all(v == "ok" for v in checks.values())
    age = beat_age_seconds() if checks["database"] == "ok" else None
    background = {
        "beat_last_seen_seconds_ago": age,
        # Informational: a stale heartbeat means no worker or no beat, but the web process still serves.
        "beat_fresh": age is not None and age < 3 * settings.HEARTBEAT_SECONDS,
    }
    if checks["database"] == "ok":
        # Informational too (the packages above the base add theirs: PORTAL_HEALTH_REPORTS).
        for path in settings.PORTAL_HEALTH_REPORTS:
            try:
                background.update(import_string(path)())
            except Exception as exc:
                log.warning("health: %s failed: %s", path, exc)
                background[path.rsplit(".", 1)[-1]] = "unavailable"
    return healthy, {"status": "ok" if healthy else "unavailable", "checks": checks, "background": background}


def cache_check() -> str:
    """The shared cache answers (a write and a read of a key of its own)."""
    try:
        cache.set("portal:health:ready", "1", timeout=30)
        if cache.get("portal:health:ready") != "1":
            raise RuntimeError("the value written could not be read back")
    except Exception as exc:
        log.warning("health: cache check failed: %s", exc)
        return "unavailable"
    return "ok"


# Once this code's migrations are all applied they stay applied: the process stops asking (reading the
# migration files and the migrations table costs more than every other check together).
_migrations_applied = False


def migrations_check() -> str:
    """"ok" when every migration of this code is applied; "pending" while some are not (a rolling upgrade
    whose migration Job has not finished yet); "unavailable" when the database could not be asked."""
    global _migrations_applied
    if _migrations_applied:
        return "ok"
    try:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:
        log.warning("health: migrations check failed: %s", exc)
        return "unavailable"
    if plan:
        return "pending"
    _migrations_applied = True
    return "ok"


def live_report() -> dict:
    """The process answers: nothing else is asked (no database, no broker)."""
    return {"status": "ok"}


def ready_report() -> tuple[bool, dict]:
    """Whether this process may take traffic: every dependency answers and the schema is this code's."""
    checks = {"database": database_check(), "broker": broker_check(), "cache": cache_check()}
    checks["migrations"] = migrations_check() if checks["database"] == "ok" else "unavailable"
    not_ready = sorted(name for name, state in checks.items() if state != "ok")
    report = {"status": "ok" if not not_ready else "unavailable", "checks": checks}
    if not_ready:
        report["not_ready"] = not_ready
    return not not_ready, report
