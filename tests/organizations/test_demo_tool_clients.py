"""The demo registers the emulator's two tool clients in the portal (once; a company admin's later change to
a registration is kept), so the README's first API call works against `python3 dev.py up`: a token of the
company-wide client reads Acme's users, the Acme-only client's token gets 404 on another organization."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from organizations.clients.services import api_client_update
from organizations.management.demo import demo_tool_clients_register
from organizations.models import ApiClient, ApiPermission
from organizations.tasks import demo_seed
from portal.models import AuditEvent
from tests.factories import OrganizationFactory
from tests.support.api_tokens import ACME_TOOL_ID, ACME_TOOL_SECRET, tool_token

pytestmark = pytest.mark.django_db


def _registrations() -> dict[str, tuple]:
    return {c.client_id: (c.name, c.all_organizations, sorted(c.organizations.values_list("slug", flat=True)),
                          c.permissions, c.active) for c in ApiClient.objects.all()}


def test_the_demo_registers_both_tool_clients_once(auth0_on_emulator, api, emulator) -> None:
    demo_seed.apply().get()
    demo_seed.apply().get()  # idempotent
    assert _registrations() == {
        "portal-tool-dev": ("Internal tool", True, [], list(ApiPermission.values), True),
        "portal-tool-acme-dev": ("Acme help desk", False, ["acme"],
                                 ["users:read", "users:write", "audit:read", "organizations:read"], True),
    }
    assert AuditEvent.objects.filter(action="api_client.registered").count() == 2
    # The README's curl, as a test client: the company-wide tool searches Acme's users.
    tool = api(tool_token(emulator))
    found = tool.get("/api/v1/organizations/acme/users/", {"q": "olivia"})
    assert found.status_code == 200, found.content
    # The Acme help desk reaches Acme and nothing else.
    helpdesk = api(tool_token(emulator, ACME_TOOL_ID, ACME_TOOL_SECRET))
    assert helpdesk.get("/api/v1/organizations/acme/users/").status_code == 200
    assert helpdesk.get("/api/v1/organizations/initech/users/").status_code == 404
    assert [o["slug"] for o in helpdesk.get("/api/v1/organizations/").json()] == ["acme"]


def test_a_changed_registration_is_kept(db) -> None:
    acme = OrganizationFactory(slug="acme")
    assert demo_tool_clients_register(actor=None) == ["portal-tool-dev", "portal-tool-acme-dev"]
    helpdesk = ApiClient.objects.get(client_id="portal-tool-acme-dev")
    api_client_update(actor=None, client=helpdesk, name="Renamed", all_organizations=False, organizations=[acme],
                      permissions=["users:read"], active=False)
    assert demo_tool_clients_register(actor=None) == []
    assert _registrations()["portal-tool-acme-dev"] == ("Renamed", False, ["acme"], ["users:read"], False)


def test_the_single_organization_client_waits_for_its_organization(db) -> None:
    assert demo_tool_clients_register(actor=None) == ["portal-tool-dev"]
    OrganizationFactory(slug="acme")
    assert demo_tool_clients_register(actor=None) == ["portal-tool-acme-dev"]


def test_prepare_registers_them_on_a_database_that_has_the_demo_already(db, capsys) -> None:
    OrganizationFactory(slug="acme")
    call_command("prepare", "--demo")
    assert set(_registrations()) == {"portal-tool-dev", "portal-tool-acme-dev"}
    assert "portal-tool-acme-dev is registered" in capsys.readouterr().out
