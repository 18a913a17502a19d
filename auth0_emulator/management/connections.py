"""``/api/v2/connections``: list, read, create, update and delete database connections and the enterprise
connections (``samlp``, ``oidc``) that really sign people in (auth0_emulator.authn.enterprise)."""

from __future__ import annotations

import base64
import hashlib
import re

from cryptography import x509
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..directory.connections import (
    connection_create,
    connection_delete,
    connection_get,
    connection_get_by_name,
    connection_list,
    connection_put,
)
from ..errors import Auth0Error
from ..tenant import Tenant
from .apilog import api_write
from .auth import require
from .common import (
    check_type,
    checkpointed,
    fields_apply,
    fields_projection,
    ok,
    paged,
    payload_invalid,
    project,
    request_body,
    tenant_of,
    wants_checkpoint,
)

NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-[a-zA-Z0-9]|[a-zA-Z0-9])*$")
NAME_DESCRIPTION = (
    "The name of the connection. Must start and end with an alphanumeric character and can only "
    "contain alphanumeric characters and '-'. Max length 128"
)
PASSWORD_POLICIES = ("none", "low", "fair", "good", "excellent")
CREATE_FIELDS = (
    "name",
    "display_name",
    "strategy",
    "options",
    "enabled_clients",
    "is_domain_connection",
    "show_as_button",
    "realms",
    "metadata",
)
UPDATE_FIELDS = (
    "display_name",
    "options",
    "enabled_clients",
    "is_domain_connection",
    "show_as_button",
    "realms",
    "metadata",
)


def connection_not_found() -> Auth0Error:
    return Auth0Error(404, "The connection does not exist", "inexistent_connection")


def _check_options(options: dict) -> None:
    policy = options.get("passwordPolicy")
    if policy is not None and policy not in PASSWORD_POLICIES:
        raise payload_invalid(
            f'No enum match for: "{policy}"', "options.passwordPolicy", "Password strength level"
        )
    complexity = options.get("password_complexity_options")
    if complexity is not None:
        if not isinstance(complexity, dict):
            raise payload_invalid("Expected type object", "options.password_complexity_options")
        min_length = complexity.get("min_length")
        if min_length is not None and (not isinstance(min_length, int) or not 1 <= min_length <= 128):
            raise payload_invalid(
                f"Value {min_length} is out of range 1..128",
                "options.password_complexity_options.min_length",
                "Minimum password length",
            )
    if "requires_username" in options and not isinstance(options["requires_username"], bool):
        raise payload_invalid("Expected type boolean", "options.requires_username")


def _certificate_thumbprint(signing_cert: str) -> str | None:
    """SHA-1 of the certificate's DER (``options.thumbprints``, as Auth0 computes them), or None if unreadable."""
    try:
        pem = base64.b64decode(signing_cert).decode()
    except (ValueError, UnicodeDecodeError):
        pem = signing_cert
    body = re.sub(r"-----(BEGIN|END) CERTIFICATE-----|\s", "", pem)
    try:
        der = base64.b64decode(body, validate=True)
        x509.load_der_x509_certificate(der)
    except ValueError:
        return None
    return hashlib.sha1(der).hexdigest()  # noqa: S324 - Auth0's thumbprint


def _enterprise_options(strategy: str, options: dict) -> dict:
    """The options of a ``samlp`` or ``oidc`` connection, checked and completed as Auth0 stores them (400 when
    something the sign-in needs is missing; the emulator's wording, Auth0 publishes none)."""
    if strategy == "samlp":
        if not options.get("metadataXml") and not (options.get("signInEndpoint") and options.get("signingCert")):
            raise payload_invalid("Missing required property: signInEndpoint and signingCert (or metadataXml)",
                                  "options")
        if options.get("signingCert"):
            thumbprint = _certificate_thumbprint(options["signingCert"])
            if thumbprint is None:
                raise payload_invalid("Invalid certificate", "options.signingCert")
            options = {**options, "thumbprints": [thumbprint]}
    elif strategy == "oidc":
        if not options.get("client_id") or not (options.get("issuer") or options.get("discovery_url")):
            raise payload_invalid("Missing required property: client_id and issuer (or discovery_url)", "options")
        if options.get("type", "front_channel") not in ("front_channel", "back_channel"):
            raise payload_invalid(f'No enum match for: "{options["type"]}"', "options.type")
    return options


