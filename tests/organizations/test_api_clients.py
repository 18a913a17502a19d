"""Registering the REST API's clients: the company admins' page, the management command, the service's rules."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from organizations.models import ApiClient
from organizations.selectors import principal_for_user_id
from portal.models import AuditEvent
from tests.factories import CompanyAdminFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def company_admin_client() -> Client:
    user = UserFactory()
    CompanyAdminFactory(user_id=user.auth0_user_id)
    client = Client()
    client.force_login(user)
    return client


def test_company_admin_registers_and_changes_a_client(company_admin_client) -> None:
    acme = OrganizationFactory(slug="acme", display_name="Acme")
    page = company_admin_client.get("/api-clients/")
    assert page.status_code == 200 and "No tool is registered yet." in page.content.decode()
    bad = company_admin_client.post("/api-clients/", {"client_id": "has space", "name": "Tool", "permissions": []})
    assert bad.status_code == 400
    assert set(bad.context["form"].errors) == {"client_id", "permissions", "organizations"}
    assert bad.context["form"]["client_id"].value() == "has space"  # the input is kept
    assert not ApiClient.objects.exists()
    done = company_admin_client.post("/api-clients/", {"client_id": "tool-1", "name": "Help desk",
                                                       "organizations": [acme.pk], "permissions": ["users:read"]})
    assert done.status_code == 302
    client = ApiClient.objects.get(client_id="tool-1")
    assert list(client.organizations.all()) == [acme] and client.permissions == ["users:read"]
    assert "Help desk" in company_admin_client.get("/api-clients/").content.decode()
    principal = principal_for_user_id("tool-1@clients")
    assert principal.org_roles == {acme.pk: "viewer"} and not principal.is_company_admin
    changed = company_admin_client.post(f"/api-clients/{client.pk}/", {
        "name": "Help desk", "all_organizations": "on", "permissions": ["users:read", "users:write"], "active": "on"})
    assert changed.status_code == 302
    assert principal_for_user_id("tool-1@clients").is_company_admin
    assert list(AuditEvent.objects.filter(target_id="tool-1").values_list("action", flat=True)) == [
        "api_client.changed", "api_client.registered"]
    disabled = company_admin_client.post(f"/api-clients/{client.pk}/", {
        "name": "Help desk", "all_organizations": "on", "permissions": ["users:read"]})  # active unticked
    assert disabled.status_code == 302
    assert principal_for_user_id("tool-1@clients").org_roles == {}
    assert not principal_for_user_id("tool-1@clients").is_company_admin


def test_the_command_registers_and_refuses_nonsense(capsys) -> None:
    OrganizationFactory(slug="acme")
    call_command("api_client_register", "tool-2", "--name", "CRM sync", "--organization", "acme",
                 "--permission", "users:read", "--permission", "users:write")
    assert "CRM sync (tool-2) is registered: users:read, users:write on acme." in capsys.readouterr().out
    assert principal_for_user_id("tool-2@clients").org_roles
    with pytest.raises(CommandError, match="No organization has the slug nowhere"):
        call_command("api_client_register", "tool-3", "--name", "X", "--organization", "nowhere",
                     "--permission", "users:read")
    call_command("api_client_register", "tool-2", "--name", "CRM sync", "--all-organizations",
                 "--permission", "audit:read")
    assert ApiClient.objects.get(client_id="tool-2").permissions == ["audit:read"]
