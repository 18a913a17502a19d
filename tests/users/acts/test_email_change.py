"""Changing a user's email address (users.acts.email_change), run with .apply() against an emulator over HTTP:
the new address is set unverified and the portal (not Auth0) emails it a verification link, the directory
follows, the audit trail holds the address before and after. Bad input (an invalid address, the same one, one
the connection already has), a social user and the guardrails are refused with a specific message and record
nothing; an address taken in Auth0 behind the directory's back ends the operation with a plain message and
changes nothing."""

from __future__ import annotations

import uuid

import httpx
import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from auth0_gateway import gateway
from organizations.selectors import principal_for_user_id
from portal.models import AuditEvent, Operation
from tests.factories import CompanyAdminFactory, RoleFactory
from tests.support.concurrency import needs_database_server, simultaneously
from tests.users.auth0_users import auth0_user
from users.acts.email_change import user_email_change_apply, user_email_change_request
from users.acts.invite import password_random
from users.directory.mirror import directory_user_write_through, directory_users_upsert
from users.models import DirectoryUser
from users.tasks import user_email_change

pytestmark = pytest.mark.django_db


def address() -> str:
    return f"e-{uuid.uuid4().hex[:8]}@acme.test"


def new_user(**fields) -> dict:
    user = gateway().user_create(connection="acme-users", email=address(), password=password_random(),
                                 name="Edith Clarke", email_verified=True, **fields)
    directory_user_write_through(user)
    return user


def run(operation: Operation) -> Operation:
    user_email_change.apply(args=[str(operation.id)])
    operation.refresh_from_db()
    return operation


def outbox(emulator, to: str) -> list[dict]:
    return httpx.get(f"{emulator.url}/emulator/outbox", params={"to": to}).json()


def test_the_new_address_is_set_unverified_and_sent_the_portals_verification(acme, admin,
                                                                             changing_emulator) -> None:
    user = new_user()
    new = address()
    operation = run(user_email_change_request(actor=admin, organization=acme, user_id=user["user_id"],
                                              email=f"  {new.upper()} "))
    assert operation.status == "succeeded", operation.last_error
    assert operation.result == {"email": new, "email_verified": False}
    now = gateway().user_get(user_id=user["user_id"])
    assert (now["email"], now["email_verified"]) == (new, False)
    assert outbox(changing_emulator, new) == []  # not Auth0's email: the portal's, branded and translated
    [sent] = mail.outbox
    assert sent.to == [new] and sent.subject == "Confirm your email address for Acme"
    assert "an admin of Acme, changed your email address to this one." in sent.body
    mirrored = DirectoryUser.objects.get(user_id=user["user_id"])
    assert (mirrored.email, mirrored.email_verified) == (new, False)
    requested = AuditEvent.objects.get(operation=operation, action="user_email_change.requested")
    assert requested.details == {"before": user["email"], "after": new}
    assert requested.summary == f"Changed the email address of Edith Clarke from {user['email']} to {new}"
    assert AuditEvent.objects.filter(operation=operation, action="user_email_change.succeeded").exists()
    # A retry after Auth0 answered sets the same address again (and, as a retry must, sends a new link).
    assert user_email_change_apply(operation) == operation.result
    assert [m.to for m in mail.outbox] == [[new], [new]]


@pytest.mark.parametrize(("email", "message"), [
    ("not an address", "Enter a valid email address, like name@example.com."),
    ("", "Enter a valid email address, like name@example.com."),
    (f"{'x' * 250}@acme.test", "Enter a valid email address, like name@example.com."),
    ("SAME", "is already Edith Clarke's email address."),
    ("TAKEN", "Another user of the acme-users connection already has "),
])
def test_bad_addresses_are_refused_beside_the_field(acme, admin, email, message) -> None:
    user = new_user()
    other = new_user()
    email = {"SAME": user["email"].upper(), "TAKEN": other["email"]}.get(email, email)
    with pytest.raises(ValidationError) as caught:
        user_email_change_request(actor=admin, organization=acme, user_id=user["user_id"], email=email)
    [said] = caught.value.message_dict["email"]
    assert message in said
    assert not Operation.objects.exists() and not AuditEvent.objects.exists()
    assert gateway().user_get(user_id=user["user_id"])["email"] == user["email"]


def test_an_address_taken_in_auth0_since_the_directory_read_ends_plainly(acme, admin) -> None:
    user = new_user()
    taken = gateway().user_create(connection="acme-users", email=address(), password=password_random())
    operation = run(user_email_change_request(actor=admin, organization=acme, user_id=user["user_id"],
                                              email=taken["email"]))
    assert operation.status == "failed"
    assert operation.last_error == (f"Another user of the acme-users connection already has {taken['email']}: the "
                                    "address was not changed.")
    assert gateway().user_get(user_id=user["user_id"])["email"] == user["email"]


