"""``/api/v2/tickets``: password-change and email-verification links (delivery is the caller's job)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..directory.connections import connection_get
from ..directory.tickets import ticket_create
from ..directory.users import user_find_by_email, user_get
from ..errors import Auth0Error
from ..tenant import Tenant
from .apilog import api_write
from .auth import require
from .common import check_type, ok, payload_invalid, request_body, tenant_of
from .users.users import user_not_found

PASSWORD_CHANGE_FIELDS = (
    "result_url",
    "user_id",
    "client_id",
    "organization_id",
    "connection_id",
    "email",
    "ttl_sec",
    "mark_email_as_verified",
    "includeEmailInRedirect",
    "identity",
)
EMAIL_VERIFICATION_FIELDS = (
    "result_url",
    "user_id",
    "client_id",
    "organization_id",
    "ttl_sec",
    "includeEmailInRedirect",
    "identity",
)


def _common_checks(body: dict) -> None:
    for name in ("result_url", "user_id", "client_id", "organization_id", "connection_id", "email"):
        check_type(body, name, str)
    for name in ("mark_email_as_verified", "includeEmailInRedirect"):
        check_type(body, name, bool)
    check_type(body, "ttl_sec", int)
    if body.get("ttl_sec") is not None and body["ttl_sec"] < 0:
        raise payload_invalid(f"Value {body['ttl_sec']} is less than minimum 0", "ttl_sec")
    org_id = body.get("organization_id")
    if org_id is not None and not body.get("client_id"):
        raise Auth0Error(400, "client_id is required when organization_id is specified", "invalid_body")


@api_write("Create a Password Change Ticket")
async def password_change(request: Request) -> Response:
    require(request, "create:user_tickets")
    tenant = tenant_of(request)
    body = await request_body(request, allowed=PASSWORD_CHANGE_FIELDS)
    _common_checks(body)
    if body.get("user_id") and (body.get("email") or body.get("connection_id")):
        raise Auth0Error(
            400,
            "The user_id parameter cannot be used together with the email or connection_id parameters.",
            "invalid_body",
        )
    if body.get("user_id"):
        user = user_get(tenant, body["user_id"])
    elif body.get("email") and body.get("connection_id"):
        connection = connection_get(tenant, body["connection_id"])
        if connection is None:
            raise Auth0Error(404, "The connection does not exist", "inexistent_connection")
        user = user_find_by_email(tenant, connection["name"], body["email"])
    else:
        raise Auth0Error(400, "Either user_id, or email and connection_id, must be provided.", "invalid_body")
    if user is None:
        raise user_not_found()
    ticket = ticket_create(
        tenant,
        kind="password_change",
        user_id=user["user_id"],
        result_url=body.get("result_url"),
        ttl_sec=body.get("ttl_sec") or 0,
        mark_email_as_verified=bool(body.get("mark_email_as_verified")),
        include_email_in_redirect=bool(body.get("includeEmailInRedirect")),
        client_id=body.get("client_id"),
        organization_id=body.get("organization_id"),
    )
    return ok({"ticket": ticket}, 201)


@api_write("Create an Email Verification Ticket")
async def email_verification(request: Request) -> Response:
    require(request, "create:user_tickets")
    tenant = tenant_of(request)
    body = await request_body(request, allowed=EMAIL_VERIFICATION_FIELDS, required=("user_id",))
    _common_checks(body)
    user = user_get(tenant, body["user_id"])
    if user is None:
        raise user_not_found()
    ticket = ticket_create(
        tenant,
        kind="email_verification",
        user_id=user["user_id"],
        result_url=body.get("result_url"),
        ttl_sec=body.get("ttl_sec") or 0,
        include_email_in_redirect=bool(body.get("includeEmailInRedirect")),
        client_id=body.get("client_id"),
        organization_id=body.get("organization_id"),
    )
    return ok({"ticket": ticket}, 201)


def routes(tenant: Tenant) -> list[BaseRoute]:
    return [
        Route("/api/v2/tickets/password-change", password_change, methods=["POST"]),
        Route("/api/v2/tickets/email-verification", email_verification, methods=["POST"]),
    ]
