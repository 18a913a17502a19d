from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from portal.celery import app
from portal.models import ProcessHeartbeat
from portal.tasks import heartbeat_record
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_broker(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {"database": "ok", "broker": "ok"}
    assert body["background"]["beat_last_seen_seconds_ago"] is None
    assert response["Cache-Control"].startswith("max-age=0")


def test_healthz_is_503_when_the_broker_is_unreachable(client: Client, monkeypatch) -> None:
    unreachable = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    # Celery lets the CELERY_BROKER_URL variable win over its configuration, so change both.
    monkeypatch.setenv("CELERY_BROKER_URL", unreachable)
    monkeypatch.setitem(app.conf, "broker_url", unreachable)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "broker": "unavailable"}


def test_heartbeat_task_records_beat(client: Client) -> None:
    heartbeat_record.apply(args=("beat",)).get()
    heartbeat_record.apply(args=("beat",)).get()
    beat = ProcessHeartbeat.objects.get(name="beat")
    assert beat.beats == 2
    assert (timezone.now() - beat.last_seen).total_seconds() < 60
    background = client.get("/healthz").json()["background"]
    assert background["beat_fresh"] is True


def test_healthz_only_answers_get(client: Client) -> None:
    assert client.post("/healthz").status_code == 405


def test_beat_sends_every_scheduled_task_as_soon_as_it_starts(published_tasks, settings) -> None:
    """Beat's interval schedule would first fire one interval after start, leaving /healthz reporting
    beat as stale for that long: on start (Celery's real beat_init signal) it sends each one at once."""
    from celery.signals import beat_init

    beat_init.send(sender=None)
    assert published_tasks == [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()]
    assert "portal.tasks.heartbeat_record" in published_tasks


def test_a_missing_page_says_so_in_the_portals_layout(client: Client) -> None:
    response = client.get("/o/no-such-organization/")
    assert response.status_code in (302, 404)  # anonymous people are sent to sign in first
    client.force_login(UserFactory())
    response = client.get("/o/no-such-organization/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "<h1" in page and "Not found" in page and 'lang="en"' in page


# -- the Kubernetes probes ------------------------------------------------------------------------------
def test_live_answers_without_asking_the_database(client: Client, django_assert_num_queries) -> None:
    with django_assert_num_queries(0):
        response = client.get("/healthz/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"].startswith("max-age=0")


def test_ready_checks_database_broker_cache_and_migrations(client: Client) -> None:
    response = client.get("/healthz/ready")
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok", "cache": "ok",
                                                          "migrations": "ok"}}


def test_ready_is_503_naming_the_unreachable_broker(client: Client, monkeypatch) -> None:
    unreachable = "redis://127.0.0.1:1/0"
    monkeypatch.setenv("CELERY_BROKER_URL", unreachable)
    monkeypatch.setitem(app.conf, "broker_url", unreachable)
    response = client.get("/healthz/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["not_ready"] == ["broker"]
    assert body["checks"]["database"] == "ok"


def test_ready_is_503_naming_the_unreachable_cache(client: Client, settings) -> None:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0"}}
    response = client.get("/healthz/ready")
    assert response.status_code == 503
    assert response.json()["not_ready"] == ["cache"]


def test_ready_is_503_while_a_migration_is_not_applied(client: Client, monkeypatch) -> None:
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.recorder import MigrationRecorder

    from portal.runtime import health

    monkeypatch.setattr(health, "_migrations_applied", False)
    # As if the upgrade's migration Job had not run yet: the newest migration of the base is not recorded.
    newest = next(name for app, name in MigrationLoader(connection).graph.leaf_nodes() if app == "portal")
    MigrationRecorder(connection).record_unapplied("portal", newest)
    response = client.get("/healthz/ready")
    assert response.status_code == 503
    assert response.json()["not_ready"] == ["migrations"]
    assert response.json()["checks"]["migrations"] == "pending"
    MigrationRecorder(connection).record_applied("portal", newest)
    assert client.get("/healthz/ready").status_code == 200


def test_probes_answer_a_pod_address_over_plain_http(settings) -> None:
    """Kubernetes asks by the pod's IP over HTTP: neither the host check nor the HTTPS redirect may stop
    the probes, while every other page still gets both."""
    settings.ALLOWED_HOSTS = ["portal.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    probe = Client(HTTP_HOST="10.1.2.3:8000")
    assert probe.get("/healthz/live").status_code == 200
    assert probe.get("/healthz/ready").status_code == 200
    assert probe.get("/healthz").status_code == 400  # the old endpoint keeps Django's host check
    assert Client(HTTP_HOST="portal.example.com").get("/healthz/live").status_code == 200
    assert Client(HTTP_HOST="portal.example.com").get("/login/").status_code == 301


def test_probes_only_answer_get(client: Client) -> None:
    assert client.post("/healthz/live").status_code == 405
    assert client.post("/healthz/ready").status_code == 405
