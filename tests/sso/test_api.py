"""SSO connections over the REST API: set up (idempotently), read (no secret, the certificate as a fingerprint),
refused field by field, turned on only once tested, removed; tokens are the emulator's, over HTTP."""

from __future__ import annotations

import pytest

from portal.models import Operation
from sso.models import SsoConnection
from tests.support.api_tokens import register, tool_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def tool(globex, api, emulator):
    register(organizations=[globex])
    return api(tool_token(emulator))


def test_set_up_read_switch_and_remove(tool, globex, saml_idp) -> None:
    base = f"/api/v1/organizations/{globex.slug}/connections/"
    body = {"strategy": "samlp", "display_name": "Globex Okta", "metadata_xml": saml_idp.metadata_xml()}
    created = tool.post(base, body, format="json", HTTP_IDEMPOTENCY_KEY="sso-1")
    assert created.status_code == 202, created.content
    again = tool.post(base, body, format="json", HTTP_IDEMPOTENCY_KEY="sso-1")
    assert again.status_code == 202 and again["Idempotent-Replayed"] == "true"
    assert SsoConnection.objects.count() == 1 and Operation.objects.filter(kind="sso_connection_create").count() == 1
    read = tool.get(created["Location"]).json()
    assert read["status"] == "creating" and read["certificate_fingerprint"].count(":") == 31
    assert "BEGIN CERTIFICATE" not in str(read)
    on = tool.post(f"{created['Location']}turn-on/")
    assert on.status_code == 400 and "Only a connection that is ready" in str(on.json())
    SsoConnection.objects.update(status="ready")
    untested = tool.post(f"{created['Location']}turn-on/")
    assert untested.status_code == 400 and "Test the connection" in str(untested.json())
    assert tool.delete(created["Location"]).status_code == 204 and not SsoConnection.objects.exists()


def test_oidc_secret_is_write_only_and_fields_are_checked(tool, globex) -> None:
    base = f"/api/v1/organizations/{globex.slug}/connections/"
    created = tool.post(base, {"strategy": "oidc", "display_name": "Entra", "issuer": "https://login.example.com/t",
                               "client_id": "abc", "client_secret": "s3cr3t-value"}, format="json")
    assert created.status_code == 202 and "s3cr3t" not in created.content.decode()
    assert "s3cr3t" not in tool.get(base).content.decode()
    missing = tool.post(base, {"strategy": "oidc", "display_name": "Entra"}, format="json")
    assert missing.status_code == 400 and set(missing.json()["errors"]) == {"issuer", "client_id", "client_secret"}
    bad = tool.post(base, {"strategy": "ldap", "display_name": "X"}, format="json")
    assert bad.status_code == 400 and "strategy" in bad.json()["errors"]