def test_a_social_users_address_is_not_the_portals_to_change(acme, admin) -> None:
    social = auth0_user(connection="google-oauth2", email="gia@gmail.test", name="Gia",
                        user_id="google-oauth2|1234567890",
                        identities=[
                            {"connection": "google-oauth2", "provider": "google-oauth2", "user_id": "1234567890",
                             "isSocial": True},
                            {"connection": "acme-users", "provider": "auth0", "user_id": "abc", "isSocial": False}])
    directory_users_upsert([social])
    with pytest.raises(ValidationError) as caught:
        user_email_change_request(actor=admin, organization=acme, user_id=social["user_id"], email=address())
    assert caught.value.messages == ["Gia signs in through google-oauth2, a social or enterprise connection: their "
                                     "email address comes from that provider and can only be changed there."]
    assert not Operation.objects.exists()


def test_guardrails_and_a_change_already_on_its_way(acme, admin) -> None:
    user = new_user()
    viewer = principal_for_user_id(RoleFactory(organization=acme, role="viewer").user_id, "V")
    with pytest.raises(PermissionDenied, match="admins"):
        user_email_change_request(actor=viewer, organization=acme, user_id=user["user_id"], email=address())
    boss = new_user()
    CompanyAdminFactory(user_id=boss["user_id"])
    with pytest.raises(PermissionDenied, match="Company admins are managed by company admins only."):
        user_email_change_request(actor=admin, organization=acme, user_id=boss["user_id"], email=address())
    assert not Operation.objects.exists()
    user_email_change_request(actor=admin, organization=acme, user_id=user["user_id"], email=address())
    with pytest.raises(ValidationError, match="already on its way"):
        user_email_change_request(actor=admin, organization=acme, user_id=user["user_id"], email=address())
    assert Operation.objects.count() == 1


def test_rights_are_checked_again_when_it_runs(acme, admin) -> None:
    user = new_user()
    operation = user_email_change_request(actor=admin, organization=acme, user_id=user["user_id"], email=address())
    CompanyAdminFactory(user_id=user["user_id"])
    operation = run(operation)
    assert (operation.status, operation.last_error) == ("failed", "Company admins are managed by company admins only.")
    assert gateway().user_get(user_id=user["user_id"])["email"] == user["email"]


def test_every_copy_of_the_address_follows_the_change_and_nobody_elses_does(acme, changing_emulator) -> None:
    """The directory's row, its memberships' copies, the person's roles, blocks, pending invitation to join and
    sign-in account all hold the new address once the change has run; matched by user id, so someone else with the
    same old address (in another connection) keeps theirs, and an answered invitation keeps where it was sent."""
    from tests.users.email_copies import (
        answered_invitation_email,
        email_copies,
        email_copies_expected,
        email_copies_make,
    )

    company = principal_for_user_id(CompanyAdminFactory().user_id, "Chief")  # the person is a company admin too
    user = new_user()
    old, new = user["email"], address()
    email_copies_make(user["user_id"], old, acme)
    namesake = auth0_user(connection="globex-users", email=old)
    directory_users_upsert([namesake])
    email_copies_make(namesake["user_id"], old, acme)
    assert email_copies(user["user_id"]) == email_copies_expected(old)

    operation = run(user_email_change_request(actor=company, organization=acme, user_id=user["user_id"], email=new))
    assert operation.status == "succeeded", operation.last_error
    assert email_copies(user["user_id"]) == email_copies_expected(new)
    assert answered_invitation_email(user["user_id"]) == old
    assert email_copies(namesake["user_id"]) == email_copies_expected(old, memberships=0)


@needs_database_server
@pytest.mark.django_db(transaction=True)
def test_simultaneous_changes_of_one_address_record_one(acme, admin) -> None:
    """Four changes of one person's address asked for at the same instant: one is recorded, the others are told
    one is on its way (the database's index holds when every request passes the check), nothing more recorded."""
    user = new_user()
    outcomes = simultaneously(lambda _: user_email_change_request(actor=admin, organization=acme,
                                                                  user_id=user["user_id"], email=address()), 4)
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len([o for o in outcomes if isinstance(o, Operation)]) == 1 and len(refused) == 3, outcomes
    assert {r.messages[0] for r in refused} == {"A change of this user's email address is already on its way: "
                                                "wait for it to finish."}
    assert Operation.objects.count() == 1
    assert AuditEvent.objects.filter(action="user_email_change.requested").count() == 1
