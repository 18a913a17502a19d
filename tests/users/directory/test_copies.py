"""Every copy of a person's email follows a change of address however it reaches the mirror
(``users.directory.copies``, called by the mirror's upsert): a refresh (what a pushed change asks for) and a delta
sync against an emulator over HTTP, and the upsert itself. Copies are matched by the Auth0 user id, never by the
old address. (Through the act, ``users.acts.email_change``: tests/users/acts/test_email_change.py.)"""

from __future__ import annotations

import uuid

import pytest
from allauth.account.models import EmailAddress

from auth0_gateway import gateway
from organizations.models import MembershipMode, OrganizationRole
from portal.models import User
from tests.factories import OrganizationFactory
from tests.users.auth0_users import auth0_user
from tests.users.email_copies import (
    answered_invitation_email,
    email_copies,
    email_copies_expected,
    email_copies_make,
)
from tests.users.sync_support import SHARED, sync_run
from users.directory.copies import email_copies_follow
from users.directory.mirror import directory_user_write_through, directory_users_upsert
from users.models import DirectoryUser, SyncRun
from users.tasks import directory_user_refresh

pytestmark = pytest.mark.django_db


def address(local: str = "moved") -> str:
    return f"{local}-{uuid.uuid4().hex[:8]}@acme.test"


@pytest.fixture
def acme(auth0_on_changing_emulator):
    return OrganizationFactory(slug="acme", display_name="Acme", connection_name="acme-users",
                               membership_mode=MembershipMode.ISOLATED_CONNECTION, auth0_connection_id="con_a")


def test_a_change_made_in_auth0_reaches_every_copy_through_a_refresh(acme) -> None:
    auth0 = gateway()
    user = auth0.user_create(connection="acme-users", email=address("before"), password="Very-l0ng-passw0rd!")
    directory_user_write_through(user)
    old, new = user["email"], address()
    email_copies_make(user["user_id"], old, acme)
    auth0.user_update(user_id=user["user_id"], email=new)  # outside the portal: the mirror does not know yet
    assert email_copies(user["user_id"]) == email_copies_expected(old)
    assert directory_user_refresh.apply(args=[user["user_id"]]).get() == "updated"
    assert email_copies(user["user_id"]) == email_copies_expected(new)
    assert answered_invitation_email(user["user_id"]) == old


def test_a_change_made_in_auth0_reaches_every_copy_through_a_delta_sync(auth0_on_changing_emulator) -> None:
    initech = OrganizationFactory(slug="initech", display_name="Initech", connection_name=SHARED,
                                  membership_mode=MembershipMode.SHARED_CONNECTION, auth0_connection_id="con_s")
    auth0 = gateway()
    user = auth0.user_create(connection=SHARED, email=address("before"), password="Very-l0ng-passw0rd!",
                             app_metadata={"organizations": ["initech"]})
    try:
        assert sync_run("full").status == SyncRun.Status.SUCCEEDED
        old, new = user["email"], address()
        email_copies_make(user["user_id"], old, initech)
        auth0.user_update(user_id=user["user_id"], email=new)
        delta = sync_run("delta")
        assert delta.status == SyncRun.Status.SUCCEEDED, delta.last_error
        assert email_copies(user["user_id"]) == email_copies_expected(new)
    finally:
        auth0.user_delete(user_id=user["user_id"])


def test_the_upsert_moves_copies_by_user_id_and_never_backwards_or_to_nothing() -> None:
    organization = OrganizationFactory(connection_name=SHARED, membership_mode=MembershipMode.SHARED_CONNECTION)
    person = auth0_user(email="ann@x.test", updated_at="2025-02-01T00:00:00.000Z",
                        app_metadata={"organizations": [organization.slug]})
    namesake = auth0_user(connection="other-users", email="ann@x.test")
    directory_users_upsert([person, namesake])
    email_copies_make(person["user_id"], "ann@x.test", organization)
    email_copies_make(namesake["user_id"], "ann@x.test", organization)

    # Exactly as Auth0 has it (a mixed-case address stays mixed), the namesake untouched.
    directory_users_upsert([{**person, "email": "Ann.New@X.test", "updated_at": "2025-03-01T00:00:00.000Z"}])
    assert email_copies(person["user_id"]) == email_copies_expected("Ann.New@X.test")
    assert email_copies(namesake["user_id"]) == email_copies_expected("ann@x.test", memberships=0)
    # An older copy of the user (a lagging export) changes neither the row nor the copies.
    directory_users_upsert([person])
    assert email_copies(person["user_id"]) == email_copies_expected("Ann.New@X.test")
    # A user Auth0 returns without an address: the copies keep the last one known.
    directory_users_upsert([{**person, "email": "", "updated_at": "2025-04-01T00:00:00.000Z"}])
    assert DirectoryUser.objects.get(user_id=person["user_id"]).email == ""
    assert OrganizationRole.objects.get(user_id=person["user_id"]).email == "Ann.New@X.test"


def test_allauths_older_addresses_of_the_account_go_and_the_first_becomes_the_new_one() -> None:
    account = User.objects.create_user("auth0|ea", email="old@x.test")
    EmailAddress.objects.create(user=account, email="old@x.test", verified=True, primary=True)
    EmailAddress.objects.create(user=account, email="older@x.test", verified=True, primary=False)
    person = DirectoryUser(user_id="auth0|ea", email="new@x.test", email_verified=False)
    assert email_copies_follow([person]) == 2  # the sign-in account's email, and its addresses
    assert list(EmailAddress.objects.filter(user=account).values_list("email", "verified", "primary")) == [
        ("new@x.test", False, True)]
    assert User.objects.get(pk=account.pk).email == "new@x.test"
    # Already as Auth0 says: nothing to do.
    assert email_copies_follow([person]) == 0
    # An account that already holds the new address among older ones keeps that row alone.
    EmailAddress.objects.create(user=account, email="stale@x.test", verified=True, primary=False)
    assert email_copies_follow([person]) == 1
    assert list(EmailAddress.objects.filter(user=account).values_list("email", flat=True)) == ["new@x.test"]
