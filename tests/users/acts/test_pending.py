"""Pending invitations, run with .apply() against an emulator over HTTP: the list shows who the portal
invited and never signed in, with when the link expires; resending sends a new working link in the
invitation email; revoking deletes the unused account an invitation created (always in an isolated
organization) and only takes the organization away from a person who has others. (People who had an account
before the invitation are invited to join instead, and never pending here: tests/users/acts/test_join.py.)"""

from __future__ import annotations

import datetime as dt
import uuid

import httpx
import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from auth0_gateway import Auth0NotFound, gateway
from organizations.models import Organization
from organizations.selectors import principal_for_user_id
from portal.models import AuditEvent, Operation
from tests.factories import RoleFactory
from tests.support.authn_browser import Browser
from tests.users.org_modes import admin_of, member_create, organizations_per_mode
from users.acts import invite as invitations
from users.acts.invite import user_invite_request
from users.acts.pending import invitation_resend_request, invitation_revoke_request
from users.directory.mirror import directory_user_write_through
from users.directory.selectors import invitation_expires_at, invitation_pending_list
from users.models import DirectoryUser, Tombstone
from users.tasks import invitation_resend, invitation_revoke, user_invite

pytestmark = pytest.mark.django_db


@pytest.fixture
def organizations(auth0_on_changing_emulator) -> dict[str, Organization]:
    return organizations_per_mode()


def invited(organization: Organization, email: str | None = None) -> dict:
    """Invite someone through the portal (the real service and task); their Auth0 user."""
    email = email or f"new-{uuid.uuid4().hex[:8]}@{organization.slug}.test"
    operation = user_invite_request(actor=admin_of(organization), organization=organization, email=email)
    user_invite.apply(args=[str(operation.id)])
    operation.refresh_from_db()
    assert operation.status == "succeeded", operation.last_error
    return gateway().user_get(user_id=operation.result["user_id"])


def pending_ids(organization: Organization) -> list[str]:
    return [m.user.user_id for m in invitation_pending_list(principal=admin_of(organization),
                                                            organization=organization)]


def run(task, operation: Operation) -> Operation:
    task.apply(args=[str(operation.id)])
    operation.refresh_from_db()
    return operation


@pytest.mark.parametrize("slug", ["acme", "initech", "globex"])
def test_the_list_shows_invited_people_who_never_signed_in_with_the_links_expiry(organizations, slug) -> None:
    organization = organizations[slug]
    user = invited(organization)
    member_create(organization)  # a user the portal did not invite
    [membership] = invitation_pending_list(principal=admin_of(organization), organization=organization)
    assert membership.user.user_id == user["user_id"]
    sent = Operation.objects.get(kind="user_invite", organization=organization)
    assert membership.sent_at == sent.created_at and membership.sent_by == sent.actor_display
    assert invitation_expires_at(organization, membership.sent_at) == sent.created_at + dt.timedelta(days=7)


def test_someone_who_signed_in_is_no_longer_pending(organizations) -> None:
    initech = organizations["initech"]
    user = invited(initech)
    directory_user_write_through({**user, "logins_count": 1, "last_login": "2026-01-01T00:00:00.000Z",
                                  "updated_at": timezone.now().isoformat()})
    assert pending_ids(initech) == []
    with pytest.raises(ValidationError, match="has no pending invitation"):
        invitation_resend_request(actor=admin_of(initech), organization=initech, user_id=user["user_id"])
    assert not Operation.objects.exclude(kind="user_invite").exists()


def test_viewers_and_other_organizations_admins_see_no_invitations(organizations) -> None:
    acme, initech = organizations["acme"], organizations["initech"]
    invited(acme)
    assert invitation_pending_list(principal=admin_of(initech), organization=acme).count() == 0
    viewer = principal_for_user_id(RoleFactory(organization=acme, role="viewer").user_id)
    assert invitation_pending_list(principal=viewer, organization=acme).count() == 1  # viewers read, only


