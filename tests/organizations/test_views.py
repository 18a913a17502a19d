from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from organizations.models import MetadataField
from portal.models import AuditEvent, Operation, User
from tests.factories import CompanyAdminFactory, OrganizationFactory, RoleFactory, UserFactory
from tests.users.auth0_users import auth0_user
from users.directory.mirror import directory_users_upsert
from users.models import SyncRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def company_client(client: Client) -> Client:
    admin = CompanyAdminFactory()
    client.force_login(User.objects.create_user(auth0_user_id=admin.user_id, email=admin.email))
    return client


def _schema_post(rows: list[dict]) -> dict:
    data = {"fields-TOTAL_FORMS": str(len(rows)), "fields-INITIAL_FORMS": "0",
            "fields-MIN_NUM_FORMS": "0", "fields-MAX_NUM_FORMS": "1000"}
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"fields-{i}-{key}"] = value
    return data


ROW = {"key": "department", "label": "Department", "target": "user_metadata", "type": "text", "max_length": "80",
       "pattern": "", "choices": "", "editable_by": "org_admin", "visible_to": "org_viewer"}


def test_schema_editor_saves_fields(company_client: Client) -> None:
    organization = OrganizationFactory()
    enum = {**ROW, "key": "tier", "label": "Tier", "type": "enum", "max_length": "", "choices": "gold, silver",
            "target": "app_metadata", "editable_by": "company_admin"}
    response = company_client.post(f"/o/{organization.slug}/schema/", _schema_post([ROW, enum]))
    assert response.status_code == 302
    fields = list(MetadataField.objects.filter(organization=organization).values_list("key", "choices"))
    assert fields == [("department", []), ("tier", ["gold", "silver"])]
    # The editor shows the saved schema again.
    page = company_client.get(f"/o/{organization.slug}/schema/").content.decode()
    assert 'value="gold, silver"' in page and 'value="department"' in page


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"key": "organizations", "target": "app_metadata", "editable_by": "company_admin"}, "is reserved"),
        ({"type": "enum", "max_length": "", "choices": "one"}, "at least two choices"),
        ({"pattern": "(unclosed"}, "Not a valid regular expression"),
        ({"key": "Has Space"}, "Use lower-case letters"),
    ],
)
def test_schema_editor_shows_a_specific_error_and_changes_nothing(company_client: Client, row, message) -> None:
    organization = OrganizationFactory()
    MetadataField.objects.create(organization=organization, key="kept", label="Kept")
    response = company_client.post(f"/o/{organization.slug}/schema/", _schema_post([{**ROW, **row}]))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert list(organization.metadata_fields.values_list("key", flat=True)) == ["kept"]
    assert not AuditEvent.objects.filter(action="organization.schema_updated").exists()


def test_schema_editor_refuses_duplicates(company_client: Client) -> None:
    organization = OrganizationFactory()
    response = company_client.post(f"/o/{organization.slug}/schema/", _schema_post([ROW, ROW]))
    assert response.status_code == 200 and "appears twice" in response.content.decode()
    assert not organization.metadata_fields.exists()


def test_org_admin_sees_but_cannot_edit_settings(client: Client) -> None:
    role = RoleFactory(role="admin")
    client.force_login(UserFactory(auth0_user_id=role.user_id))
    slug = role.organization.slug
    assert client.get(f"/o/{slug}/").status_code == 200
    assert client.get(f"/o/{slug}/settings/").status_code == 403
    assert client.post(f"/o/{slug}/schema/", _schema_post([ROW])).status_code == 403
    assert not role.organization.metadata_fields.exists()


def test_organization_list_search(company_client: Client) -> None:
    OrganizationFactory(slug="acme", display_name="Acme")
    OrganizationFactory(slug="globex", display_name="Globex")
    page = company_client.get("/orgs/", {"q": "glob"}).content.decode()
    assert "Globex" in page and "Acme" not in page


def test_viewer_cannot_manage_roles(client: Client) -> None:
    viewer = RoleFactory(role="viewer")
    admin = RoleFactory(organization=viewer.organization, role="admin")
    client.force_login(UserFactory(auth0_user_id=viewer.user_id))
    page = client.get(f"/o/{viewer.organization.slug}/").content.decode()
    assert "Remove" not in page
    response = client.post(f"/o/{viewer.organization.slug}/roles/{admin.pk}/remove/", {"confirm": "on"})
    assert response.status_code == 403
    assert admin.__class__.objects.filter(pk=admin.pk).exists()


