"""The self-service profile's pages with Django's test client (the directory only: nothing here reaches Auth0;
the tasks are tests/users/profile/test_acts.py's): what the page shows a person of an organization, of none, with a
social account or before the directory has read them; editing one's details, where a crafted POST adding an
admin's field or an app_metadata field is refused by name and changes nothing; the email requests and their
per-person limit (a clear message, nothing recorded, queued or sent); signing out everywhere (every other
portal session ends, this one goes on); the export's download, for its owner alone and only while offered."""

from __future__ import annotations

import datetime as dt
import html
import json
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from organizations.models import Audience, MetadataField
from portal.models import AuditEvent, Operation, OperationKind, User
from tests.factories import OrganizationFactory, UserFactory
from tests.users.auth0_users import auth0_user
from users.directory.mirror import directory_users_upsert
from users.models import DataExport, DirectoryUser

pytestmark = pytest.mark.django_db

# (key, target, type, editable_by, visible_to, extra)
SCHEMA = [
    ("desk", "user_metadata", "text", Audience.END_USER, Audience.END_USER, {"label": "Desk", "max_length": 10}),
    ("pronouns", "user_metadata", "enum", Audience.END_USER, Audience.END_USER,
     {"label": "Pronouns", "choices": ["she/her", "he/him", "they/them"]}),
    ("team", "user_metadata", "text", Audience.ORG_ADMIN, Audience.END_USER, {"label": "Team"}),
    ("cost_centre", "app_metadata", "text", Audience.ORG_ADMIN, Audience.END_USER, {"label": "Cost centre"}),
    ("risk", "app_metadata", "text", Audience.COMPANY_ADMIN, Audience.COMPANY_ADMIN, {"label": "Risk score"}),
]


@pytest.fixture
def acme():
    organization = OrganizationFactory(slug="acme", display_name="Acme", connection_name="acme-users",
                                       accent_colour="#aa3300")
    for position, (key, target, kind, editable, visible, extra) in enumerate(SCHEMA):
        MetadataField.objects.create(organization=organization, key=key, target=target, type=kind, position=position,
                                     editable_by=editable, visible_to=visible, **extra)
    return organization


def person_in(connection: str, email: str, **fields) -> tuple[Client, dict]:
    """A person mirrored in the directory (a member of the organization whose connection it is), signed in."""
    user = auth0_user(connection=connection, email=email, **fields)
    directory_users_upsert([user])
    client = Client()
    client.force_login(UserFactory(auth0_user_id=user["user_id"], email=email, first_name="Grace"))
    return client, user


@pytest.fixture
def grace(acme):
    return person_in("acme-users", "grace@acme.test", name="Grace Hopper", email_verified=False,
                     user_metadata={"desk": "B12", "team": "Compilers", "hobby": "sailing"},
                     app_metadata={"cost_centre": "CC-7", "risk": "low", "organizations": ["x"]})


def text(response) -> str:
    """The page's HTML with entities read back, so messages compare as people read them."""
    return html.unescape(response.content.decode())


