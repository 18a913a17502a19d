"""SSO connections below the pages: set up (from metadata, or by hand), created in Auth0 by the task (``.apply()``
against the emulator over HTTP), tested, turned on (enabled for the Auth0 Organization with membership on login,
and routed to by home-realm discovery), changed, turned off under the lockout guardrail, removed; secrets never in
operations or the audit trail."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError

from auth0_gateway import gateway
from domains.models import Domain
from organizations.selectors import principal_for_user_id
from portal.models import AuditEvent, Operation
from signin.views import discovery_params
from sso import certificates, services, tasks
from sso.models import SsoConnection
from tests.factories import RoleFactory
from tests.support.openapi import management_token

pytestmark = pytest.mark.django_db
TASKS = {"sso_connection_create": tasks.sso_connection_create, "sso_connection_update": tasks.sso_connection_update,
         "sso_connection_switch": tasks.sso_connection_switch}


def run(operation: Operation) -> Operation:
    TASKS[operation.kind].apply(args=[str(operation.pk)])
    operation.refresh_from_db()
    assert operation.status == "succeeded", operation.last_error
    return operation


def org_enabled(organization) -> dict[str, bool]:
    """The Auth0 Organization's enabled connections, by name: whether each assigns membership on sign-in."""
    answer = httpx.get(f"{settings.AUTH0_BASE_URL}/api/v2/organizations/{organization.auth0_organization_id}"
                       "/enabled_connections",
                       headers={"Authorization": f"Bearer {management_token(settings.AUTH0_BASE_URL)}"})
    return {c["connection"]["name"]: c["assign_membership_on_login"] for c in answer.json()}


def latest(connection: SsoConnection) -> Operation:
    return Operation.objects.filter(target=f"sso:{connection.name}").order_by("-created_at").first()


def test_a_saml_connection_from_metadata_is_created_in_auth0(globex, admin, saml_idp) -> None:
    connection = services.saml_connection_create(actor=admin, organization=globex, display_name="Globex Okta",
                                                 metadata_xml=saml_idp.metadata_xml())
    assert (connection.name, connection.status, connection.idp_entity_id) == (
        f"{globex.slug}-saml", "creating", saml_idp.entity_id)
    assert connection.sign_in_url == saml_idp.sign_in_url
    run(latest(connection))
    connection.refresh_from_db()
    assert connection.status == "ready" and connection.auth0_connection_id
    created = gateway().connection_get(connection_id=connection.auth0_connection_id)
    assert created["strategy"] == "samlp" and created["enabled_clients"] == ["portal-web-dev"]
    assert base64.b64decode(created["options"]["signingCert"]).decode() == connection.signing_cert
    event = AuditEvent.objects.get(action="sso.connection_created")
    assert event.details["certificate"] == certificates.certificate_fingerprint(saml_idp.certificate_pem)


@pytest.mark.parametrize(("fields", "errors"), [
    ({"sign_in_url": "", "signing_cert": ""}, {"sign_in_url", "signing_cert"}),
    ({"sign_in_url": "https://idp.test/sso", "signing_cert": "not a certificate"}, {"signing_cert"}),
    ({"sign_in_url": "ftp://idp.test/sso", "signing_cert": "PEM"}, {"sign_in_url"}),
])
def test_a_saml_connection_by_hand_is_checked_field_by_field(globex, admin, saml_idp, fields, errors) -> None:
    if fields["signing_cert"] == "PEM":
        fields["signing_cert"] = saml_idp.certificate_pem
    with pytest.raises(ValidationError) as refused:
        services.saml_connection_create(actor=admin, organization=globex, display_name="X", **fields)
    assert set(refused.value.message_dict) == errors
    assert not SsoConnection.objects.exists() and not Operation.objects.exists()


def test_metadata_that_is_not_metadata_is_refused(globex, admin) -> None:
    for xml in ("<not-xml", "<root/>", '<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>'):
        with pytest.raises(ValidationError) as refused:
            services.saml_connection_create(actor=admin, organization=globex, display_name="X", metadata_xml=xml)
        assert "metadata" in refused.value.message_dict


def test_only_admins_set_connections_up(globex, saml_idp) -> None:
    RoleFactory(organization=globex, user_id="auth0|viewer", role="viewer")
    with pytest.raises(PermissionDenied):
        services.saml_connection_create(actor=principal_for_user_id("auth0|viewer"), organization=globex,
                                        display_name="X", metadata_xml=saml_idp.metadata_xml())


def test_tested_then_on_enables_it_for_the_organization_and_discovery_routes_to_it(globex, admin, saml_idp) -> None:
    connection = services.saml_connection_create(actor=admin, organization=globex, display_name="Globex Okta",
                                                 metadata_xml=saml_idp.metadata_xml())
    run(latest(connection))
    connection.refresh_from_db()
    with pytest.raises(ValidationError, match="Test the connection"):
        services.connection_switch(actor=admin, connection=connection, on=True)
    services.connection_test_record(actor=admin, connection=connection, signed_in_as="ann@globex.example")
    run(services.connection_switch(actor=admin, connection=connection, on=True))
    assert org_enabled(globex)[connection.name] is True  # with membership on sign-in
    globex.refresh_from_db()
    assert globex.sso_connection_names == [connection.name]
    Domain.objects.create(organization=globex, name="globex.example", status="verified")
    assert discovery_params("ann@globex.example") == {"connection": connection.name, "login_hint": "ann@globex.example",
                                                      "organization": globex.auth0_organization_id}
    Domain.objects.create(organization=globex, name="unverified.example")
    assert "connection" not in discovery_params("bob@unverified.example")


