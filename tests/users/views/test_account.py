"""The user page's actions: offered to the organization's admins only and as they make sense, each
behind a page that says what it does; a refusal shows its reason on that page. (The acts themselves,
against the emulator, are tests/users/acts/test_account.py.)"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from portal.models import Operation
from tests.factories import CompanyAdminFactory, OrganizationFactory, RoleFactory, UserFactory
from tests.users.auth0_users import auth0_user
from users.directory.mirror import directory_users_upsert

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme():
    return OrganizationFactory(slug="acme", display_name="Acme", connection_name="acme-users",
                               auth0_connection_id="con_acme")


@pytest.fixture
def ada(acme) -> dict:
    user = auth0_user(connection="acme-users", email="ada@acme.test", name="Ada Lovelace", email_verified=False)
    directory_users_upsert([user])
    return user


def signed_in(client: Client, organization, role: str, user_id: str | None = None) -> Client:
    granted = RoleFactory(organization=organization, role=role, **({"user_id": user_id} if user_id else {}))
    client.force_login(UserFactory(auth0_user_id=granted.user_id))
    return client


def test_admins_are_offered_what_makes_sense_and_confirm_before_it_is_queued(
    client, acme, ada, django_capture_on_commit_callbacks, published_tasks
) -> None:
    admin = signed_in(client, acme, "admin")
    page = admin.get(f"/o/acme/users/{ada['user_id']}/").content.decode()
    for label in ("Block", "Send a change-password email", "Resend the verification email"):
        assert f">{label}</a>" in page
    assert ">Unblock</a>" not in page and ">Clear failed sign-in blocks</a>" not in page
    confirm = admin.get(f"/o/acme/users/{ada['user_id']}/actions/block/").content.decode()
    assert "They will not be able to sign in until an admin unblocks them." in confirm
    assert not Operation.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(f"/o/acme/users/{ada['user_id']}/actions/block/")
    assert response.status_code == 302
    assert response["Location"] == reverse("user_detail", kwargs={"slug": "acme", "user_id": ada["user_id"]})
    assert Operation.objects.get().kind == "user_block" and published_tasks == ["users.tasks.user_action"]
    assert "Block a user:" in admin.get(f"/o/acme/users/{ada['user_id']}/").content.decode()


def test_a_refusal_shows_its_reason_on_the_confirmation_page(client, acme, ada) -> None:
    me = auth0_user(connection="acme-users", email="me@acme.test")
    directory_users_upsert([me])
    admin = signed_in(client, acme, "admin", user_id=me["user_id"])
    asked = admin.get(f"/o/acme/users/{me['user_id']}/actions/block/").content.decode()
    assert "You cannot block yourself: you would be locked out." in asked  # before anything is pressed
    assert '>Block</button>' not in asked
    response = admin.post(f"/o/acme/users/{me['user_id']}/actions/block/")
    assert response.status_code == 400
    assert "You cannot block yourself: you would be locked out." in response.content.decode()
    CompanyAdminFactory(user_id=ada["user_id"])
    response = admin.post(f"/o/acme/users/{ada['user_id']}/actions/password-email/")
    assert "Company admins are managed by company admins only." in response.content.decode()
    assert not Operation.objects.exists()


def test_viewers_see_no_actions_and_cannot_reach_them(client, acme, ada) -> None:
    viewer = signed_in(client, acme, "viewer")
    page = viewer.get(f"/o/acme/users/{ada['user_id']}/").content.decode()
    assert "Actions on this user" not in page
    for method in ("get", "post"):
        assert getattr(viewer, method)(f"/o/acme/users/{ada['user_id']}/actions/block/").status_code == 403
    assert not Operation.objects.exists()


def test_an_unknown_action_is_a_404(client, acme, ada) -> None:
    admin = signed_in(client, acme, "admin")
    assert admin.get(f"/o/acme/users/{ada['user_id']}/actions/explode/").status_code == 404