def page(client: Client, url: str = "/profile/", **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return text(response)


# -- what the page shows --------------------------------------------------------------------------------------
def test_a_member_sees_their_profile_in_their_organizations_branding(grace, acme) -> None:
    client, user = grace
    shown = page(client)
    assert "<h1 class=\"h3 mb-1\">Your profile</h1>" in shown
    assert "Grace Hopper" in shown and "grace@acme.test" in shown and "Not verified yet" in shown
    assert reverse("organization_theme", args=["acme"]) in shown  # the organization's accent colour
    assert "Resend the verification email" in shown and "Email me a link to choose a new password" in shown
    # The fields end users see, with what only admins set marked so; never the company admins' field.
    assert "Desk" in shown and "B12" in shown and "Team" in shown and "Compilers" in shown
    assert "Cost centre" in shown and "CC-7" in shown and "(set by Acme's admins)" in shown
    assert "Risk score" not in shown and "low" not in shown
    assert shown.count("(set by Acme's admins)") == 2  # Team and Cost centre; Desk and Pronouns are theirs
    assert reverse("profile_metadata_edit", args=["acme"]) in shown
    assert "Username and password (Auth0 database)" in shown and "acme-users" in shown
    assert user["user_id"] not in shown  # no raw ids on a page for people


def test_a_person_in_no_organization_has_a_page_too() -> None:
    client, _ = person_in("Username-Password-Authentication", "solo@portal.test", name="Solo")
    shown = page(client)
    assert "You do not belong to any organization." in shown
    assert "You belong to no organization, so there are no organization details to show." in shown
    assert "organization_theme" not in shown and "/theme.css" not in shown
    assert "Email me a link to choose a new password" in shown


def test_a_social_account_is_told_where_its_password_lives() -> None:
    client, _ = person_in("google-oauth2", "ada@gmail.test", identities=[
        {"connection": "google-oauth2", "provider": "google-oauth2", "user_id": "1234", "isSocial": True}])
    shown = page(client)
    assert "You sign in with your Google account: your password is Google's" in shown
    assert "Email me a link to choose a new password" not in shown


def test_before_the_directory_has_read_them_the_page_says_so() -> None:
    client = Client()
    client.force_login(UserFactory(email="new@portal.test"))
    shown = page(client)
    assert "new@portal.test" in shown and "The portal is reading your account from Auth0" in shown


def test_several_organizations_choose_the_one_shown_and_no_other(grace, acme) -> None:
    client, user = grace
    other = OrganizationFactory(slug="initech", display_name="Initech", membership_mode="shared_connection",
                                connection_name="acme-users")
    directory_users_upsert([{**user, "app_metadata": {**user["app_metadata"], "organizations": ["initech"]},
                             "updated_at": "2026-01-01T00:00:00.000Z"}])
    shown = page(client, organization="initech")
    assert "Your details at Initech" in shown and reverse("organization_theme", args=["initech"]) in shown
    assert "Initech keeps no details about you that you can see here." in shown
    OrganizationFactory(slug="globex")
    assert client.get("/profile/", {"organization": "globex"}).status_code == 404
    assert other.pk


# -- editing one's details ------------------------------------------------------------------------------------
def test_the_form_offers_only_what_the_person_may_edit(grace, acme) -> None:
    client, _ = grace
    shown = page(client, reverse("profile_metadata_edit", args=["acme"]))
    assert 'name="user_metadata.desk"' in shown and 'value="B12"' in shown and 'name="user_metadata.pronouns"' in shown
    assert 'name="user_metadata.team"' not in shown and 'name="app_metadata.cost_centre"' not in shown
    assert "Set by Acme's admins" in shown and "Cost centre" in shown


def test_an_edit_is_reviewed_then_queued_as_the_persons_own(grace, acme, django_capture_on_commit_callbacks,
                                                          published_tasks) -> None:
    client, user = grace
    url = reverse("profile_metadata_edit", args=["acme"])
    review = client.post(url, {"user_metadata.desk": "C3", "user_metadata.pronouns": "she/her"})
    assert review.status_code == 200
    assert "Save these changes to your details?" in text(review)
    assert not Operation.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {"user_metadata.desk": "C3", "user_metadata.pronouns": "she/her", "confirm": "yes"})
    assert done.status_code == 302 and done["Location"] == "/profile/?organization=acme"
    operation = Operation.objects.get()
    assert operation.kind == OperationKind.PROFILE_METADATA_EDIT and operation.target == user["user_id"]
    assert operation.actor_user_id == user["user_id"] and operation.organization == acme
    assert operation.payload["user_metadata"] == {"desk": "C3", "pronouns": "she/her"}
    assert "app_metadata" not in operation.payload
    assert published_tasks == ["users.tasks.profile_metadata_edit"]
    assert "Saving your details" in page(client)


