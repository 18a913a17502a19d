"""Invitations to join (users.acts.join), run with .apply() against an emulator over HTTP: someone who has an
account already is never made a member by an admin's act; they get an invitation to join that only they,
signed in as that account, can accept, in each membership mode. Declining, revoking, expiry and a block
in the organization all leave Auth0 as it was."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from auth0_gateway import gateway
from organizations.models import Organization
from organizations.selectors import principal_for_user_id
from portal.models import AuditEvent, Operation
from tests.users.org_modes import admin_of, member_create, organizations_per_mode
from users.acts.invite import user_invite_request
from users.acts.join import (
    join_invitation_accept_request,
    join_invitation_decline,
    join_invitation_resend_request,
    join_invitation_revoke,
)
from users.models import DirectoryUser, JoinInvitation, Membership, OrganizationBlock
from users.tasks import join_invitation_accept, join_invitation_resend, user_invite

pytestmark = pytest.mark.django_db


@pytest.fixture
def organizations(auth0_on_changing_emulator) -> dict[str, Organization]:
    return organizations_per_mode()


def run(task, operation: Operation) -> Operation:
    task.apply(args=[str(operation.id)])
    operation.refresh_from_db()
    return operation


def invite(organization: Organization, email: str) -> Operation:
    operation = run(user_invite, user_invite_request(actor=admin_of(organization), organization=organization,
                                                     email=email))
    assert operation.status == "succeeded", operation.last_error
    return operation


def memberships(user_id: str) -> list[str]:
    return sorted(Membership.objects.filter(user__user_id=user_id).values_list("organization__slug", flat=True))


def person(user: dict):
    return principal_for_user_id(user["user_id"], user["email"])


@pytest.mark.parametrize(("home", "inviting"), [("globex", "initech"), ("initech", "globex"), ("acme", "initech")])
def test_an_existing_account_joins_only_when_its_owner_accepts(organizations, home, inviting) -> None:
    inviter = organizations[inviting]
    if home == "acme":
        # Someone in no organization of the inviting one's connection (the shared one) yet.
        existing = gateway().user_create(connection=inviter.connection_name, password="Long-enough-Passw0rd!",
                                         email=f"solo-{uuid.uuid4().hex[:8]}@example.test")
    else:
        existing = member_create(organizations[home])
    before = gateway().user_get(user_id=existing["user_id"])
    before_orgs = gateway().user_organizations(user_id=existing["user_id"])
    operation = invite(inviter, existing["email"])
    assert operation.result["outcome"] == "awaiting_acceptance"
    # Nothing changed in Auth0, and the inviting organization does not list them.
    assert gateway().user_get(user_id=existing["user_id"]) == before
    assert gateway().user_organizations(user_id=existing["user_id"]) == before_orgs
    assert inviter.slug not in memberships(existing["user_id"])
    [invitation] = JoinInvitation.objects.filter(organization=inviter)
    [message] = mail.outbox
    assert message.to == [existing["email"]] and f"/invitations/{invitation.pk}/" in message.body

    # Only the account invited may answer: anyone else is told nothing (404).
    stranger = member_create(organizations["acme"])
    with pytest.raises(Http404):
        join_invitation_accept_request(principal=person(stranger), invitation_id=invitation.pk)
    with pytest.raises(Http404):
        join_invitation_accept_request(principal=admin_of(inviter), invitation_id=invitation.pk)

    accepted = join_invitation_accept_request(principal=person(existing), invitation_id=invitation.pk)
    # Asked twice while it runs: the same operation.
    assert join_invitation_accept_request(principal=person(existing), invitation_id=invitation.pk) == accepted
    accepted = run(join_invitation_accept, accepted)
    assert accepted.status == "succeeded", accepted.last_error
    invitation.refresh_from_db()
    assert invitation.status == JoinInvitation.Status.ACCEPTED
    assert inviter.slug in memberships(existing["user_id"])
    if home != "acme":
        assert home in memberships(existing["user_id"])  # their other organization is untouched
    assert AuditEvent.objects.filter(action="user_join_accept.requested", organization=inviter,
                                     actor_user_id=existing["user_id"]).exists()
    with pytest.raises(ValidationError, match="You accepted this invitation"):
        join_invitation_accept_request(principal=person(existing), invitation_id=invitation.pk)


def test_declining_changes_nothing_and_the_admins_see_it_gone(organizations) -> None:
    initech, globex = organizations["initech"], organizations["globex"]
    existing = member_create(globex)
    invite(initech, existing["email"])
    invitation = JoinInvitation.objects.get(organization=initech)
    before = gateway().user_get(user_id=existing["user_id"])
    join_invitation_decline(principal=person(existing), invitation_id=invitation.pk)
    invitation.refresh_from_db()
    assert invitation.status == JoinInvitation.Status.DECLINED
    assert gateway().user_get(user_id=existing["user_id"]) == before
    with pytest.raises(ValidationError, match="You declined this invitation"):
        join_invitation_accept_request(principal=person(existing), invitation_id=invitation.pk)
    # Declined, they can be invited again (a new invitation).
    invite(initech, existing["email"])
    assert JoinInvitation.objects.filter(organization=initech, status="pending").count() == 1


def test_revoked_or_expired_cannot_be_accepted(organizations) -> None:
    initech, globex = organizations["initech"], organizations["globex"]
    first, second = member_create(globex), member_create(globex)
    invite(initech, first["email"])
    invite(initech, second["email"])
    revoked = JoinInvitation.objects.get(organization=initech, user_id=first["user_id"])
    join_invitation_revoke(actor=admin_of(initech), organization=initech, invitation_id=revoked.pk)
    with pytest.raises(ValidationError, match="Initech withdrew this invitation"):
        join_invitation_accept_request(principal=person(first), invitation_id=revoked.pk)
    expired = JoinInvitation.objects.get(organization=initech, user_id=second["user_id"])
    JoinInvitation.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    with pytest.raises(ValidationError, match="This invitation expired"):
        join_invitation_accept_request(principal=person(second), invitation_id=expired.pk)
    # Resending opens it again, with a new email.
    mail.outbox.clear()
    resent = run(join_invitation_resend, join_invitation_resend_request(
        actor=admin_of(initech), organization=initech, invitation_id=expired.pk))
    assert resent.status == "succeeded", resent.last_error
    assert [m.to for m in mail.outbox] == [[second["email"]]]
    assert run(join_invitation_accept, join_invitation_accept_request(
        principal=person(second), invitation_id=expired.pk)).status == "succeeded"
    assert "initech" in memberships(second["user_id"])
    assert "initech" not in memberships(first["user_id"])


def test_an_invitation_accepted_after_a_block_in_the_organization_is_refused(organizations) -> None:
    initech, globex = organizations["initech"], organizations["globex"]
    existing = member_create(globex)
    invite(initech, existing["email"])
    invitation = JoinInvitation.objects.get(organization=initech)
    operation = join_invitation_accept_request(principal=person(existing), invitation_id=invitation.pk)
    OrganizationBlock.objects.create(organization=initech, user_id=existing["user_id"], email=existing["email"])
    operation = run(join_invitation_accept, operation)
    assert operation.status == "failed" and "Initech has blocked your account" in operation.last_error
    assert "initech" not in (gateway().user_get(user_id=existing["user_id"]).get("app_metadata") or {}).get(
        "organizations", [])


def test_a_company_admin_invited_by_an_organization_is_asked_not_made_a_member(organizations) -> None:
    from organizations.models import CompanyAdmin

    initech = organizations["initech"]
    boss = gateway().user_create(connection=initech.connection_name, password="Long-enough-Passw0rd!",
                                 email=f"company-{uuid.uuid4().hex[:8]}@portal.test")
    CompanyAdmin.objects.create(user_id=boss["user_id"], email=boss["email"])
    directory_before = DirectoryUser.objects.filter(user_id=boss["user_id"]).count()
    operation = invite(initech, boss["email"])
    assert operation.result["outcome"] == "awaiting_acceptance"
    assert (gateway().user_get(user_id=boss["user_id"]).get("app_metadata") or {}).get("organizations") in (None, [])
    assert DirectoryUser.objects.filter(user_id=boss["user_id"], memberships__organization=initech).count() == 0
    assert DirectoryUser.objects.filter(user_id=boss["user_id"]).count() == directory_before
