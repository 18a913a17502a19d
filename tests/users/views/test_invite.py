"""The invitation page: its admins only, errors beside their fields with the input kept, and the list
page following the invitation until its outcome has been shown once. (The work itself, against the
emulator, is tests/users/acts/test_invite.py; the whole path in a browser is tests/e2e.)"""

from __future__ import annotations

import pytest
from django.test import Client

from portal.models import AuditEvent, Operation
from tests.factories import OrganizationFactory, RoleFactory, UserFactory
from users.acts import invite as invitations

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme():
    return OrganizationFactory(slug="acme", display_name="Acme", auth0_connection_id="con_acme")


def signed_in(client: Client, organization, role: str) -> Client:
    granted = RoleFactory(organization=organization, role=role)
    client.force_login(UserFactory(auth0_user_id=granted.user_id))
    return client


def test_an_admin_invites_and_the_list_follows_the_invitation(client, acme, django_capture_on_commit_callbacks,
                                                               published_tasks) -> None:
    admin = signed_in(client, acme, "admin")
    assert "Invite a user" in admin.get("/o/acme/users/").content.decode()
    page = admin.get("/o/acme/users/invite/")
    assert page.status_code == 200 and "valid for 7 days" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post("/o/acme/users/invite/", {"email": "Ada@Acme.test", "name": "Ada"})
    assert response.status_code == 302 and response["Location"] == "/o/acme/users/"
    operation = Operation.objects.get(kind="user_invite")
    assert operation.payload == {"email": "ada@acme.test", "name": "Ada"}
    assert published_tasks == ["users.tasks.user_invite"]
    assert "Inviting ada@acme.test" in admin.get("/o/acme/users/").content.decode()
    Operation.objects.filter(pk=operation.pk).update(status="succeeded",
                                                     result={"user_id": "auth0|x", "new_user": True})
    shown = admin.get("/o/acme/users/").content.decode()
    assert "ada@acme.test is invited: an email with a link to choose their password is on its way." in shown
    assert "ada@acme.test is invited" not in admin.get("/o/acme/users/").content.decode()  # shown once


def test_bad_input_stays_in_the_form_with_the_error_beside_its_field(client, acme) -> None:
    admin = signed_in(client, acme, "admin")
    response = admin.post("/o/acme/users/invite/", {"email": "not-an-email", "name": "Ada"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'value="not-an-email"' in page and 'value="Ada"' in page
    # Beside the field: in the email field's own error list, which the input names for screen readers.
    errors = page.split('id="id_email_error"')[1].split("</ul>")[0]
    assert "Enter a valid email address, like name@example.com." in errors
    assert 'aria-describedby="id_email_error' in page.split('id="id_email"')[0].rsplit("<input", 1)[1] + \
        page.split('id="id_email"')[1].split(">")[0]
    assert not Operation.objects.exists()


def test_an_organization_not_connected_yet_says_so(client) -> None:
    pending = OrganizationFactory(slug="newco", display_name="Newco")
    admin = signed_in(client, pending, "admin")
    page = admin.post("/o/newco/users/invite/", {"email": "ada@newco.test"}).content.decode()
    assert "Newco is not connected to Auth0 yet" in page and not Operation.objects.exists()


def test_viewers_see_the_list_but_cannot_invite(client, acme) -> None:
    viewer = signed_in(client, acme, "viewer")
    assert "Invite a user" not in viewer.get("/o/acme/users/").content.decode()
    assert viewer.get("/o/acme/users/invite/").status_code == 403
    assert viewer.post("/o/acme/users/invite/", {"email": "ada@acme.test"}).status_code == 403
    assert not Operation.objects.exists()


def test_the_schemas_fields_the_admin_may_set_are_on_the_page_and_a_required_one_is_asked_for(
        client, acme, django_capture_on_commit_callbacks, published_tasks) -> None:
    from organizations.models import Audience
    from portal.models import AuditEvent
    from tests.factories import metadata_fields_create

    metadata_fields_create(acme, [
        ("department", "user_metadata", "text", {"label": "Department", "required": True}),
        ("seats", "user_metadata", "integer", {"label": "Seats"}),
        ("cost_centre", "app_metadata", "text", {"label": "Cost centre", "required": True,
                                                 "editable_by": Audience.COMPANY_ADMIN,
                                                 "visible_to": Audience.ORG_ADMIN}),
    ])
    admin = signed_in(client, acme, "admin")
    page = admin.get("/o/acme/users/invite/").content.decode()
    assert 'name="user_metadata.department"' in page and 'name="user_metadata.seats"' in page
    assert 'name="app_metadata.cost_centre"' not in page  # only company admins set it
    assert "Required, but set only by company admins: Cost centre. The invitation leaves it empty for them to " \
           "fill in on the person's page." in " ".join(page.split())

    response = admin.post("/o/acme/users/invite/", {"email": "ada@acme.test", "name": "Ada",
                                                    "user_metadata.department": " ", "user_metadata.seats": "2"})
    assert response.status_code == 400
    page = response.content.decode()
    errors = page.split('id="id_user_metadata.department_error"')[1].split("</ul>")[0]
    assert "Enter a value: this field is required." in errors
    assert 'value="ada@acme.test"' in page and 'value="2"' in page  # what was typed is kept
    assert not Operation.objects.exists() and not AuditEvent.objects.exists() and published_tasks == []

    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post("/o/acme/users/invite/", {"email": "ada@acme.test", "user_metadata.department": "Sales",
                                                        "user_metadata.seats": ""})
    assert response.status_code == 302
    assert Operation.objects.get(kind="user_invite").payload == {"email": "ada@acme.test", "name": "",
                                                                 "user_metadata": {"department": "Sales"}}
    assert published_tasks == ["users.tasks.user_invite"]


@pytest.mark.parametrize("arrival", ["after the first", "at the same instant"])
def test_a_second_invitation_on_its_way_is_refused_beside_the_email(client, acme, monkeypatch, arrival) -> None:
    """Asked for again while the first is on its way, the invitation is refused beside the email field, with the
    input kept, and nothing else is recorded: whether the service's check sees the first, or (asked for at the
    same instant) the database's index refuses it at its insert."""
    admin = signed_in(client, acme, "admin")
    assert admin.post("/o/acme/users/invite/", {"email": "ada@acme.test", "name": "Ada"}).status_code == 302
    events = AuditEvent.objects.count()
    if arrival == "at the same instant":  # the check has not seen the first yet: the index refuses the second
        real_check, first_call = invitations.invitation_on_its_way, iter([True])
        monkeypatch.setattr(invitations, "invitation_on_its_way", lambda organization, email: False if next(
            first_call, False) else real_check(organization, email))
    response = admin.post("/o/acme/users/invite/", {"email": "ADA@acme.test", "name": "Ada L."})
    assert response.status_code == 400
    page = response.content.decode()
    errors = page.split('id="id_email_error"')[1].split("</ul>")[0]
    assert "An invitation to ada@acme.test is already on its way." in errors
    assert 'value="ADA@acme.test"' in page and 'value="Ada L."' in page
    assert Operation.objects.filter(kind="user_invite").count() == 1 and AuditEvent.objects.count() == events
