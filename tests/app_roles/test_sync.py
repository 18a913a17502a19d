"""The directory's mirror of who holds which application role, kept from Auth0: the full sync (against the
emulator over HTTP, through the real task) finds roles given outside the portal, keeps the portal's grants while
Auth0 holds them, and drops what Auth0 took away; its step goes on where it stopped; a person's refresh reads
their roles again; and Auth0's pushes about roles queue that refresh, not the person's."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from app_roles.acts import app_role_assign_request
from app_roles.catalog import tenant_roles_refresh
from app_roles.models import AppRoleGrant, GrantableRole, TenantRole
from app_roles.sync import app_roles_sync, person_app_roles_refresh
from app_roles.tasks import app_role_assign
from auth0_gateway import gateway
from tests.app_roles.conftest import BILLING, EDITOR, VIEWER
from tests.users.org_modes import admin_of, member_create
from tests.users.sync_support import sync_run
from users.directory.refresh import directory_user_refresh
from users.models import StreamEvent, SyncRun

pytestmark = pytest.mark.django_db
ROLES_REFRESH = "app_roles.tasks.person_app_roles_refresh"
USER_REFRESH = "users.tasks.directory_user_refresh"


def grants(user_id: str) -> set[tuple[str, str | None]]:
    return set(AppRoleGrant.objects.filter(user__user_id=user_id).values_list("role_id", "organization__slug"))


def test_the_full_sync_mirrors_roles_given_outside_the_portal_and_drops_those_taken_away(modes) -> None:
    acme, globex = modes["acme"], modes["globex"]
    outside, granted, member = member_create(acme), member_create(acme), member_create(globex)
    auth0 = gateway()
    auth0.user_roles_assign(user_id=outside["user_id"], role_ids=[VIEWER, BILLING])
    operation = app_role_assign_request(actor=admin_of(acme), organization=acme, user_id=granted["user_id"],
                                        role_id=EDITOR)
    app_role_assign.apply(args=[str(operation.pk)])
    auth0.organization_member_roles_assign(organization_id=globex.auth0_organization_id, user_id=member["user_id"],
                                           role_ids=[EDITOR])
    assert sync_run("full").status == SyncRun.Status.SUCCEEDED
    assert grants(outside["user_id"]) == {(VIEWER, None), (BILLING, None)}
    assert grants(granted["user_id"]) == {(EDITOR, "acme")}  # the portal's grant, confirmed
    assert grants(member["user_id"]) == {(EDITOR, "globex")}
    assert AppRoleGrant.objects.get(user__user_id=member["user_id"]).membership.organization == globex
    # Taken away in Auth0: the next full sync drops them, grants of the portal's included.
    auth0.user_roles_remove(user_id=outside["user_id"], role_ids=[BILLING])
    auth0.user_roles_remove(user_id=granted["user_id"], role_ids=[EDITOR])
    auth0.organization_member_roles_remove(organization_id=globex.auth0_organization_id, user_id=member["user_id"],
                                           role_ids=[EDITOR])
    run = sync_run("full")
    assert run.status == SyncRun.Status.SUCCEEDED and "app_roles" in run.state
    assert grants(outside["user_id"]) == {(VIEWER, None)}
    assert grants(granted["user_id"]) == set() and grants(member["user_id"]) == set()


def test_the_sync_step_goes_on_where_it_stopped(modes) -> None:
    person = member_create(modes["acme"])
    gateway().user_roles_assign(user_id=person["user_id"], role_ids=[VIEWER, EDITOR])
    saved: list[dict] = []
    # An earlier try read the roles and Viewer's holders, then waited for the budget.
    progress = {"started": "2020-01-01T00:00:00+00:00", "done": ["roles", f"role:{VIEWER}"]}
    app_roles_sync(organization=None, progress=progress, save=saved.append)
    assert grants(person["user_id"]) == {(EDITOR, None)}  # Viewer's holders were not read again
    assert saved[0]["done"][:2] == ["roles", f"role:{VIEWER}"] and len(saved[0]["done"]) == 3  # one more role read
    assert f"organization:{modes['globex'].pk}" in saved[-1]["done"] and saved[-1]["started"] == progress["started"]


def test_an_organizations_own_sync_reads_its_member_roles_only(modes) -> None:
    globex = modes["globex"]
    member, other = member_create(globex), member_create(modes["acme"])
    gateway().organization_member_roles_assign(organization_id=globex.auth0_organization_id,
                                               user_id=member["user_id"], role_ids=[VIEWER])
    gateway().user_roles_assign(user_id=other["user_id"], role_ids=[VIEWER])
    progress = app_roles_sync(organization=globex, progress={}, save=lambda progress: None)
    assert progress == {"roles_and_organizations_read": 1}
    assert grants(member["user_id"]) == {(VIEWER, "globex")} and grants(other["user_id"]) == set()


def test_a_persons_refresh_reads_their_roles_in_the_tenant_and_in_their_auth0_organizations(modes) -> None:
    globex = modes["globex"]
    person = member_create(globex)
    auth0 = gateway()
    auth0.user_roles_assign(user_id=person["user_id"], role_ids=[BILLING])
    auth0.organization_member_roles_assign(organization_id=globex.auth0_organization_id, user_id=person["user_id"],
                                           role_ids=[VIEWER, EDITOR])
    assert person_app_roles_refresh(user_id=person["user_id"]) == "updated"
    assert grants(person["user_id"]) == {(BILLING, None), (VIEWER, "globex"), (EDITOR, "globex")}
    auth0.organization_member_roles_remove(organization_id=globex.auth0_organization_id, user_id=person["user_id"],
                                           role_ids=[EDITOR])
    auth0.user_roles_remove(user_id=person["user_id"], role_ids=[BILLING])
    person_app_roles_refresh(user_id=person["user_id"])
    assert grants(person["user_id"]) == {(VIEWER, "globex")}
    # Ending the membership ends its member roles in the mirror too, as in Auth0.
    auth0.organization_members_remove(organization_id=globex.auth0_organization_id, user_ids=[person["user_id"]])
    directory_user_refresh(user_id=person["user_id"])
    assert grants(person["user_id"]) == set()
    assert person_app_roles_refresh(user_id="auth0|" + "0" * 24) == "unknown"


def test_a_role_deleted_in_auth0_goes_from_the_mirror_the_grantable_sets_and_the_holdings(modes) -> None:
    auth0 = gateway()
    role = auth0.role_create(name="Short-lived", description="Made and deleted by a test")
    try:
        tenant_roles_refresh()
        assert TenantRole.objects.get(pk=role["id"]).description == "Made and deleted by a test"
        person = member_create(modes["acme"])
        GrantableRole.objects.create(organization=modes["acme"], role_id=role["id"], label="Short")
        auth0.user_roles_assign(user_id=person["user_id"], role_ids=[role["id"]])
        person_app_roles_refresh(user_id=person["user_id"])
        assert grants(person["user_id"]) == {(role["id"], None)}
    finally:
        auth0.role_delete(role_id=role["id"])
    assert tenant_roles_refresh()["removed"] == 1
    assert not TenantRole.objects.filter(pk=role["id"]).exists()
    assert not GrantableRole.objects.filter(role_id=role["id"]).exists() and grants(person["user_id"]) == set()


def _cloud_event(event_id: str, kind: str, user_id: str) -> str:
    return json.dumps({"specversion": "1.0", "id": event_id, "type": kind, "source": "urn:auth0:tenant",
                       "data": {"object": {"organization": {"id": "org_1"}, "user": {"user_id": user_id},
                                           "role": {"id": VIEWER, "name": "Viewer"}}}})


def test_pushed_role_changes_refresh_the_persons_roles(client: Client, settings, django_capture_on_commit_callbacks,
                                                       published_tasks) -> None:
    settings.DIRECTORY_STREAM_TOKEN = "roles-token"
    auth = {"HTTP_AUTHORIZATION": "Bearer roles-token"}
    log = [{"log_id": "91001", "data": {"type": "sapi", "client_id": "someone-else", "user_id": "",
                                         "details": {"request": {"method": "post",
                                                                 "path": "/api/v2/users/auth0%7Cb/roles"}}}},
           {"log_id": "91002", "data": {"type": "sapi", "client_id": "someone-else", "user_id": "",
                                         "details": {"request": {"method": "patch",
                                                                 "path": "/api/v2/users/auth0%7Cc"}}}}]
    with django_capture_on_commit_callbacks(execute=True):
        for event_id, kind in (("evt_r1", "organization.member.role.assigned"),
                               ("evt_r2", "organization.member.role.deleted")):
            response = client.post("/hooks/auth0", data=_cloud_event(event_id, kind, "auth0|a"),
                                   content_type="application/json", **auth)
            assert response.status_code == 202
        client.post("/hooks/auth0", data=json.dumps(log), content_type="application/json", **auth)
    # Once per person while queued: a's two role events, b's roles changed through the Management API; c changed.
    assert sorted(published_tasks) == sorted([ROLES_REFRESH, ROLES_REFRESH, USER_REFRESH])
    assert set(StreamEvent.objects.values_list("user_id", flat=True)) == {"auth0|a", "auth0|b", "auth0|c"}
