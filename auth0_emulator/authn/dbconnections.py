"""``POST /dbconnections/change_password`` and ``POST /dbconnections/signup``.

change_password answers the same sentence whether or not the user exists (so it cannot be used to
find out who has an account); when the user exists it makes a password-change ticket and puts the
email Auth0 would send in the outbox.
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..directory.connections import connection_get_by_name
from ..directory.logs import log_event_record
from ..directory.outbox import outbox_send
from ..directory.passwords import password_policy_check
from ..directory.tickets import ticket_create
from ..directory.users import user_build, user_connection, user_find_by_email, user_insert
from ..errors import Auth0Error
from ..tenant import Tenant
from .clients import client_get
from .errors import OAuthError, invalid_request, json_endpoint
from .params import body_params, client_ip, tenant_of

RESET_EMAIL_SENT = "We've just sent you an email to reset your password."


def database_connection(tenant: Tenant, name: str) -> dict | None:
    connection = connection_get_by_name(tenant, name)
    if connection is None or connection.get("strategy", "auth0") != "auth0":
        return None
    return connection


def password_reset_email_send(
    tenant: Tenant,
    *,
    user: dict,
    client: dict | None,
    organization_id: str | None = None,
    ip: str | None = None,
) -> dict | None:
    """Make a password-change ticket for ``user`` and put the reset email in the outbox."""
    if not user.get("email"):
        return None
    ticket_url = ticket_create(
        tenant,
        kind="password_change",
        user_id=user["user_id"],
        client_id=client["client_id"] if client else None,
        organization_id=organization_id,
    )
    app_name = client.get("name") if client else "your application"
    message = outbox_send(
        tenant,
        to=user["email"],
        kind="change_password",
        subject="Reset your password",
        text=(
            f"Hello {user.get('name') or user['email']},\n\n"
            f"We received a request to reset the password of your {app_name} account. "
            f"Follow this link to choose a new password:\n\n{ticket_url}\n\n"
            "If you did not ask for this, you can ignore this email."
        ),
        links=[ticket_url],
    )
    log_event_record(
        tenant,
        type="scpr",
        description="Success Change Password Request",
        user_id=user["user_id"],
        user_name=user["email"],
        client_id=client["client_id"] if client else None,
        client_name=client.get("name") if client else None,
        connection=user_connection(user),
        ip=ip,
    )
    return message


@json_endpoint
async def change_password(request: Request) -> Response:
    tenant = tenant_of(request)
    params = await body_params(request)
    for name in ("email", "connection"):
        if not params.get(name):
            raise invalid_request(f"Missing required parameter: {name}")
    client = None
    if params.get("client_id"):
        client = client_get(tenant, params["client_id"])
        if client is None:
            raise OAuthError(401, "access_denied", "Unauthorized")
    if database_connection(tenant, params["connection"]) is None:
        raise invalid_request("connection not found")
    user = user_find_by_email(tenant, params["connection"], params["email"])
    if user is not None:
        password_reset_email_send(
            tenant,
            user=user,
            client=client,
            organization_id=params.get("organization"),
            ip=client_ip(request),
        )
    # The published spec documents the answer as a JSON string.
    return JSONResponse(RESET_EMAIL_SENT, headers={"Cache-Control": "no-store"})


def _signup_error(status: int, body: dict) -> JSONResponse:
    return JSONResponse({**body, "statusCode": status}, status_code=status)


def verification_email_send(tenant: Tenant, *, user: dict, client: dict | None) -> dict | None:
    if not user.get("email"):
        return None
    ticket_url = ticket_create(
        tenant,
        kind="email_verification",
        user_id=user["user_id"],
        client_id=client["client_id"] if client else None,
    )
    return outbox_send(
        tenant,
        to=user["email"],
        kind="verify_email",
        subject="Verify your email",
        text=(
            f"Hello {user.get('name') or user['email']},\n\nPlease verify your email address by "
            f"following this link:\n\n{ticket_url}\n"
        ),
        links=[ticket_url],
    )


@json_endpoint
async def signup(request: Request) -> Response:
    """Create a database user the way Auth0's public signup does (the connection must allow it)."""
    tenant = tenant_of(request)
    params = await body_params(request)
    for name in ("client_id", "email", "password", "connection"):
        if not params.get(name):
            raise invalid_request(f"Missing required parameter: {name}")
    client = client_get(tenant, params["client_id"])
    if client is None:
        raise OAuthError(401, "access_denied", "Unauthorized")
    connection = database_connection(tenant, params["connection"])
    if connection is None or client["client_id"] not in connection.get("enabled_clients", []):
        raise invalid_request("connection not found")
    if (connection.get("options") or {}).get("disable_signup"):
        return _signup_error(
            403,
            {
                "name": "BadRequestError",
                "code": "operation_not_allowed",
                "description": "Public signup is disabled",
            },
        )
    policy_error = password_policy_check(connection, params["password"])
    if policy_error:
        return _signup_error(
            400,
            {
                "name": "PasswordStrengthError",
                "code": "invalid_password",
                "message": "Password is too weak",
                "description": policy_error,
                "policy": (connection.get("options") or {}).get("passwordPolicy", "good"),
            },
        )
    metadata = None
    if params.get("user_metadata"):
        try:
            metadata = json.loads(params["user_metadata"])
        except ValueError:
            metadata = None
        if not isinstance(metadata, dict):
            raise invalid_request("user_metadata must be an object")
    user = user_build(
        connection=connection["name"],
        email=params["email"].strip(),
        given_name=params.get("given_name"),
        family_name=params.get("family_name"),
        name=params.get("name"),
        nickname=params.get("nickname"),
        picture=params.get("picture"),
        user_metadata=metadata,
    )
    try:
        user_insert(tenant, user, password=params["password"])
    except Auth0Error:
        log_event_record(
            tenant,
            type="fs",
            description="Invalid sign up",
            user_name=params["email"],
            client_id=client["client_id"],
            client_name=client.get("name"),
            connection=connection["name"],
            ip=client_ip(request),
        )
        return _signup_error(
            400, {"name": "BadRequestError", "code": "invalid_signup", "description": "Invalid sign up"}
        )
    log_event_record(
        tenant,
        type="ss",
        description="Successful signup",
        user_id=user["user_id"],
        user_name=user["email"],
        client_id=client["client_id"],
        client_name=client.get("name"),
        connection=connection["name"],
        ip=client_ip(request),
    )
    verification_email_send(tenant, user=user, client=client)
    return JSONResponse({"_id": user["user_id"].split("|", 1)[1], "email_verified": False, "email": user["email"]})
