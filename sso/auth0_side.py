"""The Auth0 side of an SSO connection: what the tasks run (the apply halves of sso.services' acts). Each is
idempotent: a second run finds what the first did. Secrets go to Auth0 in the connection's options and nowhere else
(an operation's payload and result never hold them)."""

from __future__ import annotations

import base64
import contextlib

from django.conf import settings

from auth0_gateway import Auth0Conflict, Auth0NotFound, gateway
from organizations.membership import membership_of
from portal.models import Operation
from sso.models import SsoConnection


def connection_options(connection: SsoConnection) -> dict:
    """The connection's options as Auth0's Management API takes them (``POST /api/v2/connections``)."""
    if connection.strategy == SsoConnection.Strategy.SAML:
        return {
            "signInEndpoint": connection.sign_in_url,
            # Auth0 takes the PEM certificate base64-encoded.
            "signingCert": base64.b64encode(connection.signing_cert.encode()).decode(),
            "signSAMLRequest": False,
            "protocolBinding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
            "user_id_attribute": "",
        }
    return {
        "type": "back_channel",
        "issuer": connection.issuer,
        "discovery_url": f"{connection.issuer}/.well-known/openid-configuration",
        "client_id": connection.client_id,
        "client_secret": connection.client_secret,
        "scope": "openid profile email",
    }


def _connection_of(operation: Operation) -> SsoConnection | None:
    return SsoConnection.objects.select_related("organization").filter(pk=operation.payload.get("connection")).first()


def _sso_names_record(organization) -> None:
    """The names of the organization's connections that are on, where its membership rules read them."""
    names = sorted(organization.sso_connections.filter(status="on").values_list("name", flat=True))
    type(organization).objects.filter(pk=organization.pk).update(sso_connection_names=names)


def connection_create_apply(operation: Operation) -> dict:
    connection = _connection_of(operation)
    if connection is None:
        return {"removed": True}
    auth0 = gateway()
    try:
        created = auth0.connection_get_by_name(name=connection.name)
    except Auth0NotFound:
        created = auth0.connection_create_enterprise(
            name=connection.name, strategy=connection.strategy, options=connection_options(connection),
            display_name=connection.display_name, enabled_clients=[settings.AUTH0_CLIENT_ID])
    SsoConnection.objects.filter(pk=connection.pk, status="creating").update(status="ready")
    SsoConnection.objects.filter(pk=connection.pk).update(auth0_connection_id=created["id"])
    return {"connection_id": created["id"], "name": connection.name}


def connection_update_apply(operation: Operation) -> dict:
    auth0 = gateway()
    if operation.payload.get("delete"):
        with contextlib.suppress(Auth0NotFound):
            auth0.connection_delete(connection_id=operation.payload["delete"])
        return {"deleted": operation.payload["name"]}
    connection = _connection_of(operation)
    if connection is None:
        return {"removed": True}
    auth0.connection_update(connection_id=connection.auth0_connection_id, options=connection_options(connection))
    return {"connection_id": connection.auth0_connection_id}


def connection_switch_apply(operation: Operation) -> dict:
    """On: the connection admits people to the organization in its membership mode (an Auth0 Organization enables
    it, with membership on sign-in; a connection mode enables it on the portal's application). Off: the Auth0
    Organization disables it; in a connection mode the organization stops counting its people as members."""
    connection = _connection_of(operation)
    if connection is None:
        return {"removed": True}
    organization, on = connection.organization, operation.payload["on"]
    auth0 = gateway()
    membership = membership_of(organization)
    if membership.in_auth0_organizations and organization.auth0_organization_id:
        if on:
            with contextlib.suppress(Auth0Conflict):
                auth0.organization_connection_enable(
                    organization_id=organization.auth0_organization_id, connection_id=connection.auth0_connection_id,
                    assign_membership_on_login=True)
        else:
            with contextlib.suppress(Auth0NotFound):
                auth0.organization_connection_disable(organization_id=organization.auth0_organization_id,
                                                      connection_id=connection.auth0_connection_id)
    elif on:
        current = auth0.connection_get(connection_id=connection.auth0_connection_id)
        clients = list(current.get("enabled_clients") or [])
        if settings.AUTH0_CLIENT_ID not in clients:
            auth0.connection_update(connection_id=connection.auth0_connection_id,
                                    enabled_clients=[*clients, settings.AUTH0_CLIENT_ID])
    _sso_names_record(organization)
    return {"connection_id": connection.auth0_connection_id, "on": on}