def test_turning_off_the_connection_one_signs_in_with_is_refused(globex, saml_idp) -> None:
    connection = SsoConnection.objects.create(organization=globex, strategy="samlp", name=f"{globex.slug}-saml",
                                              display_name="Okta", status="on", auth0_connection_id="con_x")
    sso_admin_id = f"samlp|{connection.name}|ann@globex.example"
    RoleFactory(organization=globex, user_id=sso_admin_id, role="admin")
    with pytest.raises(PermissionDenied, match="lock you out"):
        services.connection_switch(actor=principal_for_user_id(sso_admin_id), connection=connection, on=False)
    connection.refresh_from_db()
    assert connection.status == "on" and not Operation.objects.exists()


def test_turning_off_disables_it_in_the_organization(globex, admin, saml_idp) -> None:
    connection = services.saml_connection_create(actor=admin, organization=globex, display_name="Okta",
                                                 metadata_xml=saml_idp.metadata_xml())
    run(latest(connection))
    connection.refresh_from_db()
    services.connection_test_record(actor=admin, connection=connection, signed_in_as="ann@globex.example")
    run(services.connection_switch(actor=admin, connection=connection, on=True))
    run(services.connection_switch(actor=admin, connection=connection, on=False))
    globex.refresh_from_db()
    assert globex.sso_connection_names == []
    assert connection.name not in org_enabled(globex)


def test_a_replaced_certificate_reaches_auth0_needs_a_new_test_and_can_be_undone(globex, admin, saml_idp,
                                                                                  tmp_path) -> None:
    from tests.sso.saml_idp import key_and_certificate

    connection = services.saml_connection_create(actor=admin, organization=globex, display_name="Okta",
                                                 metadata_xml=saml_idp.metadata_xml())
    run(latest(connection))
    connection.refresh_from_db()
    services.connection_test_record(actor=admin, connection=connection, signed_in_as="ann@globex.example")
    (tmp_path / "new").mkdir()
    new_pem = key_and_certificate(tmp_path / "new")[1].read_text()
    run(services.connection_change(actor=admin, connection=connection, signing_cert=new_pem))
    connection.refresh_from_db()
    assert not connection.is_tested and connection.previous_signing_cert == saml_idp.certificate_pem
    options = gateway().connection_get(connection_id=connection.auth0_connection_id)["options"]
    assert base64.b64decode(options["signingCert"]).decode() == new_pem
    run(services.connection_change(actor=admin, connection=connection, restore_previous=True))
    connection.refresh_from_db()
    assert connection.signing_cert == saml_idp.certificate_pem


def test_an_oidc_secret_is_in_auth0_and_nowhere_else(globex, admin) -> None:
    connection = services.oidc_connection_create(
        actor=admin, organization=globex, display_name="Entra", issuer="https://login.example.com/tenant/",
        client_id="abc", client_secret="s3cr3t-value")
    run(latest(connection))
    connection.refresh_from_db()
    created = gateway().connection_get(connection_id=connection.auth0_connection_id)
    assert created["strategy"] == "oidc" and created["options"]["client_secret"] == "s3cr3t-value"
    assert created["options"]["discovery_url"] == "https://login.example.com/tenant/.well-known/openid-configuration"
    run(services.connection_change(actor=admin, connection=connection, client_secret="n3w-s3cr3t"))
    recorded = json.dumps([list(Operation.objects.values("payload", "result", "last_error")),
                           list(AuditEvent.objects.values("summary", "details"))], default=str)
    assert "s3cr3t" not in recorded


def test_removal_needs_it_off_and_deletes_it_in_auth0(globex, admin, saml_idp) -> None:
    connection = services.saml_connection_create(actor=admin, organization=globex, display_name="Okta",
                                                 metadata_xml=saml_idp.metadata_xml())
    run(latest(connection))
    connection.refresh_from_db()
    SsoConnection.objects.filter(pk=connection.pk).update(status="on")
    connection.refresh_from_db()
    with pytest.raises(ValidationError, match="Turn the connection off"):
        services.connection_remove(actor=admin, connection=connection)
    SsoConnection.objects.filter(pk=connection.pk).update(status="off")
    connection.refresh_from_db()
    services.connection_remove(actor=admin, connection=connection)
    run(Operation.objects.get(kind="sso_connection_update", payload__name=connection.name))
    assert not SsoConnection.objects.exists()
    with pytest.raises(Exception, match="does not exist"):
        gateway().connection_get(connection_id=connection.auth0_connection_id)


def test_a_saml_connection_from_the_metadata_address(globex, admin, saml_idp, settings) -> None:
    settings.PORTAL_WEBHOOK_ALLOW_LOOPBACK = True  # the outbound address policy lets this machine be reached
    connection = services.saml_connection_create(actor=admin, organization=globex, display_name="Okta",
                                                 metadata_url=f"{saml_idp.url}/metadata")
    assert (connection.idp_entity_id, connection.signing_cert) == (saml_idp.entity_id, saml_idp.certificate_pem)
    with pytest.raises(ValidationError) as missing:
        services.saml_connection_create(actor=admin, organization=globex, display_name="Okta",
                                        metadata_url=f"{saml_idp.url}/nothing-here")
    assert "answered 404" in missing.value.message_dict["metadata_url"][0]
    settings.PORTAL_WEBHOOK_ALLOW_LOOPBACK = False
    with pytest.raises(ValidationError) as refused:
        services.saml_connection_create(actor=admin, organization=globex, display_name="Okta",
                                        metadata_url=f"{saml_idp.url}/metadata")
    assert "metadata_url" in refused.value.message_dict and SsoConnection.objects.count() == 1
