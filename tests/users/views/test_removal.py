"""The remove and delete pages: offered on the user's page as the organization's mode and the actor's
rights allow, each saying what it does (or, before anything is pressed, why it cannot be done); deletion
asks for the user's email, typed, and a wrong one is refused beside its field with the text kept. (The
acts themselves, against the emulator, are tests/users/acts/test_removal.py.)"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from organizations.models import MembershipMode
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
def initech():
    return OrganizationFactory(slug="initech", display_name="Initech", connection_name="shared",
                               membership_mode=MembershipMode.SHARED_CONNECTION, auth0_connection_id="con_s")


def member(organization, email: str, **fields) -> dict:
    user = auth0_user(connection=organization.connection_name, email=email,
                      app_metadata={"organizations": [organization.slug]}, **fields)
    directory_users_upsert([user])
    return user


def signed_in(client: Client, organization, role: str, user_id: str | None = None) -> Client:
    granted = RoleFactory(organization=organization, role=role, **({"user_id": user_id} if user_id else {}))
    client.force_login(UserFactory(auth0_user_id=granted.user_id))
    return client


def nav(page: str) -> str:
    return page.split('aria-label="Actions on this user"')[1].split("</nav>")[0]


def test_the_users_page_offers_what_the_mode_and_the_role_allow(client, acme, initech) -> None:
    ada = member(acme, "ada@acme.test")
    bob = member(initech, "bob@initech.test")
    admin = signed_in(client, acme, "admin")
    offered = nav(admin.get(f"/o/acme/users/{ada['user_id']}/").content.decode())
    assert ">Delete the user</a>" in offered and "Remove from" not in offered
    other = signed_in(Client(), initech, "admin")
    offered = nav(other.get(f"/o/initech/users/{bob['user_id']}/").content.decode())
    assert ">Remove from Initech</a>" in offered and "Delete the user" not in offered
    chief = Client()
    chief.force_login(UserFactory(auth0_user_id=CompanyAdminFactory().user_id))
    offered = nav(chief.get(f"/o/initech/users/{bob['user_id']}/").content.decode())
    assert ">Remove from Initech</a>" in offered and ">Delete the user</a>" in offered
    viewer = signed_in(Client(), acme, "viewer")
    assert "Delete the user" not in viewer.get(f"/o/acme/users/{ada['user_id']}/").content.decode()


def test_nobody_is_offered_to_remove_or_delete_themselves(client, initech) -> None:
    me = member(initech, "me@initech.test")
    admin = signed_in(client, initech, "admin", user_id=me["user_id"])
    offered = nav(admin.get(f"/o/initech/users/{me['user_id']}/").content.decode())
    assert "Remove from" not in offered and "Delete" not in offered


def test_removing_says_what_it_does_and_queues_it(client, initech, django_capture_on_commit_callbacks,
                                                  published_tasks) -> None:
    bob = member(initech, "bob@initech.test", name="Bob Ross")
    admin = signed_in(client, initech, "admin")
    url = reverse("user_remove", kwargs={"slug": "initech", "user_id": bob["user_id"]})
    page = admin.get(url).content.decode()
    assert "Remove Bob Ross from Initech?" in page and "Their account stays" in page
    assert not Operation.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(url)
    operation = Operation.objects.get()
    assert operation.kind == "user_remove" and published_tasks == ["users.tasks.user_remove"]
    assert response.status_code == 302
    assert response["Location"] == reverse("operation_detail", kwargs={"slug": "initech", "operation_id": operation.pk})
    assert "Remove a user from the organization" in admin.get(response["Location"]).content.decode()


def test_an_isolated_organizations_page_says_its_users_are_deleted_not_removed(client, acme) -> None:
    ada = member(acme, "ada@acme.test")
    admin = signed_in(client, acme, "admin")
    url = reverse("user_remove", kwargs={"slug": "acme", "user_id": ada["user_id"]})
    page = admin.get(url).content.decode()
    assert "cannot be removed from it, only deleted." in page and "<button" not in page.split("<main")[-1]
    assert admin.post(url).status_code == 400
    assert not Operation.objects.exists()


def test_a_wrong_confirmation_is_refused_beside_its_field_with_the_text_kept(client, acme) -> None:
    ada = member(acme, "ada@acme.test", name="Ada Lovelace")
    admin = signed_in(client, acme, "admin")
    url = reverse("user_delete", kwargs={"slug": "acme", "user_id": ada["user_id"]})
    page = admin.get(url).content.decode()
    assert "Delete Ada Lovelace?" in page and "To confirm, type <strong" in page and "ada@acme.test" in page
    response = admin.post(url, {"confirmation": "ada@acme.tset"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'value="ada@acme.tset"' in page
    errors = page.split('id="id_confirmation_error"')[1].split("</ul>")[0]
    assert ("That is not Ada Lovelace&#x27;s email address: type ada@acme.test exactly to confirm the deletion."
            in errors)
    field = next(tag for tag in page.split("<input")[1:] if 'id="id_confirmation"' in tag.split(">")[0])
    assert 'aria-invalid="true"' in field.split(">")[0] and 'aria-describedby="id_confirmation_error' in field
    empty = admin.post(url, {"confirmation": ""}).content.decode()
    assert "Type the email address shown above to confirm." in empty.split('id="id_confirmation_error"')[1]
    assert not Operation.objects.exists()


def test_the_right_confirmation_queues_the_deletion(client, acme, django_capture_on_commit_callbacks,
                                                   published_tasks) -> None:
    ada = member(acme, "ada@acme.test")
    admin = signed_in(client, acme, "admin")
    url = reverse("user_delete", kwargs={"slug": "acme", "user_id": ada["user_id"]})
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(url, {"confirmation": "Ada@Acme.test "})
    operation = Operation.objects.get()
    assert operation.kind == "user_delete" and published_tasks == ["users.tasks.user_delete"]
    assert response["Location"] == reverse("operation_detail", kwargs={"slug": "acme", "operation_id": operation.pk})


def test_refusals_show_before_anything_is_typed(client, initech, acme) -> None:
    bob = member(initech, "bob@initech.test")
    admin = signed_in(client, initech, "admin")
    page = admin.get(reverse("user_delete", kwargs={"slug": "initech", "user_id": bob["user_id"]})).content.decode()
    assert "Only company admins delete users of Initech" in page and 'name="confirmation"' not in page
    response = admin.post(reverse("user_delete", kwargs={"slug": "initech", "user_id": bob["user_id"]}),
                          {"confirmation": "bob@initech.test"})
    assert response.status_code == 400
    # The organization's only admin stays.
    only = member(acme, "only@acme.test", name="Olive")
    RoleFactory(organization=acme, role="admin", user_id=only["user_id"])
    chief = Client()
    chief.force_login(UserFactory(auth0_user_id=CompanyAdminFactory().user_id))
    page = chief.get(reverse("user_delete", kwargs={"slug": "acme", "user_id": only["user_id"]})).content.decode()
    assert "Olive is the only admin of Acme: appoint another admin first" in page
    assert not Operation.objects.exists()


def test_viewers_reach_neither_page(client, acme) -> None:
    ada = member(acme, "ada@acme.test")
    viewer = signed_in(client, acme, "viewer")
    for name in ("user_remove", "user_delete"):
        url = reverse(name, kwargs={"slug": "acme", "user_id": ada["user_id"]})
        assert viewer.get(url).status_code == 403
        assert viewer.post(url, {"confirmation": "ada@acme.test"}).status_code == 403
    assert not Operation.objects.exists()
