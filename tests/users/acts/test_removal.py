"""Removing a user from an organization and deleting a user, run with .apply() against an emulator over
HTTP: each mode changes Auth0 as it must, the directory follows at once (the user leaves the
organization's list), the person's portal roles end with what they left, a second run is harmless, and
whatever is refused (a mode without removal, a deletion an org admin may not make, a confirmation typed
wrong, rights lost before the run) records or changes nothing."""

from __future__ import annotations

import httpx
import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from auth0_gateway import Auth0NotFound, gateway
from organizations.models import Organization, OrganizationRole
from organizations.selectors import principal_for_user_id
from portal.models import AuditEvent, Operation
from tests.factories import CompanyAdminFactory, RoleFactory
from tests.users.org_modes import admin_of, member_create, organizations_per_mode
from users.acts.removal import user_delete_apply, user_delete_request, user_remove_apply, user_remove_request
from users.directory.selectors import UserQuery, user_list
from users.models import DirectoryUser, Membership, Tombstone
from users.tasks import user_delete, user_remove

pytestmark = pytest.mark.django_db


@pytest.fixture
def organizations(auth0_on_changing_emulator) -> dict[str, Organization]:
    return organizations_per_mode()


def listed(organization: Organization, user_id: str) -> bool:
    """Whether the organization's user list (as its admins see it) shows the user."""
    boss = admin_of(organization)
    return user_list(principal=boss, organization=organization, query=UserQuery()).filter(user_id=user_id).exists()


def removed(actor, organization: Organization, user_id: str) -> Operation:
    operation = user_remove_request(actor=actor, organization=organization, user_id=user_id)
    user_remove.apply(args=[str(operation.id)])
    operation.refresh_from_db()
    return operation


def deleted(actor, organization: Organization, user: dict, typed: str | None = None) -> Operation:
    operation = user_delete_request(actor=actor, organization=organization, user_id=user["user_id"],
                                    confirmation=user["email"] if typed is None else typed)
    user_delete.apply(args=[str(operation.id)])
    operation.refresh_from_db()
    return operation


def test_removing_a_shared_connection_user_takes_only_this_organization_out_of_their_list(organizations) -> None:
    initech = organizations["initech"]
    user = member_create(initech, also=("umbrella",))
    assert listed(initech, user["user_id"])
    operation = removed(admin_of(initech), initech, user["user_id"])
    assert operation.status == "succeeded", operation.last_error
    # The whole list went back (a first-level merge replaces it): the other organization's slug is kept.
    assert gateway().user_get(user_id=user["user_id"])["app_metadata"]["organizations"] == ["umbrella"]
    assert not Membership.objects.filter(organization=initech, user__user_id=user["user_id"]).exists()
    assert not listed(initech, user["user_id"])
    assert DirectoryUser.objects.filter(user_id=user["user_id"]).exists()  # the account stays
    assert {"user_remove.requested", "user_remove.succeeded"} <= set(
        AuditEvent.objects.filter(operation=operation).values_list("action", flat=True))


def test_removing_an_auth0_organization_member_deletes_the_membership(organizations) -> None:
    globex = organizations["globex"]
    user = member_create(globex)
    assert listed(globex, user["user_id"])
    operation = removed(admin_of(globex), globex, user["user_id"])
    assert operation.status == "succeeded", operation.last_error
    assert gateway().user_organizations(user_id=user["user_id"]) == []
    assert not listed(globex, user["user_id"])
    assert gateway().user_get(user_id=user["user_id"])["user_id"] == user["user_id"]


@pytest.mark.parametrize("slug", ["initech", "globex"])
def test_a_removal_run_twice_is_harmless(organizations, slug) -> None:
    """A worker killed after Auth0 answered: the operation runs again and simply finishes."""
    organization = organizations[slug]
    user = member_create(organization)
    operation = user_remove_request(actor=admin_of(organization), organization=organization, user_id=user["user_id"])
    assert user_remove_apply(operation)["removed"] is True
    assert user_remove_apply(operation)["removed"] is True
    assert not listed(organization, user["user_id"])


def test_the_removed_persons_role_in_that_organization_ends(organizations) -> None:
    initech, globex = organizations["initech"], organizations["globex"]
    user = member_create(initech)
    RoleFactory(organization=initech, user_id=user["user_id"], role="viewer", email=user["email"])
    RoleFactory(organization=globex, user_id=user["user_id"], role="viewer", email=user["email"])
    assert removed(admin_of(initech), initech, user["user_id"]).status == "succeeded"
    assert list(OrganizationRole.objects.filter(user_id=user["user_id"]).values_list(
        "organization__slug", flat=True)) == ["globex"]
    assert AuditEvent.objects.filter(action="role.revoked", target_id=user["user_id"], organization=initech).exists()


def test_an_isolated_organizations_users_are_deleted_not_removed(organizations) -> None:
    acme = organizations["acme"]
    user = member_create(acme)
    with pytest.raises(ValidationError, match="cannot be removed from it, only deleted"):
        user_remove_request(actor=admin_of(acme), organization=acme, user_id=user["user_id"])
    assert not Operation.objects.exists()