def test_logo_upload_is_served_and_non_images_are_refused(company_client: Client) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    organization = OrganizationFactory()
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    form = {"display_name": organization.display_name, "domains": "", "invite_link_lifetime_days": "7",
            "accent_colour": "#123456"}
    bad = company_client.post(f"/o/{organization.slug}/settings/",
                              {**form, "logo": SimpleUploadedFile("x.svg", b"<svg onload=alert(1)>")})
    assert bad.status_code == 200 and "must be a PNG, JPEG, WebP or GIF" in bad.content.decode()
    ok = company_client.post(f"/o/{organization.slug}/settings/", {**form, "logo": SimpleUploadedFile("l.png", png)})
    assert ok.status_code == 302
    logo = company_client.get(f"/o/{organization.slug}/logo")
    assert logo.status_code == 200 and logo["Content-Type"] == "image/png" and logo.content == png
    theme = company_client.get(f"/o/{organization.slug}/theme.css").content.decode()
    assert "--portal-accent: #123456" in theme


def test_settings_refuse_a_domain_another_organization_claims(company_client: Client) -> None:
    from tests.factories import DomainFactory

    mine = OrganizationFactory(display_name="Mine")
    DomainFactory(organization=OrganizationFactory(display_name="Theirs"), domain="theirs.test")
    form = {"display_name": "Renamed", "domains": "mine.test\ntheirs.test", "invite_link_lifetime_days": "7",
            "accent_colour": "#123456"}
    response = company_client.post(f"/o/{mine.slug}/settings/", form)
    assert response.status_code == 200
    assert "Already claimed by another organization: theirs.test (Theirs)." in response.content.decode()
    mine.refresh_from_db()
    assert mine.display_name == "Mine" and not mine.domains.exists()


# -- errors beside their fields, input kept --------------------------------------------------------------
def test_create_form_shows_each_service_error_beside_its_field_and_keeps_the_input(company_client: Client) -> None:
    OrganizationFactory(slug="taken-slug")
    response = company_client.post("/orgs/new/", {
        "display_name": "Second", "slug": "taken-slug", "membership_mode": "isolated_connection",
        "connection_name": "", "domains": "good.test\nnot a domain", "invite_link_lifetime_days": "7",
        "accent_colour": "#123456",
    })
    assert response.status_code == 200
    form = response.context["form"]
    # Every rule the service broke, each beside its field, at once.
    assert form.errors["slug"] == ["Another organization already uses this slug."]
    assert form.errors["domains"] == ["Not a valid email domain: not a domain."]
    page = response.content.decode()
    assert 'value="taken-slug"' in page and 'value="Second"' in page
    assert 'aria-invalid="true"' in page


def test_create_form_shows_a_domain_error_when_the_slug_is_fine(company_client: Client) -> None:
    response = company_client.post("/orgs/new/", {
        "display_name": "Third", "slug": "third-org", "membership_mode": "isolated_connection",
        "connection_name": "", "domains": "good.test\nnot a domain", "invite_link_lifetime_days": "7",
        "accent_colour": "#123456",
    })
    assert response.status_code == 200
    assert response.context["form"].errors["domains"] == ["Not a valid email domain: not a domain."]
    assert "good.test\nnot a domain" in response.content.decode()


def test_schema_editor_puts_an_error_beside_the_field_of_its_row(company_client: Client) -> None:
    organization = OrganizationFactory()
    broken = {**ROW, "key": "tier", "type": "enum", "max_length": "", "choices": "one"}
    response = company_client.post(f"/o/{organization.slug}/schema/", _schema_post([ROW, broken]))
    assert response.status_code == 200
    rows = response.context["formset"].forms
    assert rows[0].errors == {}
    assert rows[1].errors == {"choices": ["A choice field needs at least two choices."]}


@pytest.fixture
def org_admin(client: Client):
    role = RoleFactory(role="admin")
    client.force_login(UserFactory(auth0_user_id=role.user_id))
    return client, role.organization


def test_role_form_shows_a_bad_email_beside_the_field_and_keeps_it(org_admin, published_tasks) -> None:
    client, organization = org_admin
    response = client.post(f"/o/{organization.slug}/roles/", {"email": "not-an-email", "role": "viewer"})
    assert response.status_code == 400
    form = response.context["grant_form"]
    assert form.errors == {"email": ["Enter a valid email address."]}
    page = response.content.decode()
    assert 'value="not-an-email"' in page and 'aria-invalid="true"' in page
    assert "email: Enter" not in page  # never the raw field name
    assert published_tasks == []


