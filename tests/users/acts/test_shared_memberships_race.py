"""Shared-connection memberships are never lost: a person's organizations are one list in Auth0
(``app_metadata.organizations``) that each organization writes whole, so two organizations adding or
removing the same person at the same instant would each write the list they read, and one change would be
lost. Each write holds the person's lock (``organizations.membership.organizations_list_lock``) while it
reads, writes, reads back and records the list in the directory: here eight organizations act on one person
at once, in threads of their own with their own database connections (a database server: CI's PostgreSQL
pass), against an emulator over HTTP, and the list ends exactly as the acts asked, in Auth0 and in the
directory. (The same through two real workers and 200 operations: tests/reliability/test_memberships.py.)"""

from __future__ import annotations

import uuid

import pytest

from auth0_gateway import gateway
from organizations.membership import organizations_list_write
from organizations.models import MembershipMode, Organization
from tests.factories import OrganizationFactory
from tests.support.concurrency import needs_database_server, simultaneously
from users.acts.invite import password_random
from users.acts.membership import membership_add
from users.acts.removal import membership_end
from users.directory.mirror import directory_user_write_through
from users.models import DirectoryUser

pytestmark = pytest.mark.django_db(transaction=True)

SHARED = "Username-Password-Authentication"


def shared_organizations(count: int) -> list[Organization]:
    tag = uuid.uuid4().hex[:6]
    return [OrganizationFactory(slug=f"shared-{tag}-{n}", display_name=f"Shared {n}", connection_name=SHARED,
                                membership_mode=MembershipMode.SHARED_CONNECTION, auth0_connection_id="con_s")
            for n in range(count)]


def person_in(organizations: list[Organization]) -> dict:
    user = gateway().user_create(connection=SHARED, email=f"p-{uuid.uuid4().hex[:8]}@example.test",
                                 password=password_random(),
                                 app_metadata={"organizations": [o.slug for o in organizations]})
    directory_user_write_through(user)
    return user


def organizations_held(user_id: str) -> tuple[set[str], set[str]]:
    """The person's organizations as Auth0 lists them and as the directory records them."""
    listed = set((gateway().user_get(user_id=user_id).get("app_metadata") or {}).get("organizations") or [])
    recorded = set(DirectoryUser.objects.filter(user_id=user_id).values_list("memberships__organization__slug",
                                                                             flat=True)) - {None}
    return listed, recorded


@needs_database_server
def test_organizations_adding_and_removing_one_person_at_once_lose_nothing(auth0_on_changing_emulator) -> None:
    organizations = shared_organizations(8)
    leaving, joining = organizations[:4], organizations[4:]
    person = person_in(leaving)

    def act(n: int):
        organization = organizations[n]
        if organization in leaving:
            return membership_end(gateway(), organization, person["user_id"])
        return membership_add(gateway(), organization, person)

    outcomes = simultaneously(act, len(organizations))

    assert [o for o in outcomes if isinstance(o, Exception)] == []
    expected = {o.slug for o in joining}
    assert organizations_held(person["user_id"]) == (expected, expected)


def test_a_write_is_read_back_and_repeated_when_the_list_was_changed_meanwhile(auth0_on_changing_emulator,
                                                                                monkeypatch) -> None:
    """Something outside the portal rewriting the list between the write and the read back (a rule, another
    tool) is caught: the write is a passing fault, and the operation's next run starts from Auth0's list."""
    from portal.faults import TransientFault

    organization = shared_organizations(1)[0]
    person = person_in([])
    auth0 = gateway()
    real_update = type(auth0).user_update

    def update_then_overwritten(self, *, user_id, **changes):
        answer = real_update(self, user_id=user_id, **changes)
        real_update(self, user_id=user_id, app_metadata={"organizations": ["someone-else"]})
        return answer

    monkeypatch.setattr(type(auth0), "user_update", update_then_overwritten)
    with pytest.raises(TransientFault, match="changed in Auth0 while the portal wrote them"):
        organizations_list_write(auth0, person["user_id"], organization.slug, held=True)
    monkeypatch.undo()

    organizations_list_write(auth0, person["user_id"], organization.slug, held=True)
    assert organizations_held(person["user_id"])[0] == {"someone-else", organization.slug}
