"""``manage.py directory_sync`` against the emulator."""

from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command

from tests.users.sync_support import demo_organizations
from users.directory.sync import _lease_key, sync_run_advance, sync_run_start
from users.models import DirectoryUser, Membership, SyncRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def tenant(auth0_on_emulator):
    return demo_organizations()


def test_a_full_sync_runs_here_with_a_progress_bar(tenant) -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command("directory_sync", "--full", stdout=out, stderr=err)
    run = SyncRun.objects.get()
    assert run.status == "succeeded" and run.users_seen == DirectoryUser.objects.count() > 90
    assert "Full import and reconcile done in" in out.getvalue()
    assert f"{run.users_seen} users" in err.getvalue()  # tqdm's bar, on stderr


def test_one_organization(tenant) -> None:
    call_command("directory_sync", "--organization", "acme", stdout=io.StringIO(), stderr=io.StringIO())
    assert set(DirectoryUser.objects.values_list("connection", flat=True)) == {"acme-users"}
    assert Membership.objects.filter(organization=tenant["acme"]).count() == DirectoryUser.objects.count()


def test_bad_input_and_a_failed_sync_are_clear(tenant) -> None:
    with pytest.raises(CommandError, match="There is no organization “nope”"):
        call_command("directory_sync", "--organization", "nope")
    with pytest.raises(CommandError, match="No full sync has finished yet"):
        call_command("directory_sync", stdout=io.StringIO(), stderr=io.StringIO())


def test_queueing_sends_the_run_to_the_workers(tenant, django_capture_on_commit_callbacks, published_tasks) -> None:
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("directory_sync", "--full", "--queue", stdout=out)
    assert published_tasks == ["users.tasks.directory_sync"] and "queued" in out.getvalue()


def test_a_run_someone_else_is_advancing_is_left_to_them(tenant) -> None:
    run = sync_run_start(kind="full", queue=False)
    cache.add(_lease_key(run.pk), True, timeout=60)
    step = sync_run_advance(run_id=run.pk)
    assert step.held and step.wait is None
    run.refresh_from_db()
    assert run.state == {"step": "start"}  # untouched
