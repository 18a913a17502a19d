"""Blocking a person in one organization only (users.acts.block_here), run with .apply() against an emulator
over HTTP: for someone who also belongs elsewhere, the block ends this organization's membership in Auth0
(its slug out of app_metadata.organizations, or out of the Auth0 Organization) and leaves the account, its
sign-in and its other organizations as they were; lifting it makes them a member again. An isolated
organization's people belong by its own connection: there is nothing to block "here"."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from auth0_gateway import gateway
from organizations.models import Organization
from portal.models import Operation
from tests.factories import UserFactory
from tests.users.org_modes import admin_of, member_create, organizations_per_mode
from users.acts.block_here import user_block_here_request, user_unblock_here_request
from users.acts.invite import user_invite_request
from users.directory.mirror import directory_user_write_through
from users.models import Membership, OrganizationBlock
from users.tasks import user_block_here, user_unblock_here

pytestmark = pytest.mark.django_db


@pytest.fixture
def organizations(auth0_on_changing_emulator) -> dict[str, Organization]:
    return organizations_per_mode()


@pytest.fixture
def shared_person(organizations) -> dict:
    """A member of Initech (shared connection) and of Globex (an Auth0 Organization), as Auth0 and the
    directory have them."""
    initech, globex = organizations["initech"], organizations["globex"]
    user = member_create(initech)
    gateway().organization_members_add(organization_id=globex.auth0_organization_id, user_ids=[user["user_id"]])
    directory_user_write_through(user, auth0_organization_ids=[globex.auth0_organization_id])
    return user


def run(task, operation: Operation) -> Operation:
    task.apply(args=[str(operation.id)])
    operation.refresh_from_db()
    return operation


def in_auth0(user_id: str) -> tuple[bool, list[str], list[str]]:
    """Whether Auth0 has the account blocked, its app_metadata.organizations, its Auth0 Organizations."""
    user = gateway().user_get(user_id=user_id)
    return (bool(user.get("blocked")), sorted((user.get("app_metadata") or {}).get("organizations") or []),
            sorted(o["id"] for o in gateway().user_organizations(user_id=user_id)))


def memberships(user_id: str) -> list[str]:
    return sorted(Membership.objects.filter(user__user_id=user_id).values_list("organization__slug", flat=True))


def test_a_block_in_a_shared_organization_ends_that_membership_alone_and_lifting_it_restores_it(
        organizations, shared_person) -> None:
    initech, globex = organizations["initech"], organizations["globex"]
    user_id, admin = shared_person["user_id"], admin_of(initech)

    blocked = run(user_block_here, user_block_here_request(actor=admin, organization=initech, user_id=user_id))

    assert blocked.status == "succeeded", blocked.last_error
    assert in_auth0(user_id) == (False, [], [globex.auth0_organization_id])
    assert memberships(user_id) == ["globex"]
    assert OrganizationBlock.objects.filter(organization=initech, user_id=user_id).exists()
    # Invited again while blocked: refused, beside the email, until the block is lifted.
    with pytest.raises(ValidationError, match="is blocked in Initech"):
        user_invite_request(actor=admin, organization=initech, email=shared_person["email"])
    # The page that asks before lifting it names the person (a context variable once called "block" was
    # Django's own {% block %} there, and the page named nobody).
    client = Client()
    client.force_login(UserFactory(auth0_user_id=admin.user_id))
    page = client.get(reverse("organization_unblock", args=[initech.slug, user_id])).content.decode()
    assert shared_person["email"] in page and "No email address" not in page

    lifted = run(user_unblock_here, user_unblock_here_request(actor=admin, organization=initech, user_id=user_id))

    assert lifted.status == "succeeded", lifted.last_error
    assert in_auth0(user_id) == (False, ["initech"], [globex.auth0_organization_id])
    assert memberships(user_id) == ["globex", "initech"]
    assert not OrganizationBlock.objects.filter(organization=initech, user_id=user_id).exists()


def test_a_block_in_an_auth0_organization_ends_that_membership_alone_and_lifting_it_restores_it(
        organizations, shared_person) -> None:
    globex = organizations["globex"]
    user_id, admin = shared_person["user_id"], admin_of(globex)

    blocked = run(user_block_here, user_block_here_request(actor=admin, organization=globex, user_id=user_id))

    assert blocked.status == "succeeded", blocked.last_error
    assert in_auth0(user_id) == (False, ["initech"], [])
    assert memberships(user_id) == ["initech"]

    lifted = run(user_unblock_here, user_unblock_here_request(actor=admin, organization=globex, user_id=user_id))

    assert lifted.status == "succeeded", lifted.last_error
    assert in_auth0(user_id) == (False, ["initech"], [globex.auth0_organization_id])
    assert memberships(user_id) == ["globex", "initech"]


def test_an_isolated_organization_has_nothing_to_block_here(organizations) -> None:
    acme = organizations["acme"]
    person = member_create(acme)

    with pytest.raises(ValidationError, match="belongs to Acme by its own connection"):
        user_block_here_request(actor=admin_of(acme), organization=acme, user_id=person["user_id"])

    assert not Operation.objects.exists() and not OrganizationBlock.objects.exists()
    assert in_auth0(person["user_id"])[0] is False
