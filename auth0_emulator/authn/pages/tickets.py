"""The pages tickets and emails point to.

- ``/u/reset-password?ticket=…``: choose a new password (password-change tickets, from the
  Management API or from ``/dbconnections/change_password``);
- ``/u/email-verification?ticket=…``: verify the email address;
- ``/u/reset-password/request?state=…``: "Forgot password?" from the login page.

A ticket is checked on every request (exists, right kind, not expired, not used) and consumed once
the action succeeds, so a link works exactly once. Outcomes are logged as Auth0 does
(``scp``/``fcp``, ``sv``/``fv``); a ``result_url`` gets Auth0's ``success``/``message`` parameters.
"""

from __future__ import annotations

import hmac
import time
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ...directory.brute_force import login_failures_clear, user_identifiers
from ...directory.connections import connection_get_by_name
from ...directory.logs import log_event_record
from ...directory.passwords import password_policy_check
from ...directory.tickets import ticket_consume, ticket_get
from ...directory.users import user_connection, user_find_by_email, user_get, user_password_set, user_update
from ...tenant import Tenant
from ..access import login_connections
from ..clients import client_get
from ..dbconnections import RESET_EMAIL_SENT, password_reset_email_send
from ..errors import PageError, page_endpoint
from ..oidc.authorize import url_with_params
from ..params import client_ip, form_params, tenant_of
from ..sessions import page_token
from .login import transaction_for
from .render import message_page, page_render

PASSWORD_CHANGED = "You can now login to the application with the new password."  # noqa: S105 - a message
EMAIL_VERIFIED = "Your email was verified. You can continue using the application."
CONFIRMATION_MISMATCH = "Please ensure the password and the confirmation are the same."


def _ticket_log(
    tenant: Tenant,
    request: Request,
    kind: str,
    description: str,
    ticket: dict | None,
    user: dict | None = None,
) -> None:
    user = user or (user_get(tenant, ticket["user_id"]) if ticket else None)
    client = client_get(tenant, ticket.get("client_id")) if ticket else None
    log_event_record(
        tenant,
        type=kind,
        description=description,
        user_id=user["user_id"] if user else None,
        user_name=user.get("email") if user else None,
        client_id=client["client_id"] if client else None,
        client_name=client.get("name") if client else None,
        connection=user_connection(user) if user else None,
        ip=client_ip(request),
    )


def ticket_check(tenant: Tenant, request: Request, kind: str, failure_log: str | None = None) -> dict:
    """The usable ticket named in ``?ticket=``; an error page (logged when ``failure_log``) otherwise."""
    ticket_id = request.query_params.get("ticket", "")
    ticket = ticket_get(tenant, ticket_id) if ticket_id else None
    problem: tuple[int, str, str] | None = None
    if ticket is None or ticket["kind"] != kind:
        ticket = None
        problem = (404, "invalid_ticket", "This link is not valid. Check that you copied the whole link.")
    elif ticket["used_at"] is not None:
        problem = (410, "used_ticket", "This link has already been used. Request a new one.")
    elif ticket["expires_at"] < time.time():
        problem = (
            410,
            "expired_ticket",
            "This link has expired. To reset your password, return to the login page and select "
            '"Forgot password?" to send a new email.'
            if kind == "password_change"
            else "This link has expired. Ask for a new verification email.",
        )
    elif user_get(tenant, ticket["user_id"]) is None:
        problem = (404, "invalid_ticket", "The user of this link no longer exists.")
    if problem:
        if failure_log:
            _ticket_log(tenant, request, failure_log, problem[2], ticket)
        raise PageError(*problem)
    assert ticket is not None
    return ticket


def result_redirect(ticket: dict, user: dict, message: str) -> Response | None:
    if not ticket.get("result_url"):
        return None
    params: dict[str, str | None] = {"success": "true", "message": message}
    if ticket.get("include_email_in_redirect"):
        params["email"] = user.get("email")
    return RedirectResponse(
        url_with_params(ticket["result_url"], params), status_code=302, headers={"Cache-Control": "no-store"}
    )


def _reset_form(
    tenant: Tenant, request: Request, ticket: dict, user: dict, *, error: str | None = None, status: int = 200
) -> Response:
    return page_render(
        "reset_password.html",
        {
            "email": user.get("email") or user["user_id"],
            "error": error,
            "csrf_token": page_token(tenant, f"reset:{ticket['id']}"),
            "action": f"/u/reset-password?{urlencode({'ticket': ticket['id']})}",
        },
        status=status,
        form_targets=[ticket["result_url"]] if ticket.get("result_url") else None,
    )