def _body_checks(body: dict) -> None:
    check_type(body, "display_name", str)
    check_type(body, "options", dict)
    check_type(body, "enabled_clients", list)
    check_type(body, "realms", list)
    check_type(body, "metadata", dict)
    check_type(body, "is_domain_connection", bool)
    check_type(body, "show_as_button", bool)
    _check_options(body.get("options") or {})


async def connections_list(request: Request) -> Response:
    require(request, "read:connections")
    tenant = tenant_of(request)
    connections = connection_list(tenant)
    strategies = request.query_params.getlist("strategy")
    if strategies:
        connections = [c for c in connections if c.get("strategy") in strategies]
    name = request.query_params.get("name")
    if name:
        connections = [c for c in connections if c["name"] == name]
    fields, include = fields_projection(request)
    if not fields:
        # The list view leaves out the deprecated enabled_clients unless it is asked for by name.
        connections = [{k: v for k, v in c.items() if k != "enabled_clients"} for c in connections]
    connections = [project(c, fields, include) for c in connections]
    if wants_checkpoint(request):
        return ok(checkpointed(request, connections, "connections", "id"))
    return ok(paged(request, connections, "connections"))


async def connections_get(request: Request) -> Response:
    require(request, "read:connections")
    connection = connection_get(tenant_of(request), request.path_params["id"])
    if connection is None:
        raise connection_not_found()
    fields, include = fields_projection(request)
    return ok(project(connection, fields, include))


@api_write("Create a Connection")
async def connections_create(request: Request) -> Response:
    require(request, "create:connections")
    tenant = tenant_of(request)
    body = await request_body(request, allowed=CREATE_FIELDS, required=("name", "strategy"))
    check_type(body, "name", str, NAME_DESCRIPTION)
    check_type(body, "strategy", str)
    name = body["name"]
    if len(name) > 128:
        raise payload_invalid(
            f"String is too long ({len(name)} chars), maximum 128", "name", NAME_DESCRIPTION
        )
    if not NAME_PATTERN.match(name):
        raise payload_invalid(
            f"String does not match pattern ^[a-zA-Z0-9](-[a-zA-Z0-9]|[a-zA-Z0-9])*$: {name}",
            "name",
            NAME_DESCRIPTION,
        )
    _body_checks(body)
    if connection_get_by_name(tenant, name):
        raise Auth0Error(409, "A connection with the same name already exists", "connection_conflicts")
    options = body.get("options")
    if body["strategy"] in ("samlp", "oidc"):
        options = _enterprise_options(body["strategy"], options or {})
    connection = connection_create(
        tenant,
        name=name,
        strategy=body["strategy"],
        options=options,
        enabled_clients=body.get("enabled_clients"),
        display_name=body.get("display_name"),
        is_domain_connection=bool(body.get("is_domain_connection")),
        metadata=body.get("metadata"),
    )
    if body.get("realms"):
        connection["realms"] = body["realms"]
        connection_put(tenant, connection)
    return ok(connection, 201)


@api_write("Update a Connection")
async def connections_update(request: Request) -> Response:
    require(request, "update:connections")
    tenant = tenant_of(request)
    connection = connection_get(tenant, request.path_params["id"])
    if connection is None:
        raise connection_not_found()
    body = await request_body(request, allowed=UPDATE_FIELDS)
    _body_checks(body)
    if "options" in body and connection.get("strategy") in ("samlp", "oidc"):
        body = {**body, "options": _enterprise_options(connection["strategy"], body["options"] or {})}
    # Auth0 replaces ``options`` whole on PATCH, as every other root field.
    connection_put(tenant, fields_apply(connection, body))
    return ok(connection)


@api_write("Delete a Connection")
async def connections_delete(request: Request) -> Response:
    """202 while Auth0 deletes it; 204 when it no longer exists (an unknown id)."""
    require(request, "delete:connections")
    deleted = connection_delete(tenant_of(request), request.path_params["id"])
    return Response(status_code=202 if deleted else 204)


def routes(tenant: Tenant) -> list[BaseRoute]:
    return [
        Route("/api/v2/connections", connections_list, methods=["GET"]),
        Route("/api/v2/connections", connections_create, methods=["POST"]),
        Route("/api/v2/connections/{id}", connections_get, methods=["GET"]),
        Route("/api/v2/connections/{id}", connections_update, methods=["PATCH"]),
        Route("/api/v2/connections/{id}", connections_delete, methods=["DELETE"]),
    ]
