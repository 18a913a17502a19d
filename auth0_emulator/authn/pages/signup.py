"""The hosted signup page, ``GET|POST /u/signup?state=<transaction>``.

Reached with ``screen_hint=signup``, from the login page's link, or when an invited person has no
account yet. The account is created in the transaction's database connection (an invitation's own
connection first); public signup follows the connection's ``disable_signup`` option, as in Auth0,
while an invitation is always allowed to create its account.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from ...directory.connections import connection_get_by_name
from ...directory.logs import log_event_record
from ...directory.passwords import password_policy_check
from ...directory.users import user_build, user_insert
from ...errors import Auth0Error
from ...tenant import Tenant
from ..access import invited_email, signup_target
from ..dbconnections import verification_email_send
from ..errors import PageError, page_endpoint
from ..params import client_ip, form_params, tenant_of
from .login import login_complete, transaction_for
from .render import page_render

CONFIRMATION_MISMATCH = "Please ensure the password and the confirmation are the same."


def signup_form(tenant: Tenant, txn: dict, *, email: str = "", error: str | None = None, status: int = 200) -> Response:
    params = txn["params"]
    _, invitation = signup_target(tenant, params)
    query = urlencode({"state": txn["id"]})
    return page_render(
        "signup.html",
        {
            "org_display_name": params.get("org_display_name"),
            "email": invited_email(invitation) or email,
            "email_fixed": invitation is not None,
            "error": error,
            "csrf_token": txn["csrf"],
            "action": f"/u/signup?{query}",
            "login_link": f"/u/login?{query}",
        },
        status=status,
        form_targets=[params["redirect_uri"]],
    )


@page_endpoint
async def signup_get(request: Request) -> Response:
    tenant = tenant_of(request)
    txn = transaction_for(request, tenant, request.query_params.get("state"))
    connection, _ = signup_target(tenant, txn["params"])
    if connection is None:
        raise PageError(403, "access_denied", "Signups are not allowed for this application.")
    return signup_form(tenant, txn, email=txn["params"].get("login_hint") or "")


@page_endpoint
async def signup_post(request: Request) -> Response:
    tenant = tenant_of(request)
    form = await form_params(request)
    txn = transaction_for(request, tenant, request.query_params.get("state"))
    if not hmac.compare_digest(form.get("csrf_token", "").encode(), txn["csrf"].encode()):
        raise PageError(403, "invalid_request", "Invalid CSRF token. Go back to the application and try again.")
    params = txn["params"]
    connection_name, invitation = signup_target(tenant, params)
    connection = connection_get_by_name(tenant, connection_name) if connection_name else None
    if connection is None:
        raise PageError(403, "access_denied", "Signups are not allowed for this application.")
    # An invitation fixes the address: the form field cannot redirect it to another one.
    email = invited_email(invitation) or form.get("email", "").strip()
    password = form.get("password", "")
    if not email or "@" not in email or not password:
        return signup_form(tenant, txn, email=email, error="Please enter an email address and a password.", status=400)
    if password != form.get("password_confirmation", ""):
        return signup_form(tenant, txn, email=email, error=CONFIRMATION_MISMATCH, status=400)
    policy_error = password_policy_check(connection, password)
    if policy_error:
        return signup_form(tenant, txn, email=email, error=policy_error, status=400)
    # An invited person reached this page through the link emailed to them, which verifies the address.
    user = user_build(
        connection=connection["name"],
        email=email,
        email_verified=invitation is not None,
        user_metadata=(invitation or {}).get("user_metadata") or None,
        app_metadata=(invitation or {}).get("app_metadata") or None,
    )
    try:
        user_insert(tenant, user, password=password)
    except Auth0Error:
        return signup_form(tenant, txn, email=email, error="The user already exists.", status=400)
    client = tenant.store.client_get(params["client_id"]) or {}
    log_event_record(
        tenant,
        type="ss",
        description="Successful signup",
        user_id=user["user_id"],
        user_name=email,
        client_id=params["client_id"],
        client_name=client.get("name"),
        connection=connection["name"],
        ip=client_ip(request),
    )
    if invitation is None:
        verification_email_send(tenant, user=user, client=client or None)
    return login_complete(request, tenant, txn, user)
