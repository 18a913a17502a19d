from __future__ import annotations

import pytest
from django.test import Client

from organizations.models import MetadataField
from portal.models import AuditEvent, User
from tests.factories import CompanyAdminFactory, OrganizationFactory, RoleFactory, UserFactory

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
