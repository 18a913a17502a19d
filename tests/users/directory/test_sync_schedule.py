"""The sync schedule (beat, every minute) and how fresh /healthz says the directory is."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import OrganizationFactory
from users.directory.sync import sync_schedule, sync_status
from users.models import StreamEvent, SyncRun

pytestmark = pytest.mark.django_db
TASK = "users.tasks.directory_sync"


def _run(kind: str, status: str, *, minutes_ago: float, **fields) -> SyncRun:
    when = timezone.now() - dt.timedelta(minutes=minutes_ago)
    run = SyncRun.objects.create(kind=kind, status=status, **fields)
    SyncRun.objects.filter(pk=run.pk).update(started_at=when, updated_at=when,
                                             finished_at=None if status == "running" else when)
    return run


def test_nothing_starts_before_there_is_an_organization(django_capture_on_commit_callbacks, published_tasks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        assert sync_schedule() == []
    assert published_tasks == []


def test_the_first_full_sync_starts_then_deltas_follow_at_their_interval(
    django_capture_on_commit_callbacks, published_tasks, settings
) -> None:
    OrganizationFactory()
    with django_capture_on_commit_callbacks(execute=True):
        sync_schedule()
        sync_schedule()  # the full run is running: not a second one
    assert published_tasks == [TASK] and SyncRun.objects.get().kind == "full"
    SyncRun.objects.update(status="succeeded", finished_at=timezone.now(),
                           state={"snapshot_at": "2025-01-01T00:00:00.000Z"})
    with django_capture_on_commit_callbacks(execute=True):
        sync_schedule()
    assert SyncRun.objects.filter(kind="delta", status="running").count() == 1
    SyncRun.objects.filter(kind="delta").update(status="succeeded", finished_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        sync_schedule()  # the last delta started less than DIRECTORY_DELTA_MINUTES ago
    assert SyncRun.objects.filter(kind="delta").count() == 1
    SyncRun.objects.filter(kind="delta").update(started_at=timezone.now() - dt.timedelta(
        minutes=settings.DIRECTORY_DELTA_MINUTES + 1))
    with django_capture_on_commit_callbacks(execute=True):
        sync_schedule()
    assert SyncRun.objects.filter(kind="delta").count() == 2


def test_a_step_that_died_is_sent_again_and_old_event_ids_are_forgotten(
    django_capture_on_commit_callbacks, published_tasks
) -> None:
    OrganizationFactory()
    _run("full", "succeeded", minutes_ago=5, state={"snapshot_at": "2025-01-01T00:00:00.000Z"})
    stuck = _run("delta", "running", minutes_ago=30)
    old = StreamEvent.objects.create(event_id="old", kind="user.updated")
    StreamEvent.objects.filter(pk=old.pk).update(received_at=timezone.now() - dt.timedelta(days=8))
    StreamEvent.objects.create(event_id="new", kind="user.updated")
    with django_capture_on_commit_callbacks(execute=True):
        done = sync_schedule()
    assert published_tasks == [TASK] and any(f"resent {stuck}" == line for line in done)
    assert list(StreamEvent.objects.values_list("event_id", flat=True)) == ["new"]


def test_health_reports_how_fresh_the_directory_is(client: Client, settings) -> None:
    assert sync_status()["fresh"] is False  # never synced
    _run("full", "succeeded", minutes_ago=60)
    _run("delta", "succeeded", minutes_ago=2)
    body = client.get("/healthz").json()
    assert body["background"]["directory"]["fresh"] is True
    assert 100 < body["background"]["directory"]["last_delta_sync_seconds_ago"] < 200
    SyncRun.objects.filter(kind="delta").update(finished_at=timezone.now() - dt.timedelta(
        minutes=3 * settings.DIRECTORY_DELTA_MINUTES + 1))
    assert client.get("/healthz").json()["background"]["directory"]["fresh"] is False