def test_an_isolated_organizations_admin_deletes_a_user_after_typing_their_email(organizations) -> None:
    acme = organizations["acme"]
    user = member_create(acme)
    RoleFactory(organization=acme, user_id=user["user_id"], role="viewer")
    operation = deleted(admin_of(acme), acme, user, typed=f"  {user['email'].upper()} ")
    assert operation.status == "succeeded", operation.last_error
    with pytest.raises(Auth0NotFound):
        gateway().user_get(user_id=user["user_id"])
    # The directory forgets them as a sync that finds them gone does: no row, a tombstone.
    assert not DirectoryUser.objects.filter(user_id=user["user_id"]).exists()
    assert Tombstone.objects.filter(user_id=user["user_id"]).exists()
    assert not listed(acme, user["user_id"])
    assert not OrganizationRole.objects.filter(user_id=user["user_id"]).exists()
    assert {"user_delete.requested", "user_delete.succeeded", "role.revoked"} <= set(
        AuditEvent.objects.filter(target_id__in=[user["user_id"]]).values_list("action", flat=True))


def test_a_wrong_confirmation_says_so_beside_its_field_and_changes_nothing(organizations) -> None:
    acme = organizations["acme"]
    user = member_create(acme)
    for typed in ("", "someone@else.test", user["email"] + "x"):
        with pytest.raises(ValidationError) as caught:
            user_delete_request(actor=admin_of(acme), organization=acme, user_id=user["user_id"], confirmation=typed)
        assert list(caught.value.error_dict) == ["confirmation"]
        assert f"type {user['email']} exactly" in caught.value.error_dict["confirmation"][0].message
    assert not Operation.objects.exists()
    assert gateway().user_get(user_id=user["user_id"])["user_id"] == user["user_id"]


@pytest.mark.parametrize("slug", ["initech", "globex"])
def test_org_admins_of_shared_organizations_cannot_delete_and_company_admins_can(organizations, slug) -> None:
    organization = organizations[slug]
    user = member_create(organization)
    with pytest.raises(PermissionDenied, match="Only company admins delete users of"):
        user_delete_request(actor=admin_of(organization), organization=organization, user_id=user["user_id"],
                            confirmation=user["email"])
    assert not Operation.objects.exists()
    boss = CompanyAdminFactory()
    operation = deleted(principal_for_user_id(boss.user_id, "Chief"), organization, user)
    assert operation.status == "succeeded", operation.last_error
    assert gateway().users_by_email(email=user["email"]) == []
    assert not DirectoryUser.objects.filter(user_id=user["user_id"]).exists()


def test_a_404_from_auth0_on_retry_means_the_deletion_is_done(organizations, changing_emulator) -> None:
    """The first run's delete reached Auth0, and the run died before recording it: the retry's delete is
    answered 404 (as Auth0 may answer for a user it no longer has), which finishes the work."""
    acme = organizations["acme"]
    user = member_create(acme)
    operation = user_delete_request(actor=admin_of(acme), organization=acme, user_id=user["user_id"],
                                    confirmation=user["email"])
    gateway().user_delete(user_id=user["user_id"])  # what the first run did
    controls = f"{changing_emulator.url}/emulator/controls"
    httpx.post(controls, json={"fault_rate": 1.0, "fault_status": 404}).raise_for_status()
    try:
        assert user_delete_apply(operation) == {"deleted": True}
    finally:
        httpx.post(controls, json={"fault_rate": 0.0, "fault_status": 503}).raise_for_status()
    assert not DirectoryUser.objects.filter(user_id=user["user_id"]).exists()
    assert Tombstone.objects.filter(user_id=user["user_id"]).exists()
    # And once more, after the directory followed: still done.
    assert user_delete_apply(operation) == {"deleted": True}


def test_rights_are_checked_again_when_the_deletion_runs(organizations) -> None:
    acme = organizations["acme"]
    user = member_create(acme)
    boss = admin_of(acme)
    operation = user_delete_request(actor=boss, organization=acme, user_id=user["user_id"],
                                    confirmation=user["email"])
    acme.roles.filter(user_id=boss.user_id).update(role="viewer")
    user_delete.apply(args=[str(operation.id)])
    operation.refresh_from_db()
    assert operation.status == "failed" and "admins" in operation.last_error
    assert gateway().user_get(user_id=user["user_id"])["user_id"] == user["user_id"]
    assert DirectoryUser.objects.filter(user_id=user["user_id"]).exists()


def test_deleting_a_company_admin_is_for_company_admins_and_ends_that_role(organizations) -> None:
    acme = organizations["acme"]
    user = member_create(acme)
    CompanyAdminFactory(user_id=user["user_id"])
    with pytest.raises(PermissionDenied, match="Company admins are managed by company admins only."):
        user_delete_request(actor=admin_of(acme), organization=acme, user_id=user["user_id"],
                            confirmation=user["email"])
    chief = principal_for_user_id(CompanyAdminFactory().user_id, "Chief")
    assert deleted(chief, acme, user).status == "succeeded"
    assert AuditEvent.objects.filter(action="company_admin.revoked", target_id=user["user_id"]).exists()
    assert principal_for_user_id(user["user_id"]).is_company_admin is False
