"""Refreshing one user reads Auth0 (the emulator, over HTTP) and writes the mirror."""

from __future__ import annotations

import uuid

import pytest

from auth0_gateway import gateway
from organizations.models import MembershipMode
from tests.factories import OrganizationFactory
from users.directory.refresh import directory_user_refresh_request
from users.models import DirectoryUser, Membership, Tombstone
from users.tasks import directory_user_refresh

pytestmark = pytest.mark.django_db
SHARED = "Username-Password-Authentication"


def test_a_refresh_brings_a_user_and_their_memberships_then_notices_the_deletion(auth0_on_emulator) -> None:
    shared_org = OrganizationFactory(slug="initech", membership_mode=MembershipMode.SHARED_CONNECTION,
                                     connection_name=SHARED)
    globex = gateway().organization_get_by_name(name="globex")
    auth0_org = OrganizationFactory(slug="globex", membership_mode=MembershipMode.AUTH0_ORGANIZATION,
                                    connection_name=SHARED, auth0_organization_id=globex["id"])
    email = f"refresh-{uuid.uuid4().hex[:8]}@initech.test"
    user = gateway().user_create(connection=SHARED, email=email, password="Very-l0ng-passw0rd!",
                                 name="Rita Refresh", app_metadata={"organizations": ["initech"]})
    gateway().organization_members_add(organization_id=globex["id"], user_ids=[user["user_id"]])
    try:
        assert directory_user_refresh.apply(args=[user["user_id"]]).get() == "updated"
        row = DirectoryUser.objects.get(user_id=user["user_id"])
        assert (row.email, row.name) == (email, "Rita Refresh")
        assert set(Membership.objects.filter(user=row).values_list("organization", flat=True)) == {
            shared_org.pk, auth0_org.pk}
    finally:
        gateway().user_delete(user_id=user["user_id"])
    assert directory_user_refresh.apply(args=[user["user_id"]]).get() == "deleted"
    assert not DirectoryUser.objects.filter(user_id=user["user_id"]).exists()
    assert Tombstone.objects.filter(user_id=user["user_id"]).exists()


def test_requests_for_the_same_user_queue_one_refresh_until_it_starts(
    auth0_on_emulator, django_capture_on_commit_callbacks, published_tasks
) -> None:
    user_id = gateway().users_by_email(email="user01@acme.test")[0]["user_id"]
    with django_capture_on_commit_callbacks(execute=True):
        assert directory_user_refresh_request(user_id) is True
        assert directory_user_refresh_request(user_id) is False
    assert published_tasks == ["users.tasks.directory_user_refresh"]
    directory_user_refresh.apply(args=[user_id])  # started: the next change queues again
    with django_capture_on_commit_callbacks(execute=True):
        assert directory_user_refresh_request(user_id) is True
    assert published_tasks == ["users.tasks.directory_user_refresh"] * 2
