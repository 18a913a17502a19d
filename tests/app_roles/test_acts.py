"""Assigning and removing application roles, both halves, the applies run with ``.apply()`` against the emulator
over HTTP: the right Auth0 call for each membership mode, the directory's mirror written through, the audit
trail's before and after; roles outside the grantable set refused beside the field with nothing recorded; the
rules checked again when the task runs; a retry harmless; and, in the shared mode, one organization's removal
leaving another's grant (and the role in Auth0) alone."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from app_roles.acts import (
    app_role_assign_apply,
    app_role_assign_request,
    app_role_remove_apply,
    app_role_remove_request,
)
from app_roles.models import AppRoleGrant, GrantableRole
from app_roles.sync import person_app_roles_refresh
from app_roles.tasks import app_role_assign, app_role_remove
from auth0_gateway import gateway
from organizations.models import MembershipMode, OrganizationRole
from organizations.selectors import principal_for_user_id
from portal.models import AuditEvent, Operation
from tests.app_roles.conftest import BILLING, EDITOR, VIEWER, grantable
from tests.factories import CompanyAdminFactory, OrganizationFactory
from tests.users.org_modes import SHARED, admin_of, member_create
from users.acts.block_here import user_block_here_request
from users.acts.removal import user_remove_apply, user_remove_request
from users.tasks import user_block_here, user_remove

pytestmark = pytest.mark.django_db


def auth0_roles(organization, user_id: str) -> set[str]:
    """The roles Auth0 holds for the person as ``organization`` grants them."""
    auth0 = gateway()
    if organization.membership_mode == MembershipMode.AUTH0_ORGANIZATION:
        return {r["id"] for r in auth0.organization_member_roles(organization_id=organization.auth0_organization_id,
                                                                 user_id=user_id)}
    return {r["id"] for r in auth0.user_roles(user_id=user_id)}


def run(task, operation: Operation) -> Operation:
    task.apply(args=[str(operation.pk)])
    operation.refresh_from_db()
    return operation


def grants(user_id: str) -> set[tuple[str, str | None]]:
    return set(AppRoleGrant.objects.filter(user__user_id=user_id).values_list("role_id", "organization__slug"))


def initech_and_umbrella(modes) -> tuple:
    """Initech and Umbrella, both of the shared connection, Umbrella granting Editor as its own; a person of both,
    and an admin of each."""
    initech = modes["initech"]
    umbrella = OrganizationFactory(slug="umbrella", display_name="Umbrella", connection_name=SHARED,
                                   membership_mode=MembershipMode.SHARED_CONNECTION, auth0_connection_id="con_s")
    grantable(umbrella, (EDITOR, "Umbrella editor"))
    return initech, umbrella, member_create(initech, also=("umbrella",)), admin_of(initech), admin_of(umbrella)


@pytest.mark.parametrize("slug", ["acme", "initech", "globex"])
def test_assign_then_remove_in_each_membership_mode(modes, slug) -> None:
    organization = modes[slug]
    admin = admin_of(organization)
    person = member_create(organization)
    assigned = app_role_assign_request(actor=admin, organization=organization, user_id=person["user_id"],
                                       role_id=EDITOR)
    assert (assigned.target, assigned.payload["label"]) == (person["user_id"], f"{organization.display_name} editor")
    requested = AuditEvent.objects.get(operation=assigned, action="app_role_assign.requested")
    assert requested.details["before"] == [] and requested.details["after"] == [f"{organization.display_name} editor"]
    assert run(app_role_assign, assigned).status == "succeeded", assigned.last_error
    assert auth0_roles(organization, person["user_id"]) == {EDITOR}
    assert grants(person["user_id"]) == {(EDITOR, slug)}
    scope = AppRoleGrant.objects.get(user__user_id=person["user_id"]).scope
    assert scope == ("organization" if slug == "globex" else "tenant")
    done = AuditEvent.objects.get(operation=assigned, action="app_role_assign.succeeded")
    assert done.details["result"]["after"] == [f"{organization.display_name} editor"]
    if slug == "globex":  # a member role: not the user's role in the whole tenant
        assert gateway().user_roles(user_id=person["user_id"]) == []
    removed = run(app_role_remove, app_role_remove_request(actor=admin, organization=organization,
                                                           user_id=person["user_id"], role_id=EDITOR))
    assert removed.status == "succeeded", removed.last_error
    assert removed.result["before"] == [f"{organization.display_name} editor"] and removed.result["after"] == []
    assert auth0_roles(organization, person["user_id"]) == set()
    assert grants(person["user_id"]) == set()


def test_a_role_outside_the_grantable_set_is_refused_and_nothing_is_recorded(modes) -> None:
    acme = modes["acme"]
    admin, person = admin_of(acme), member_create(acme)
    for role_id in (BILLING, "rol_0000000000000000", "' OR 1=1 --"):
        with pytest.raises(ValidationError) as refused:
            app_role_assign_request(actor=admin, organization=acme, user_id=person["user_id"], role_id=role_id)
        assert refused.value.message_dict["role"] == [f"“{role_id}” is not an application role Acme may grant."]
        with pytest.raises(ValidationError):
            app_role_remove_request(actor=admin, organization=acme, user_id=person["user_id"], role_id=role_id)
    # Another organization's grantable role is not Acme's either.
    grantable(modes["initech"], (BILLING, "Initech billing"))
    with pytest.raises(ValidationError):
        app_role_assign_request(actor=admin, organization=acme, user_id=person["user_id"], role_id=BILLING)
    assert not Operation.objects.exists() and not AuditEvent.objects.filter(action__startswith="app_role").exists()
    assert auth0_roles(acme, person["user_id"]) == set()


def test_who_may_assign(modes) -> None:
    acme = modes["acme"]
    person = member_create(acme)
    viewer = admin_of(acme)
    OrganizationRole.objects.filter(user_id=viewer.user_id).update(role="viewer")
    with pytest.raises(PermissionDenied):
        app_role_assign_request(actor=principal_for_user_id(viewer.user_id), organization=acme,
                                user_id=person["user_id"], role_id=EDITOR)
    # An organization's admins never act on a company admin.
    boss = member_create(acme)
    CompanyAdminFactory(user_id=boss["user_id"])
    with pytest.raises(PermissionDenied):
        app_role_assign_request(actor=admin_of(acme), organization=acme, user_id=boss["user_id"], role_id=EDITOR)
    assert not Operation.objects.exists()


def test_asking_twice_is_refused_while_on_its_way_and_once_held(modes) -> None:
    acme = modes["acme"]
    admin, person = admin_of(acme), member_create(acme)
    first = app_role_assign_request(actor=admin, organization=acme, user_id=person["user_id"], role_id=VIEWER)
    with pytest.raises(ValidationError, match="already on its way"):
        app_role_assign_request(actor=admin, organization=acme, user_id=person["user_id"], role_id=VIEWER)
    assert run(app_role_assign, first).status == "succeeded"
    with pytest.raises(ValidationError, match="already holds Acme viewer"):
        app_role_assign_request(actor=admin, organization=acme, user_id=person["user_id"], role_id=VIEWER)
    again = app_role_assign_request(actor=admin, organization=acme, user_id=person["user_id"], role_id=EDITOR,
                                    idempotency_key="same-form")
    assert app_role_assign_request(actor=admin, organization=acme, user_id=person["user_id"], role_id=EDITOR,
                                   idempotency_key="same-form") == again


def test_the_task_checks_again_as_things_are_when_it_runs(modes) -> None:
    acme = modes["acme"]
    admin, person = admin_of(acme), member_create(acme)
    ungrantable = app_role_assign_request(actor=admin, organization=acme, user_id=person["user_id"], role_id=EDITOR)
    GrantableRole.objects.filter(organization=acme, role_id=EDITOR).delete()
    assert run(app_role_assign, ungrantable).status == "failed"
    assert ungrantable.last_error == "Acme editor is no longer an application role Acme may grant."
    demoted = app_role_assign_request(actor=admin, organization=acme, user_id=person["user_id"], role_id=VIEWER)
    OrganizationRole.objects.filter(user_id=admin.user_id).delete()
    assert run(app_role_assign, demoted).status == "failed"
    assert auth0_roles(acme, person["user_id"]) == set() and grants(person["user_id"]) == set()


def test_running_twice_is_harmless(modes) -> None:
    """A worker killed after Auth0 answered: the operation runs again and finds the role there, or gone."""
    globex = modes["globex"]
    admin, person = admin_of(globex), member_create(globex)
    operation = app_role_assign_request(actor=admin, organization=globex, user_id=person["user_id"], role_id=VIEWER)
    assert app_role_assign_apply(operation)["after"] == ["Globex viewer"]
    assert app_role_assign_apply(operation)["after"] == ["Globex viewer"]
    assert auth0_roles(globex, person["user_id"]) == {VIEWER} and grants(person["user_id"]) == {(VIEWER, "globex")}
    removal = app_role_remove_request(actor=admin, organization=globex, user_id=person["user_id"], role_id=VIEWER)
    assert app_role_remove_apply(removal)["removed_in_auth0"] is True
    assert app_role_remove_apply(removal)["already_gone"] is True
    assert auth0_roles(globex, person["user_id"]) == set()


def test_in_the_shared_mode_a_removal_ends_its_own_grant_only(modes) -> None:
    initech, umbrella, person, initech_admin, umbrella_admin = initech_and_umbrella(modes)
    for admin, organization in ((initech_admin, initech), (umbrella_admin, umbrella)):
        operation = app_role_assign_request(actor=admin, organization=organization, user_id=person["user_id"],
                                            role_id=EDITOR)
        assert run(app_role_assign, operation).status == "succeeded", operation.last_error
    assert grants(person["user_id"]) == {(EDITOR, "initech"), (EDITOR, "umbrella")}
    first = run(app_role_remove, app_role_remove_request(actor=initech_admin, organization=initech,
                                                         user_id=person["user_id"], role_id=EDITOR))
    assert first.status == "succeeded" and first.result["removed_in_auth0"] is False
    assert first.result["kept_by_other_grants"] == 1
    assert auth0_roles(initech, person["user_id"]) == {EDITOR}  # Umbrella's grant keeps it
    assert grants(person["user_id"]) == {(EDITOR, "umbrella")}
    # Initech has no grant of its own left to take away.
    with pytest.raises(ValidationError, match="Initech has not granted"):
        app_role_remove_request(actor=initech_admin, organization=initech, user_id=person["user_id"], role_id=EDITOR)
    last = run(app_role_remove, app_role_remove_request(actor=umbrella_admin, organization=umbrella,
                                                        user_id=person["user_id"], role_id=EDITOR))
    assert last.status == "succeeded" and last.result["removed_in_auth0"] is True
    assert auth0_roles(umbrella, person["user_id"]) == set() and grants(person["user_id"]) == set()


def test_a_tenant_role_set_in_auth0_becomes_the_organizations_grant_when_it_assigns_it(modes) -> None:
    acme = modes["acme"]
    admin, person = admin_of(acme), member_create(acme)
    gateway().user_roles_assign(user_id=person["user_id"], role_ids=[VIEWER])
    person_app_roles_refresh(user_id=person["user_id"])
    assert grants(person["user_id"]) == {(VIEWER, None)}
    operation = app_role_assign_request(actor=admin, organization=acme, user_id=person["user_id"], role_id=VIEWER)
    assert run(app_role_assign, operation).status == "succeeded"
    assert grants(person["user_id"]) == {(VIEWER, "acme")}


def test_leaving_a_shared_organization_ends_its_grants_and_only_its_own(modes) -> None:
    """Blocked in one organization, then removed from the other: each time the organization's own grants end
    with the membership, and Auth0 loses a role only with its last grant."""
    initech, umbrella, person, initech_admin, umbrella_admin = initech_and_umbrella(modes)
    for admin, organization, role_id in ((initech_admin, initech, EDITOR), (initech_admin, initech, VIEWER),
                                         (umbrella_admin, umbrella, EDITOR)):
        operation = app_role_assign_request(actor=admin, organization=organization, user_id=person["user_id"],
                                            role_id=role_id)
        assert run(app_role_assign, operation).status == "succeeded", operation.last_error
    # Someone else's role, set in Auth0 by nobody's grant: no organization's to end.
    gateway().user_roles_assign(user_id=person["user_id"], role_ids=[BILLING])
    person_app_roles_refresh(user_id=person["user_id"])
    assert grants(person["user_id"]) == {(EDITOR, "initech"), (VIEWER, "initech"), (EDITOR, "umbrella"),
                                         (BILLING, None)}

    blocked = run(user_block_here, user_block_here_request(actor=initech_admin, organization=initech,
                                                           user_id=person["user_id"]))
    assert blocked.status == "succeeded", blocked.last_error
    assert blocked.result["app_roles_ended"] == ["Initech editor", "Initech viewer"]
    assert grants(person["user_id"]) == {(EDITOR, "umbrella"), (BILLING, None)}
    assert auth0_roles(umbrella, person["user_id"]) == {EDITOR, BILLING}  # Umbrella's grant keeps Editor

    removed = run(user_remove, user_remove_request(actor=umbrella_admin, organization=umbrella,
                                                   user_id=person["user_id"]))
    assert removed.status == "succeeded", removed.last_error
    assert removed.result["app_roles_ended"] == ["Umbrella editor"]
    assert grants(person["user_id"]) == {(BILLING, None)} and auth0_roles(umbrella, person["user_id"]) == {BILLING}
    # Run again (a worker killed after Auth0 answered): nothing left of the organization's to end.
    assert user_remove_apply(removed)["app_roles_ended"] == []