def test_resending_sends_a_new_working_link_and_renews_the_expiry(organizations) -> None:
    acme = organizations["acme"]
    user = invited(acme)
    first = Operation.objects.get(kind="user_invite")
    Operation.objects.filter(pk=first.pk).update(created_at=timezone.now() - dt.timedelta(days=9))
    [membership] = invitation_pending_list(principal=admin_of(acme), organization=acme)
    assert invitation_expires_at(acme, membership.sent_at) < timezone.now()  # the page says "expired"
    mail.outbox.clear()
    operation = run(invitation_resend, invitation_resend_request(actor=admin_of(acme, "Rita"), organization=acme,
                                                                 user_id=user["user_id"]))
    assert operation.status == "succeeded", operation.last_error
    [message] = mail.outbox
    assert message.to == [user["email"]] and message.subject == "You are invited to Acme"
    assert "Rita has invited you to" in message.body
    link = next(w for w in message.body.split() if "reset-password" in w)
    assert httpx.get(link).status_code == 200
    [membership] = invitation_pending_list(principal=admin_of(acme), organization=acme)
    assert membership.sent_at == operation.created_at
    assert invitation_expires_at(acme, membership.sent_at) > timezone.now()
    assert AuditEvent.objects.filter(action="user_invite_resend.requested", target_id=user["user_id"]).exists()


def test_a_second_resend_while_one_is_on_its_way_is_refused(organizations) -> None:
    acme = organizations["acme"]
    user = invited(acme)
    invitation_resend_request(actor=admin_of(acme), organization=acme, user_id=user["user_id"])
    with pytest.raises(ValidationError, match="Already under way"):
        invitation_resend_request(actor=admin_of(acme), organization=acme, user_id=user["user_id"])
    assert Operation.objects.filter(kind="user_invite_resend").count() == 1


@pytest.mark.parametrize("slug", ["acme", "initech", "globex"])
def test_revoking_deletes_the_unused_account_the_invitation_created(organizations, slug) -> None:
    organization = organizations[slug]
    user = invited(organization)
    operation = run(invitation_revoke, invitation_revoke_request(actor=admin_of(organization),
                                                                 organization=organization, user_id=user["user_id"]))
    assert operation.status == "succeeded", operation.last_error
    assert operation.result == {"outcome": "deleted"}
    with pytest.raises(Auth0NotFound):
        gateway().user_get(user_id=user["user_id"])
    assert not DirectoryUser.objects.filter(user_id=user["user_id"]).exists()
    assert Tombstone.objects.filter(user_id=user["user_id"]).exists()
    assert pending_ids(organization) == []
    # A retry after Auth0 answered: the account is gone, which is done.
    assert run(invitation_revoke, Operation.objects.create(
        kind=operation.kind, organization=organization, target=operation.target, payload=operation.payload,
        actor_user_id=operation.actor_user_id, actor_display="Boss", idempotency_key="again",
        task_name=operation.task_name)).result == {"outcome": "deleted"}


def test_an_invitation_accepted_meanwhile_is_not_revoked(organizations, changing_emulator, monkeypatch) -> None:
    initech = organizations["initech"]
    monkeypatch.setattr(invitations, "password_random", lambda *a, **k: "Known-passw0rd-for-this-test!")
    user = invited(initech)
    operation = invitation_revoke_request(actor=admin_of(initech), organization=initech, user_id=user["user_id"])
    with Browser(changing_emulator) as browser:  # they sign in before the task runs
        browser.login(user["email"], "Known-passw0rd-for-this-test!")
    assert gateway().user_get(user_id=user["user_id"])["logins_count"] == 1
    operation = run(invitation_revoke, operation)
    assert operation.status == "failed" and "has signed in since the invitation was sent" in operation.last_error
    assert "initech" in gateway().user_get(user_id=user["user_id"])["app_metadata"]["organizations"]
