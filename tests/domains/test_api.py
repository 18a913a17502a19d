"""Verified domains over the REST API: a tool registered for Globex adds a domain (idempotently), reads the record
to publish, asks for a check and removes it; refusals are field errors; tokens are the emulator's, over HTTP."""

from __future__ import annotations

import pytest

from domains import tasks
from domains.models import Domain
from portal.models import AuditEvent
from tests.factories import OrganizationFactory
from tests.support.api_tokens import register, tool_token

pytestmark = pytest.mark.django_db
BASE = "/api/v1/organizations/globex/domains/"


@pytest.fixture
def tool(api, emulator):
    globex = OrganizationFactory(slug="globex", display_name="Globex")
    register(organizations=[globex])
    return api(tool_token(emulator))


def test_add_read_check_and_remove(tool, dns_server, published_tasks, django_capture_on_commit_callbacks) -> None:
    created = tool.post(BASE, {"name": "Globex.Example"}, format="json", HTTP_IDEMPOTENCY_KEY="add-1")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["name"], body["status"], body["record_type"]) == ("globex.example", "pending", "TXT")
    assert body["record_name"] == "_portal-verification.globex.example"
    assert created["Location"] == f"{BASE}{body['id']}/"
    again = tool.post(BASE, {"name": "Globex.Example"}, format="json", HTTP_IDEMPOTENCY_KEY="add-1")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true" and Domain.objects.count() == 1
    assert [d["name"] for d in tool.get(BASE).json()] == ["globex.example"]
    dns_server.publish(body["record_name"], body["record_value"])
    with django_capture_on_commit_callbacks(execute=True):
        asked = tool.post(f"{BASE}{body['id']}/verify/", HTTP_IDEMPOTENCY_KEY="check-1")
    assert asked.status_code == 202 and published_tasks == ["domains.tasks.domain_verify"]
    tasks.domain_verify.apply(args=[body["id"]])
    assert tool.get(f"{BASE}{body['id']}/").json()["status"] == "verified"
    assert tool.delete(f"{BASE}{body['id']}/").status_code == 204
    assert not Domain.objects.exists()
    assert AuditEvent.objects.filter(action="domain.removed", actor_display="Tool portal-tool-dev (API client)"
                                     ).count() == 1


def test_refusals_are_field_errors_and_nothing_is_kept(tool) -> None:
    bad = tool.post(BASE, {"name": "not a domain"}, format="json")
    assert bad.status_code == 400 and "Enter a domain name" in bad.json()["errors"]["name"][0]
    missing = tool.post(BASE, {}, format="json")
    assert missing.status_code == 400 and "name" in missing.json()["errors"]
    assert not Domain.objects.exists()
