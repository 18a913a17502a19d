"""Application roles over the API: the roles an organization may grant, a user's roles as the caller may see them,
assign (POST) and remove (DELETE) answering 202 with the operation and an Idempotency-Key's replay, the tasks run
with ``.apply()`` against the emulator; the user list's ``app_role`` filter; the invitation's ``roles``. A role
outside the organization's grantable set is a 400 on its field, in the API's error shape, and changes nothing."""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone

from api.models import IdempotentRequest
from app_roles.catalog import tenant_roles_refresh
from app_roles.models import AppRoleGrant, GrantableRole
from app_roles.tasks import app_role_assign, app_role_remove
from auth0_emulator.seed import demo_role_id
from auth0_gateway import gateway
from organizations.models import MembershipMode
from portal.models import AuditEvent, Operation
from tests.api.conftest import acme_user
from tests.factories import OrganizationFactory
from tests.support.api_tokens import register, tool_token
from tests.users.auth0_users import auth0_user
from users.directory.mirror import directory_users_upsert
from users.models import DirectoryUser

pytestmark = pytest.mark.django_db

VIEWER, EDITOR, BILLING = (demo_role_id(name) for name in ("Viewer", "Editor", "Billing admin"))
USERS = "/api/v1/organizations/acme/users/"


@pytest.fixture
def acme(api_on_changing_emulator):
    acme = OrganizationFactory(slug="acme", display_name="Acme", connection_name="acme-users",
                               membership_mode=MembershipMode.ISOLATED_CONNECTION, auth0_connection_id="con_a")
    tenant_roles_refresh()
    GrantableRole.objects.create(organization=acme, role_id=VIEWER, label="Reader", description="Reads",
                                 is_default=True)
    GrantableRole.objects.create(organization=acme, role_id=EDITOR, label="Writer", description="Writes")
    return acme


@pytest.fixture
def tool(acme_tool):
    return acme_tool


def state() -> tuple:
    return (Operation.objects.count(), AuditEvent.objects.count(), IdempotentRequest.objects.count(),
            AppRoleGrant.objects.count())


def run(task, operation_id: str) -> Operation:
    task.apply(args=[operation_id])
    return Operation.objects.get(pk=operation_id)


def test_the_grantable_roles_by_label(tool) -> None:
    response = tool.get("/api/v1/organizations/acme/app-roles/")
    assert response.status_code == 200
    assert response.json() == [
        {"role_id": VIEWER, "label": "Reader", "description": "Reads", "default": True},
        {"role_id": EDITOR, "label": "Writer", "description": "Writes", "default": False},
    ]


def test_assign_list_filter_and_remove(tool, acme) -> None:
    user = acme_user()
    roles_url = f"{USERS}{user['user_id']}/roles/"
    assert tool.get(roles_url).json() == []
    response = tool.post(roles_url, {"role_id": EDITOR}, format="json", HTTP_IDEMPOTENCY_KEY="assign-1")
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["kind"], body["kind_label"], body["target"]) == ("app_role_assign", "Assign an application role",
                                                                 user["user_id"])
    assert response["Location"] == body["url"]
    replayed = tool.post(roles_url, {"role_id": EDITOR}, format="json", HTTP_IDEMPOTENCY_KEY="assign-1")
    assert replayed.status_code == 202 and replayed.json()["id"] == body["id"]
    assert replayed["Idempotent-Replayed"] == "true"
    reused = tool.post(roles_url, {"role_id": VIEWER}, format="json", HTTP_IDEMPOTENCY_KEY="assign-1")
    assert reused.status_code == 422 and reused.json()["error"] == "idempotency_key_reused"
    assert Operation.objects.filter(kind="app_role_assign").count() == 1

    assert run(app_role_assign, body["id"]).status == "succeeded"
    assert {r["id"] for r in gateway().user_roles(user_id=user["user_id"])} == {EDITOR}
    assert tool.get(roles_url).json() == [{
        "role_id": EDITOR, "label": "Writer", "description": "Writes", "granted_by": "Acme",
        "granted_by_organization": "acme", "granted_here": True}]
    listed = tool.get(USERS, {"app_role": EDITOR}).json()
    assert listed["total"] == 1 and [u["user_id"] for u in listed["results"]] == [user["user_id"]]
    assert tool.get(USERS, {"app_role": VIEWER}).json()["total"] == 0

    removal = tool.delete(f"{roles_url}{EDITOR}/", HTTP_IDEMPOTENCY_KEY="remove-1")
    assert removal.status_code == 202, removal.content
    assert tool.delete(f"{roles_url}{EDITOR}/", HTTP_IDEMPOTENCY_KEY="remove-1").json()["id"] == removal.json()["id"]
    removed = run(app_role_remove, removal.json()["id"])
    assert removed.status == "succeeded" and removed.result["removed_in_auth0"] is True
    assert gateway().user_roles(user_id=user["user_id"]) == []
    assert tool.get(roles_url).json() == []