def test_a_viewer_cannot_appoint(client: Client, published_tasks) -> None:
    role = RoleFactory(role="viewer")
    client.force_login(UserFactory(auth0_user_id=role.user_id))
    response = client.post(f"/o/{role.organization.slug}/roles/", {"email": "x@example.test", "role": "viewer"})
    assert response.status_code == 403 and published_tasks == []


def test_appointing_follows_the_operation_on_the_page(org_admin, django_capture_on_commit_callbacks) -> None:
    client, organization = org_admin
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(f"/o/{organization.slug}/roles/", {"email": "Someone@Example.test", "role": "viewer"})
    assert response.status_code == 302
    page = client.get(f"/o/{organization.slug}/").content.decode()
    assert "Looking up someone@example.test" in page and "data-operation-poll" in page
    # Once it has failed, the reason is shown once, beside the form.
    Operation.objects.filter(kind="role_grant").update(status="failed", last_error="No user of X has the email")
    page = client.get(f"/o/{organization.slug}/").content.decode()
    assert "Could not make someone@example.test viewer: No user of X has the email" in page
    assert "Could not make" not in client.get(f"/o/{organization.slug}/").content.decode()


def test_removing_a_role_asks_first(org_admin) -> None:
    client, organization = org_admin
    viewer = RoleFactory(organization=organization, role="viewer", name="Vera Viewer")
    confirm = client.get(f"/o/{organization.slug}/roles/{viewer.pk}/remove/")
    assert confirm.status_code == 200
    assert "Remove Vera Viewer as viewer?" in confirm.content.decode()
    assert organization.roles.filter(pk=viewer.pk).exists()  # asking changed nothing
    done = client.post(f"/o/{organization.slug}/roles/{viewer.pk}/remove/", {"confirm": "on"}, follow=True)
    assert "Vera Viewer is no longer viewer of" in done.content.decode()
    assert not organization.roles.filter(pk=viewer.pk).exists()


# -- role grants resolve from the directory --------------------------------------------------------------
def _mirror_with(organization, *emails: str) -> None:
    directory_users_upsert([auth0_user(connection=organization.connection_name, email=e, name=f"Name of {e}")
                            for e in emails])


def _fully_synced() -> None:
    SyncRun.objects.create(kind="full", status="succeeded", finished_at=timezone.now())


def test_a_member_in_the_directory_gets_the_role_at_once(org_admin, published_tasks) -> None:
    client, organization = org_admin
    _mirror_with(organization, "known@example.test")
    response = client.post(f"/o/{organization.slug}/roles/", {"email": "Known@Example.test", "role": "viewer"},
                           follow=True)
    assert "Name of known@example.test is now viewer of" in response.content.decode()
    assert organization.roles.filter(email="known@example.test", role="viewer").exists()
    assert published_tasks == [] and not Operation.objects.exists()


def test_an_email_of_no_member_is_refused_beside_the_field_once_the_directory_is_synced(
    org_admin, published_tasks
) -> None:
    client, organization = org_admin
    _mirror_with(organization, "known@example.test")
    _fully_synced()
    response = client.post(f"/o/{organization.slug}/roles/", {"email": "stranger@example.test", "role": "viewer"})
    assert response.status_code == 400
    assert response.context["grant_form"].errors == {"email": [f"No user of {organization.display_name} has "
                                                               "this email."]}
    assert 'value="stranger@example.test"' in response.content.decode()
    assert published_tasks == [] and not Operation.objects.exists()


def test_before_any_full_sync_an_unknown_email_is_looked_up_in_auth0(
    org_admin, django_capture_on_commit_callbacks, published_tasks
) -> None:
    client, organization = org_admin
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/o/{organization.slug}/roles/", {"email": "later@example.test", "role": "viewer"})
    assert response.status_code == 302
    assert published_tasks == ["organizations.tasks.role_grant"]


def test_pages_never_load_an_organizations_logo(company_client: Client) -> None:
    """Logos are up to 256 KB: only the logo's own URL reads them."""
    organization = OrganizationFactory(logo=b"\x89PNG\r\n\x1a\n" + b"x" * 1000, logo_content_type="image/png")
    with CaptureQueriesContext(connection) as queries:
        page = company_client.get(f"/o/{organization.slug}/").content.decode()
        company_client.get("/orgs/")
        company_client.get("/users/")
    assert f'src="/o/{organization.slug}/logo' in page
    logo_column = '"organizations_organization"."logo"'
    assert not [q["sql"] for q in queries.captured_queries
                if logo_column in q["sql"].replace('"organizations_organization"."logo_content_type"', "")]
    assert company_client.get(f"/o/{organization.slug}/logo").content.startswith(b"\x89PNG")