@pytest.mark.parametrize(("crafted", "message"), [
    ({"app_metadata.cost_centre": "CC-1"}, "Cost centre is kept by Acme's admins: you cannot change it yourself."),
    ({"user_metadata.team": "Sales"}, "Team is kept by Acme's admins: you cannot change it yourself."),
    ({"app_metadata.risk": "none"}, "Risk score is kept by Acme's admins: you cannot change it yourself."),
    ({"app_metadata.organizations": "globex"}, "“organizations” is reserved by the portal in app_metadata"),
    ({"user_metadata.favourite": "x"}, "“favourite” is not a field of Acme's metadata schema."),
])
@pytest.mark.parametrize("step", ["review", "confirm"])
def test_a_crafted_post_adding_a_field_not_theirs_is_refused_and_changes_nothing(
        grace, acme, crafted, message, step, django_capture_on_commit_callbacks, published_tasks) -> None:
    client, user = grace
    data = {"user_metadata.desk": "C3", **crafted}
    if step == "confirm":
        data["confirm"] = "yes"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("profile_metadata_edit", args=["acme"]), data)
    assert response.status_code == 400
    assert message in text(response)
    assert not Operation.objects.exists() and not AuditEvent.objects.exists() and published_tasks == []
    stored = DirectoryUser.objects.get(user_id=user["user_id"])
    assert stored.user_metadata["desk"] == "B12" and stored.app_metadata["cost_centre"] == "CC-7"


def test_a_bad_value_is_shown_beside_its_field_with_what_was_typed(grace) -> None:
    client, _ = grace
    response = client.post(reverse("profile_metadata_edit", args=["acme"]), {"user_metadata.desk": "A" * 11})
    assert response.status_code == 400
    shown = text(response)
    assert "Keep it to 10 characters (this is 11)." in shown and 'value="AAAAAAAAAAA"' in shown
    assert 'aria-invalid="true"' in shown


def test_another_organizations_edit_page_is_a_404(grace) -> None:
    client, _ = grace
    OrganizationFactory(slug="globex")
    for method in ("get", "post"):
        assert getattr(client, method)(reverse("profile_metadata_edit", args=["globex"])).status_code == 404


# -- the email requests and their limit -------------------------------------------------------------------------
@pytest.mark.parametrize(("route", "kind", "what"), [
    ("profile_password_email", OperationKind.PROFILE_PASSWORD_EMAIL, "change-password emails"),
    ("profile_verification_email", OperationKind.PROFILE_VERIFICATION_EMAIL, "verification emails"),
])
def test_each_email_request_beyond_its_limit_gets_a_clear_message_and_sends_nothing(
        grace, route, kind, what, django_capture_on_commit_callbacks, published_tasks) -> None:
    client, user = grace
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(reverse(route), {"organization": "acme"}).status_code == 302
    assert Operation.objects.filter(kind=kind, target=user["user_id"]).count() == 3
    assert len(published_tasks) == 3
    with django_capture_on_commit_callbacks(execute=True):
        refused = client.post(reverse(route), {"organization": "acme"}, follow=True)
    shown = text(refused)
    assert f"You have already asked for 3 {what} this hour, the most allowed: nothing was sent this time." in shown
    assert re.search(r"You can ask again in (1 hour|59 minutes)\.", shown)
    assert Operation.objects.filter(kind=kind).count() == 3 and mail.outbox == []
    assert published_tasks.count("users.tasks.profile_action") == 3


def test_a_verified_address_is_not_sent_another_verification(acme) -> None:
    client, _ = person_in("acme-users", "ok@acme.test", email_verified=True)
    assert "Resend the verification email" not in page(client)
    response = client.post(reverse("profile_verification_email"), follow=True)
    assert "ok@acme.test is verified already." in text(response)
    assert not Operation.objects.exists()


def test_an_organization_posted_must_be_the_persons_own(grace) -> None:
    client, _ = grace
    OrganizationFactory(slug="globex")
    assert client.post(reverse("profile_password_email"), {"organization": "globex"}).status_code == 404
    assert not Operation.objects.exists()


