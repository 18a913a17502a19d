"""The hosted login page, ``GET|POST /u/login?state=<transaction>``.

The form is bound to its transaction and to the browser that started it (a cookie), and carries a
per-transaction CSRF token. A POST checks, in order: brute-force block for this email and IP, the
password against every database connection the transaction allows, the user's ``blocked`` flag, and
Organization membership; it records Auth0's log events (``s``, ``f``, ``fp``, ``fu``, ``limit_wc``)
and on success opens an emulator session (silent SSO later) and redirects with a code.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ...directory.brute_force import login_blocked, login_failure_record, login_failures_clear
from ...directory.logs import log_event_record
from ...directory.outbox import outbox_send
from ...directory.tickets import ticket_create
from ...directory.users import user_connection, user_find_by_email, user_login_record, user_password_check
from ...tenant import Tenant
from ..access import invited_email, login_connections, signup_target, user_may_use
from ..clients import client_get
from ..errors import PageError, page_endpoint
from ..invitations import invitation_accept, invitation_find, invitation_matches
from ..oidc.authorize import code_redirect, cookie_secure, redirect_to_app
from ..params import client_ip, form_params, tenant_of
from ..sessions import (
    BROWSER_COOKIE,
    SESSION_COOKIE,
    SESSION_LIFETIME,
    session_create,
    transaction_delete,
    transaction_get,
)
from .render import page_render

WRONG_CREDENTIALS = "Wrong email or password."
BRUTE_FORCE_BLOCKED = (
    "Your account has been blocked after multiple consecutive login attempts. "
    "We've sent you an email with instructions on how to unblock it."
)
USER_BLOCKED = "Your account has been blocked. Contact your administrator."
MISSING_FIELDS = "Please enter your email address and your password."


def transaction_for(request: Request, tenant: Tenant, state: str | None) -> dict:
    txn = transaction_get(tenant, state or "", request.cookies.get(BROWSER_COOKIE))
    if txn is None:
        raise PageError(
            400,
            "invalid_request",
            "The login transaction is invalid or has expired. Go back to the application and log in again.",
        )
    return txn


def login_form(tenant: Tenant, txn: dict, *, email: str = "", error: str | None = None, status: int = 200) -> Response:
    params = txn["params"]
    client = client_get(tenant, params["client_id"]) or {}
    query = urlencode({"state": txn["id"]})
    return page_render(
        "login.html",
        {
            "client_name": client.get("name", params["client_id"]),
            "org_name": params.get("org_name"),
            "org_display_name": params.get("org_display_name"),
            "connections": [params["connection"]] if params.get("connection") else [],
            "state": txn["id"],
            "csrf_token": txn["csrf"],
            "email": email,
            "error": error,
            "action": f"/u/login?{query}",
            "reset_link": f"/u/reset-password/request?{query}",
            "signup_link": f"/u/signup?{query}" if signup_target(tenant, params)[0] else None,
        },
        status=status,
        form_targets=[params["redirect_uri"]],
    )


@page_endpoint
async def login_get(request: Request) -> Response:
    tenant = tenant_of(request)
    txn = transaction_for(request, tenant, request.query_params.get("state"))
    params = txn["params"]
    connection, invitation = signup_target(tenant, params)
    invited = invited_email(invitation)
    if invited and not any(user_find_by_email(tenant, c, invited) for c in login_connections(tenant, params)):
        # An invited person without an account creates one first.
        return RedirectResponse(f"/u/signup?{urlencode({'state': txn['id']})}", status_code=302)
    return login_form(tenant, txn, email=invited or params.get("login_hint") or "")


def _log(
    tenant: Tenant,
    request: Request,
    params: dict,
    kind: str,
    description: str,
    *,
    user: dict | None = None,
    email: str | None = None,
    connection: str | None = None,
) -> None:
    client = client_get(tenant, params["client_id"]) or {}
    log_event_record(
        tenant,
        type=kind,
        description=description,
        user_id=user["user_id"] if user else None,
        user_name=(user or {}).get("email") or email,
        client_id=params["client_id"],
        client_name=client.get("name"),
        connection=connection or (user_connection(user) if user else None),
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
        details={"organization_id": params["org_id"]} if params.get("org_id") else None,
    )


def _block_notify(tenant: Tenant, user: dict, client_id: str) -> None:
    # Auth0 emails the user when brute-force protection blocks them; here it lands in the outbox.
    # Changing the password lifts the block, so the email carries a password-change link.
    if not user.get("email"):
        return
    ticket_url = ticket_create(tenant, kind="password_change", user_id=user["user_id"], client_id=client_id)
    outbox_send(
        tenant,
        to=user["email"],
        kind="blocked_account",
        subject="Your account has been blocked",
        text=(
            "We detected several consecutive failed login attempts on your account and blocked further "
            "attempts from the IP address they came from. An administrator can unblock your account, "
            f"or you can choose a new password, which also unblocks it:\n\n{ticket_url}\n"
        ),
        links=[ticket_url],
    )


@page_endpoint
async def login_post(request: Request) -> Response:
    tenant = tenant_of(request)
    form = await form_params(request)
    txn = transaction_for(request, tenant, request.query_params.get("state") or form.get("state"))
    if not hmac.compare_digest(form.get("csrf_token", "").encode(), txn["csrf"].encode()):
        raise PageError(403, "invalid_request", "Invalid CSRF token. Go back to the application and log in again.")
    params = txn["params"]
    email = form.get("username", "").strip()
    password = form.get("password", "")
    if not email or not password:
        return login_form(tenant, txn, email=email, error=MISSING_FIELDS, status=400)

    ip = client_ip(request)
    if login_blocked(tenant, identifier=email, ip=ip):
        return login_form(tenant, txn, email=email, error=BRUTE_FORCE_BLOCKED, status=429)

    connections = login_connections(tenant, params)
    found = [u for c in connections if (u := user_find_by_email(tenant, c, email))]
    if not found:
        _log(
            tenant,
            request,
            params,
            "fu",
            WRONG_CREDENTIALS,
            email=email,
            connection=connections[0] if len(connections) == 1 else None,
        )
        return login_form(tenant, txn, email=email, error=WRONG_CREDENTIALS, status=400)
    user = next((u for u in found if user_password_check(tenant, u["user_id"], password)), None)
    if user is None:
        target = found[0]
        _log(tenant, request, params, "fp", WRONG_CREDENTIALS, user=target)
        if login_failure_record(
            tenant, identifier=email, ip=ip, connection=user_connection(target)
        ):
            _log(
                tenant,
                request,
                params,
                "limit_wc",
                f"Too many failed login attempts for {email} from {ip}: blocked",
                user=target,
            )
            _block_notify(tenant, target, params["client_id"])
            return login_form(tenant, txn, email=email, error=BRUTE_FORCE_BLOCKED, status=429)
        return login_form(tenant, txn, email=email, error=WRONG_CREDENTIALS, status=400)

    login_failures_clear(tenant, identifier=email, ip=ip)
    return login_complete(request, tenant, txn, user)


def login_complete(request: Request, tenant: Tenant, txn: dict, user: dict) -> Response:
    """The user proved who they are (password or signup): apply an invitation, check they may use
    this login, then open the session and send the application its code."""
    params = txn["params"]
    invitation = invitation_find(tenant, params.get("invitation") or "", params.get("org_id") or "")
    if invitation is not None and invitation_matches(invitation, user):
        invitation_accept(tenant, invitation, user)
    refusal = user_may_use(tenant, user, params)
    if refusal is not None:
        reason, description = refusal
        _log(tenant, request, params, "f", description, user=user)
        if reason == "blocked":
            return login_form(tenant, txn, email=user.get("email", ""), error=USER_BLOCKED, status=401)
        # Auth0 reports a non-member back to the application rather than on its own page.
        transaction_delete(tenant, txn["id"])
        return redirect_to_app(
            params["redirect_uri"],
            {"error": "access_denied", "error_description": description, "state": params.get("state")},
        )

    user_login_record(tenant, user["user_id"], client_ip(request))
    _log(tenant, request, params, "s", "Successful login", user=user)
    cookie, session = session_create(
        tenant, user_id=user["user_id"], connection=user_connection(user), client_id=params["client_id"],
        ip=client_ip(request), user_agent=request.headers.get("user-agent"),
    )
    transaction_delete(tenant, txn["id"])
    response = code_redirect(tenant, params, user=user, session=session)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=SESSION_LIFETIME,
        httponly=True,
        samesite="lax",
        secure=cookie_secure(tenant),
        path="/",
    )
    return response
