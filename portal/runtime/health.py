"""What /healthz checks: the database and the broker (and, for information, beat's last tick)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import connection
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
