"""The pending invitations page: who was invited and never signed in, when each link expires (or that it
has), linked from the organization's page and the invitation page; admins resend and revoke, each after
a page that says what it does, and the list follows the outcome; viewers only read. (The acts
themselves, against the emulator, are tests/users/acts/test_pending.py.)"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from organizations.models import MembershipMode
from portal.models import Operation
from portal.operations import operation_create
from tests.factories import OrganizationFactory, RoleFactory, UserFactory
from tests.users.auth0_users import auth0_user
from users.directory.mirror import directory_users_upsert

pytestmark = pytest.mark.django_db


@pytest.fixture
def initech():
    return OrganizationFactory(slug="initech", display_name="Initech", connection_name="shared",
                               membership_mode=MembershipMode.SHARED_CONNECTION, auth0_connection_id="con_s",
                               invite_link_lifetime_days=5)


def member(organization, email: str, *, invited_days_ago: float | None = None, by: str = "Rita", **fields) -> dict:
    user = auth0_user(connection="shared", email=email, app_metadata={"organizations": [organization.slug]},
                      **fields)
    directory_users_upsert([user])
    if invited_days_ago is not None:
        sent = operation_create(kind="user_invite", actor=None, organization=organization, target=email)
        Operation.objects.filter(pk=sent.pk).update(
            status="succeeded", result={"user_id": user["user_id"], "new_user": True}, actor_display=by,
            created_at=timezone.now() - dt.timedelta(days=invited_days_ago))
    return user


def signed_in(client: Client, organization, role: str) -> Client:
    granted = RoleFactory(organization=organization, role=role)
    client.force_login(UserFactory(auth0_user_id=granted.user_id))
    return client


def test_the_list_shows_each_pending_invitation_with_its_expiry(client, initech) -> None:
    member(initech, "fresh@initech.test", invited_days_ago=1)
    member(initech, "stale@initech.test", invited_days_ago=6, by="Sam")
    member(initech, "joined@initech.test", invited_days_ago=2, logins_count=3,
           last_login="2026-01-02T00:00:00.000Z")
    member(initech, "imported@initech.test")  # never invited through the portal
    admin = signed_in(client, initech, "admin")
    page = admin.get(reverse("invitation_list", kwargs={"slug": "initech"})).content.decode()
    assert "fresh@initech.test" in page and "stale@initech.test" in page
    assert "joined@initech.test" not in page and "imported@initech.test" not in page
    assert "works for 5 days after it was sent" in page
    fresh_expiry = (timezone.now() + dt.timedelta(days=4)).strftime("%-d %B %Y")
    stale_expiry = (timezone.now() - dt.timedelta(days=1)).strftime("%-d %B %Y")
    rows = page.split("<tbody>")[1].split('<tr role="row">')[1:]
    assert "fresh@initech.test" in rows[0] and fresh_expiry in rows[0] and "Expired" not in rows[0]
    assert "stale@initech.test" in rows[1] and 'Expired</span> on <time' in rows[1] and stale_expiry in rows[1]
    assert "by Sam" in rows[1] and ">Resend<" in rows[1] and ">Revoke<" in rows[1]


def test_viewers_read_the_list_without_acting(client, initech) -> None:
    ada = member(initech, "ada@initech.test", invited_days_ago=1)
    viewer = signed_in(client, initech, "viewer")
    page = viewer.get(reverse("invitation_list", kwargs={"slug": "initech"})).content.decode()
    assert "ada@initech.test" in page and ">Resend<" not in page and ">Revoke<" not in page
    for name in ("invitation_resend", "invitation_revoke"):
        url = reverse(name, kwargs={"slug": "initech", "user_id": ada["user_id"]})
        assert viewer.get(url).status_code == 403 and viewer.post(url).status_code == 403
    assert Operation.objects.filter(kind__in=["user_invite_resend", "user_invite_revoke"]).count() == 0


def test_the_organizations_page_and_the_invitation_page_link_to_it(client, initech) -> None:
    admin = signed_in(client, initech, "admin")
    url = reverse("invitation_list", kwargs={"slug": "initech"})
    assert f'href="{url}"' in admin.get(reverse("organization_detail", kwargs={"slug": "initech"})).content.decode()
    assert f'href="{url}"' in admin.get(reverse("user_invite", kwargs={"slug": "initech"})).content.decode()


@pytest.mark.parametrize(("act", "says", "task", "outcome"), [
    ("resend", "They get the invitation email again, with a new link to choose their password that works for 5 days.",
     "users.tasks.invitation_resend", "The invitation to ada@initech.test was sent again, with a new link."),
    ("revoke", "They are no longer a user of Initech.", "users.tasks.invitation_revoke",
     "The invitation of ada@initech.test is revoked: the account it created, never used, is deleted."),
])
def test_an_admin_confirms_and_the_list_follows_the_outcome(client, initech, act, says, task, outcome,
                                                           django_capture_on_commit_callbacks,
                                                           published_tasks) -> None:
    ada = member(initech, "ada@initech.test", invited_days_ago=1)
    admin = signed_in(client, initech, "admin")
    url = reverse(f"invitation_{act}", kwargs={"slug": "initech", "user_id": ada["user_id"]})
    assert says in admin.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("invitation_list",
                                                                           kwargs={"slug": "initech"})
    assert published_tasks == [task]
    operation = Operation.objects.get(kind=f"user_invite_{act}")
    assert "ada@initech.test" in admin.get(response["Location"]).content.decode().split("followed-operations")[1]
    Operation.objects.filter(pk=operation.pk).update(
        status="succeeded", result={"user_id": ada["user_id"]} if act == "resend" else {"outcome": "deleted"})
    assert outcome in admin.get(response["Location"]).content.decode()
    assert outcome not in admin.get(response["Location"]).content.decode()  # shown once


def test_someone_who_signed_in_has_no_invitation_to_resend_or_revoke(client, initech) -> None:
    joined = member(initech, "joined@initech.test", invited_days_ago=2, logins_count=1,
                    last_login="2026-01-02T00:00:00.000Z")
    admin = signed_in(client, initech, "admin")
    url = reverse("invitation_revoke", kwargs={"slug": "initech", "user_id": joined["user_id"]})
    assert "has no pending invitation: they have signed in already" in admin.get(url).content.decode()
    assert admin.post(url).status_code == 400
    assert not Operation.objects.filter(kind="user_invite_revoke").exists()
