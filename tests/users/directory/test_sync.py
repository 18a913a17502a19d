"""Directory syncs against an emulator over HTTP (the real gateway and tasks): the mirror matches the
tenant, picks up what changes outside the portal, and misses nothing however many users change."""

from __future__ import annotations

import uuid

import pytest

from auth0_gateway import gateway, gateway_reset
from tests.users.sync_support import SHARED, demo_organizations, sync_run
from users.models import DirectoryUser, Membership, SyncRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def tenant(auth0_on_emulator):
    return demo_organizations()


def _members(organization) -> set[str]:
    return set(Membership.objects.filter(organization=organization).values_list("user__user_id", flat=True))


def _tenant_users() -> dict[str, dict]:
    auth0 = gateway()
    job = auth0.users_export_start(fields=["user_id", "identities", "app_metadata"])
    while not (job := auth0.job_get(job_id=job.id)).finished:
        pass
    return {u["user_id"]: u for u in auth0.users_export_rows(location=job.location)}


def test_a_full_sync_mirrors_every_user_and_each_modes_members(tenant) -> None:
    run = sync_run("full")
    assert run.status == SyncRun.Status.SUCCEEDED, run.last_error
    users = _tenant_users()
    assert set(DirectoryUser.objects.values_list("user_id", flat=True)) == set(users)
    assert run.users_seen == len(users) and run.users_written == len(users)
    in_acme = {i for i, u in users.items() if any(x["connection"] == "acme-users" for x in u["identities"])}
    in_initech = {i for i, u in users.items() if "initech" in (u.get("app_metadata") or {}).get("organizations", [])}
    globex = {m["user_id"] for m in gateway().organization_members(
        organization_id=tenant["globex"].auth0_organization_id)}
    assert _members(tenant["acme"]) == in_acme and len(in_acme) > 10
    assert _members(tenant["initech"]) == in_initech and len(in_initech) > 10
    assert _members(tenant["globex"]) == globex and len(globex) > 10


def test_changes_made_outside_the_portal_reach_the_mirror_through_delta_and_full_syncs(tenant) -> None:
    assert sync_run("full").status == SyncRun.Status.SUCCEEDED
    auth0 = gateway()
    email = f"outside-{uuid.uuid4().hex[:8]}@initech.test"
    created = auth0.user_create(connection=SHARED, email=email, password="Very-l0ng-passw0rd!",
                                app_metadata={"organizations": ["initech"]})
    changed = auth0.users_by_email(email="user02@initech.test")[0]
    auth0.user_update(user_id=changed["user_id"], name="Renamed Outside", blocked=True)
    try:
        delta = sync_run("delta")
        assert delta.status == SyncRun.Status.SUCCEEDED, delta.last_error
        assert DirectoryUser.objects.get(user_id=created["user_id"]).email == email
        assert created["user_id"] in _members(tenant["initech"])
        renamed = DirectoryUser.objects.get(user_id=changed["user_id"])
        assert (renamed.name, renamed.blocked) == ("Renamed Outside", True)
    finally:
        auth0.user_delete(user_id=created["user_id"])
        auth0.user_update(user_id=changed["user_id"], name=changed["name"], blocked=False)
    # A deletion is not a change search can show: the full sync's reconcile sees it.
    full = sync_run("full")
    assert full.status == SyncRun.Status.SUCCEEDED and full.users_deleted == 1
    assert not DirectoryUser.objects.filter(user_id=created["user_id"]).exists()


def test_a_delta_without_a_full_sync_first_says_so(tenant) -> None:
    run = sync_run("delta")
    assert run.status == SyncRun.Status.FAILED
    assert "No full sync has finished yet" in run.last_error


def test_an_organizations_own_full_sync_touches_its_users_only(tenant) -> None:
    run = sync_run("full", organization=tenant["acme"])
    assert run.status == SyncRun.Status.SUCCEEDED, run.last_error
    connections = set(DirectoryUser.objects.values_list("connection", flat=True))
    assert connections == {"acme-users"}
    assert _members(tenant["acme"]) == set(DirectoryUser.objects.values_list("user_id", flat=True))
    globex = sync_run("full", organization=tenant["globex"])
    assert globex.status == SyncRun.Status.SUCCEEDED, globex.last_error
    assert globex.memberships_added == 0  # its members are not in the mirror yet: each is queued for a refresh


SYNTHETIC_USERS = 2600


@pytest.fixture
def synthetic(emulator_factory, settings):
    """A tenant whose users' updated_at spread over hours of 2024: one delta window holds them all."""
    emulator = emulator_factory("--seed", "synthetic", "--users", str(SYNTHETIC_USERS), "--orgs", "3",
                                "--no-rate-limits")
    settings.AUTH0_DOMAIN, settings.AUTH0_BASE_URL = emulator.domain, emulator.url
    settings.AUTH0_MGMT_AUDIENCE = f"{emulator.url}/api/v2/"
    gateway_reset()
    yield emulator
    gateway_reset()


def test_a_delta_window_holding_more_than_search_pages_through_is_read_completely(synthetic) -> None:
    # As if a full sync had ended just before every user changed.
    SyncRun.objects.create(kind="full", status="succeeded", state={"snapshot_at": "2023-12-31T00:00:00.000Z"})
    run = sync_run("delta", max_steps=1000)
    assert run.status == SyncRun.Status.SUCCEEDED, run.last_error
    assert run.state["splits"] >= 2  # 2,600 in one window: split until each part is under 1,000
    assert DirectoryUser.objects.count() == SYNTHETIC_USERS
    assert set(DirectoryUser.objects.values_list("user_id", flat=True)) == set(_tenant_users())