# -- signing out everywhere -------------------------------------------------------------------------------------
def test_signing_out_everywhere_ends_every_other_portal_session(grace, django_capture_on_commit_callbacks,
                                                                published_tasks) -> None:
    client, user = grace
    laptop = Client()
    laptop.force_login(User.objects.get(auth0_user_id=user["user_id"]))
    assert laptop.get("/profile/").status_code == 200
    confirm = page(client, reverse("profile_sessions_revoke"))
    assert "Sign out everywhere?" in confirm and "This browser stays signed in" in confirm
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(reverse("profile_sessions_revoke"), {"organization": "acme"}, follow=True)
    assert "Every other portal session of yours has ended." in text(done)
    assert "Signing you out of Auth0 everywhere" in text(done)
    assert client.get("/profile/").status_code == 200  # this browser goes on
    gone = laptop.get("/profile/")
    assert gone.status_code == 302 and gone["Location"].startswith("/login/")
    operation = Operation.objects.get()
    assert (operation.kind, operation.target, operation.actor_user_id) == (
        OperationKind.PROFILE_SESSIONS_REVOKE, user["user_id"], user["user_id"])
    assert published_tasks == ["users.tasks.profile_action"]


# -- the export --------------------------------------------------------------------------------------------------
def test_an_export_is_asked_for_then_downloaded_by_its_owner_alone(grace, django_capture_on_commit_callbacks) -> None:
    client, user = grace
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("profile_data_export"), {"organization": "acme"})
    export = DataExport.objects.get()
    assert export.user_id == user["user_id"] and export.operation.kind == OperationKind.PROFILE_DATA_EXPORT
    assert "Being prepared" in page(client)
    again = client.post(reverse("profile_data_export"), {"organization": "acme"}, follow=True)
    assert "An export of your data is already being prepared" in text(again)
    url = reverse("profile_data_export_download", args=[export.pk])
    assert client.get(url).status_code == 404  # not ready yet
    now = timezone.now()
    DataExport.objects.filter(pk=export.pk).update(content=json.dumps({"account": {"email": "grace@acme.test"}}),
                                                   ready_at=now, expires_at=now + dt.timedelta(days=7))
    Operation.objects.filter(pk=export.operation_id).update(status=Operation.Status.SUCCEEDED)
    assert "Download your data" in page(client)
    download = client.get(url)
    assert download.status_code == 200 and download["Content-Type"].startswith("application/json")
    assert download["Content-Disposition"] == f'attachment; filename="my-data-{now:%Y-%m-%d}.json"'
    assert json.loads(download.content) == {"account": {"email": "grace@acme.test"}}
    assert AuditEvent.objects.filter(action="profile.data_export_downloaded", target_id=user["user_id"]).exists()
    someone, _ = person_in("acme-users", "someone@acme.test")
    assert someone.get(url).status_code == 404
    DataExport.objects.filter(pk=export.pk).update(expires_at=now - dt.timedelta(seconds=1))
    assert client.get(url).status_code == 404
    assert "Download your data" not in page(client)


def test_the_operation_status_is_the_persons_own(grace, django_capture_on_commit_callbacks) -> None:
    client, _ = grace
    client.post(reverse("profile_password_email"))
    operation = Operation.objects.get()
    status = client.get(reverse("profile_operation", args=[operation.pk])).json()
    assert status == {"id": str(operation.pk), "status": "pending", "status_display": "Pending", "last_error": "",
                      "finished": False}
    someone, _ = person_in("acme-users", "someone@acme.test")
    assert someone.get(reverse("profile_operation", args=[operation.pk])).status_code == 404


def test_activity_status_and_refresh(grace, django_capture_on_commit_callbacks, published_tasks) -> None:
    client, _ = grace
    with django_capture_on_commit_callbacks(execute=True):
        page(client)  # opening the page asks for the person and their activity
    assert sorted(published_tasks) == ["users.tasks.directory_user_refresh", "users.tasks.user_activity_refresh"]
    assert client.get(reverse("profile_activity")).json()["pending"] is True
    again = client.post(reverse("profile_activity"), follow=True)
    assert "Your activity was asked for less than a minute ago" in text(again)


def test_signed_out_people_are_sent_to_sign_in() -> None:
    anonymous = Client()
    for name in ("profile", "profile_activity", "profile_sessions_revoke"):
        response = anonymous.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith("/login/")