@page_endpoint
async def reset_password_get(request: Request) -> Response:
    tenant = tenant_of(request)
    ticket = ticket_check(tenant, request, "password_change")
    user = user_get(tenant, ticket["user_id"]) or {}
    return _reset_form(tenant, request, ticket, user)


@page_endpoint
async def reset_password_post(request: Request) -> Response:
    tenant = tenant_of(request)
    form = await form_params(request)
    ticket = ticket_check(tenant, request, "password_change", failure_log="fcp")
    expected = page_token(tenant, f"reset:{ticket['id']}")
    if not hmac.compare_digest(form.get("csrf_token", "").encode(), expected.encode()):
        raise PageError(403, "invalid_request", "Invalid CSRF token. Open the link from the email again.")
    user = user_get(tenant, ticket["user_id"])
    assert user is not None  # ticket_check refuses tickets of deleted users
    password = form.get("password", "")
    if password != form.get("password_confirmation", ""):
        return _reset_form(tenant, request, ticket, user, error=CONFIRMATION_MISMATCH, status=400)
    connection = connection_get_by_name(tenant, user_connection(user)) or {}
    policy_error = password_policy_check(connection, password)
    if policy_error:
        _ticket_log(tenant, request, "fcp", policy_error, ticket, user)
        return _reset_form(tenant, request, ticket, user, error=policy_error, status=400)
    with tenant.store.transaction():
        verify = bool(ticket.get("mark_email_as_verified"))
        user_password_set(tenant, user["user_id"], password, publish=not verify)
        if verify:
            user_update(tenant, user["user_id"], {"email_verified": True})
        ticket_consume(tenant, ticket["id"])
        # Choosing a new password lifts brute-force blocks on the account, as in Auth0.
        for identifier in user_identifiers(user):
            login_failures_clear(tenant, identifier=identifier)
    _ticket_log(tenant, request, "scp", "Successful change password", ticket, user)
    return result_redirect(ticket, user, PASSWORD_CHANGED) or message_page(
        "Password Changed!", "You have successfully changed your password."
    )


@page_endpoint
async def email_verification_get(request: Request) -> Response:
    tenant = tenant_of(request)
    ticket = ticket_check(tenant, request, "email_verification", failure_log="fv")
    with tenant.store.transaction():
        user = user_update(tenant, ticket["user_id"], {"email_verified": True})
        ticket_consume(tenant, ticket["id"])
    _ticket_log(tenant, request, "sv", "Email verified", ticket, user)
    return result_redirect(ticket, user, EMAIL_VERIFIED) or message_page("Email Verified", EMAIL_VERIFIED)


def _reset_request_form(txn: dict, *, email: str = "", error: str | None = None, status: int = 200) -> Response:
    query = urlencode({"state": txn["id"]})
    return page_render(
        "reset_request.html",
        {
            "email": email,
            "error": error,
            "csrf_token": txn["csrf"],
            "action": f"/u/reset-password/request?{query}",
            "back_link": f"/u/login?{query}",
        },
        status=status,
    )


@page_endpoint
async def reset_request_get(request: Request) -> Response:
    tenant = tenant_of(request)
    txn = transaction_for(request, tenant, request.query_params.get("state"))
    return _reset_request_form(txn, email=txn["params"].get("login_hint") or "")


@page_endpoint
async def reset_request_post(request: Request) -> Response:
    tenant = tenant_of(request)
    form = await form_params(request)
    txn = transaction_for(request, tenant, request.query_params.get("state"))
    if not hmac.compare_digest(form.get("csrf_token", "").encode(), txn["csrf"].encode()):
        raise PageError(403, "invalid_request", "Invalid CSRF token. Go back to the application and log in again.")
    email = form.get("email", "").strip()
    if not email:
        return _reset_request_form(txn, error="Please enter your email address.", status=400)
    params = txn["params"]
    client = client_get(tenant, params["client_id"])
    for connection in login_connections(tenant, params):
        user = user_find_by_email(tenant, connection, email)
        if user is not None:
            password_reset_email_send(
                tenant, user=user, client=client, organization_id=params.get("org_id"), ip=client_ip(request)
            )
            break
    # The same answer whether or not the address is known.
    return page_render(
        "message.html",
        {
            "title": "Check your email",
            "message": RESET_EMAIL_SENT,
            "link": f"/u/login?{urlencode({'state': txn['id']})}",
            "link_text": "Back to log in",
        },
    )