def test_a_role_outside_the_set_is_a_400_on_its_field_and_changes_nothing(tool, acme) -> None:
    user = acme_user()
    roles_url = f"{USERS}{user['user_id']}/roles/"
    refused = f"“{BILLING}” is not an application role Acme may grant."
    before = state()
    for response, field in (
        (tool.post(roles_url, {"role_id": BILLING}, format="json", HTTP_IDEMPOTENCY_KEY="outside"), "role_id"),
        (tool.delete(f"{roles_url}{BILLING}/"), "role_id"),
        (tool.get(USERS, {"app_role": BILLING}), "app_role"),
        (tool.post(USERS, {"email": "new@acme.test", "roles": [VIEWER, BILLING]}, format="json"), "roles"),
    ):
        assert response.status_code == 400, response.content
        assert response.json() == {"error": "invalid_request", "detail": "Some of the input is not valid: see errors.",
                                   "errors": {field: [refused]}}
    # A role Acme granted nobody is not Acme's to remove, even one it may grant.
    not_granted = tool.delete(f"{roles_url}{VIEWER}/")
    assert not_granted.status_code == 400 and list(not_granted.json()["errors"]) == ["role_id"]
    # The body is exactly its fields.
    assert set(tool.post(roles_url, {"role": EDITOR}, format="json").json()["errors"]) == {"role", "role_id"}
    assert state() == before
    assert gateway().user_roles(user_id=user["user_id"]) == []


def test_an_organization_that_grants_no_role_refuses_the_filter(tool, acme) -> None:
    GrantableRole.objects.filter(organization=acme).delete()
    response = tool.get(USERS, {"app_role": EDITOR})
    assert response.status_code == 400 and list(response.json()["errors"]) == ["app_role"]


def test_the_invitation_takes_roles_and_gives_them_once_the_person_is_ready(tool, acme) -> None:
    email = f"new-{uuid.uuid4().hex[:8]}@acme.test"
    response = tool.post(USERS, {"email": email, "roles": [EDITOR]}, format="json")
    assert response.status_code == 202, response.content
    invitation = Operation.objects.get(pk=response.json()["id"])
    assert invitation.payload["app_role_ids"] == [EDITOR]


def test_what_each_caller_sees_of_a_persons_roles(api_on_changing_emulator, changing_emulator) -> None:
    """In the shared mode: an organization's tool sees its own grants, and the roles it may grant held through
    another's grant without whose; a company-wide tool sees every grant and who made it. Nobody else's labels."""
    initech, umbrella = (OrganizationFactory(slug=slug, display_name=slug.title(),
                                             connection_name="Username-Password-Authentication",
                                             membership_mode=MembershipMode.SHARED_CONNECTION,
                                             auth0_connection_id="con_s") for slug in ("initech", "umbrella"))
    tenant_roles_refresh()
    GrantableRole.objects.create(organization=initech, role_id=VIEWER, label="Initech reader")
    GrantableRole.objects.create(organization=initech, role_id=EDITOR, label="Initech writer")
    GrantableRole.objects.create(organization=umbrella, role_id=EDITOR, label="Umbrella secret editor")
    both = auth0_user(email="both@partner.test", app_metadata={"organizations": ["initech", "umbrella"]})
    directory_users_upsert([both])
    person, now = DirectoryUser.objects.get(user_id=both["user_id"]), timezone.now()
    for role_id, organization in ((VIEWER, initech), (EDITOR, umbrella)):
        AppRoleGrant.objects.create(user=person, role_id=role_id, scope="tenant", organization=organization,
                                    granted_at=now, confirmed_at=now)
    url = f"/api/v1/organizations/initech/users/{both['user_id']}/roles/"
    register("portal-tool-acme-dev", organizations=[initech])
    scoped = api_on_changing_emulator(tool_token(changing_emulator, "portal-tool-acme-dev",
                                                 "portal-tool-acme-dev-secret")).get(url)
    assert scoped.status_code == 200
    assert [(r["label"], r["granted_by"], r["granted_by_organization"], r["granted_here"]) for r in scoped.json()] == [
        ("Initech reader", "Initech", "initech", True),
        ("Initech writer", "Not Initech: held through another grant", None, False)]
    assert "Umbrella" not in scoped.content.decode()
    register()
    everyone = api_on_changing_emulator(tool_token(changing_emulator)).get(url).json()
    assert [(r["label"], r["granted_by_organization"], r["granted_here"]) for r in everyone] == [
        ("Initech writer", "umbrella", False), ("Initech reader", "initech", True)]
