"""``GET /authorize`` (authorization code flow with PKCE) and the hosted login page ``/u/login``.

/authorize validates the request the way Auth0 does: an unknown client or a redirect_uri that is not
one of the client's callbacks gets an error page (never a redirect to an unverified URL); every later
problem is sent back to the application as ``?error=…&error_description=…&state=…``. A valid request
either logs in silently (an emulator session exists and ``prompt=login`` was not asked) or becomes a
login transaction and a redirect to ``/u/login?state=<transaction>``, as Auth0's Universal Login does.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ...directory.connections import connection_get_by_name
from ...directory.organizations import organization_connection_names, organization_get, organization_get_by_name
from ...directory.users import user_get
from ...tenant import Tenant
from ..access import user_may_use
from ..clients import client_get, resource_servers, url_allowed
from ..enterprise.routes import ENTERPRISE, enterprise_start_url
from ..errors import PageError, page_endpoint
from ..invitations import invitation_find
from ..params import tenant_of
from ..sessions import BROWSER_COOKIE, SESSION_COOKIE, session_get, transaction_create
from .codes import code_create, code_lifetime

PKCE_METHODS = ("S256", "plain")


class AuthorizeError(Exception):
    """A problem reported to the application at its (verified) redirect_uri."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


def url_with_params(url: str, params: dict[str, str | None]) -> str:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    if not query:
        return url
    return f"{url}{'&' if '?' in url else '?'}{query}"


def redirect_to_app(redirect_uri: str, params: dict[str, str | None]) -> RedirectResponse:
    return RedirectResponse(
        url_with_params(redirect_uri, params), status_code=302, headers={"Cache-Control": "no-store"}
    )


def cookie_secure(tenant: Tenant) -> bool:
    return tenant.config.public_url.startswith("https://")


def browser_cookie_set(tenant: Tenant, response: Response, value: str) -> None:
    response.set_cookie(BROWSER_COOKIE, value, httponly=True, samesite="lax", secure=cookie_secure(tenant), path="/")


def organization_resolve(tenant: Tenant, value: str) -> dict | None:
    """``organization`` accepts an ``org_…`` id or the organization's name, as Auth0 does."""
    if value.startswith("org_"):
        return organization_get(tenant, value)
    return organization_get_by_name(tenant, value)


def request_validate(tenant: Tenant, client: dict, redirect_uri: str, q: dict[str, str]) -> dict:
    """The transaction parameters of a valid /authorize request; raises ``AuthorizeError``."""
    response_type = q.get("response_type")
    if not response_type:
        raise AuthorizeError("invalid_request", "Missing required parameter: response_type")
    if response_type != "code":
        raise AuthorizeError("unsupported_response_type", f"Unsupported response type: {response_type}")
    if q.get("response_mode") not in (None, "", "query"):
        raise AuthorizeError("invalid_request", f"Unsupported response_mode: {q['response_mode']}")
    if "authorization_code" not in client.get("grant_types", []):
        raise AuthorizeError("unauthorized_client", "Grant type 'authorization_code' not allowed for the client.")
    challenge, method = q.get("code_challenge"), q.get("code_challenge_method")
    if method and not challenge:
        raise AuthorizeError("invalid_request", "Missing required parameter: code_challenge")
    if challenge:
        method = method or "plain"  # RFC 7636 4.3: plain when the method is omitted
        if method not in PKCE_METHODS:
            raise AuthorizeError("invalid_request", f"Unsupported code_challenge_method: {method}")
        if not 43 <= len(challenge) <= 128:
            raise AuthorizeError("invalid_request", "code_challenge must be between 43 and 128 characters")
    audience = q.get("audience") or None
    if audience and audience not in resource_servers(tenant):
        raise AuthorizeError("access_denied", f"Service not found: {audience}")
    org = None
    if q.get("organization"):
        org = organization_resolve(tenant, q["organization"])
        if org is None:
            raise AuthorizeError("invalid_request", f"parameter organization is invalid: {q['organization']}")
    connection = None
    if q.get("connection"):
        connection = connection_get_by_name(tenant, q["connection"])
        if connection is None or client["client_id"] not in connection.get("enabled_clients", []):
            raise AuthorizeError("invalid_request", "the connection was not found")
        if connection.get("strategy", "auth0") not in ("auth0", *ENTERPRISE):
            raise AuthorizeError("invalid_request", "the connection is not a database or enterprise connection")
        if org and connection["name"] not in organization_connection_names(tenant, org["id"]):
            raise AuthorizeError("invalid_request", f"the connection is not enabled for the organization {org['id']}")
    invitation = None
    if q.get("invitation"):
        if org is None:
            raise AuthorizeError("invalid_request", "parameter organization is required with invitation")
        invitation = invitation_find(tenant, q["invitation"], org["id"])
        if invitation is None:
            raise AuthorizeError("invalid_request", "the invitation was not found or has expired")
    prompt = (q.get("prompt") or "").split()
    return {
        "client_id": client["client_id"],
        "redirect_uri": redirect_uri,
        "response_type": response_type,
        "scope": q.get("scope") or "openid",
        "state": q.get("state"),
        "nonce": q.get("nonce"),
        "audience": audience,
        "code_challenge": challenge,
        "code_challenge_method": method if challenge else None,
        "connection": connection["name"] if connection else None,
        "org_id": org["id"] if org else None,
        "org_name": org["name"] if org else None,
        "org_display_name": (org.get("display_name") or org["name"]) if org else None,
        "prompt": prompt,
        "login_hint": q.get("login_hint"),
        "screen_hint": q.get("screen_hint"),
        "invitation": q["invitation"] if invitation else None,
    }


def code_redirect(tenant: Tenant, txn: dict, *, user: dict, session: dict) -> RedirectResponse:
    """Finish a successful authorization: a code for the application at its redirect_uri."""
    grant = {
        "client_id": txn["client_id"],
        "redirect_uri": txn["redirect_uri"],
        "user_id": user["user_id"],
        "scope": txn["scope"],
        "audience": txn.get("audience"),
        "nonce": txn.get("nonce"),
        "code_challenge": txn.get("code_challenge"),
        "code_challenge_method": txn.get("code_challenge_method"),
        "org_id": txn.get("org_id"),
        "org_name": txn.get("org_name"),
        "sid": session["sid"],
        "auth_time": session["auth_time"],
    }
    code = code_create(tenant, grant, code_lifetime(tenant))
    return redirect_to_app(txn["redirect_uri"], {"code": code, "state": txn.get("state")})


@page_endpoint
async def authorize_get(request: Request) -> Response:
    tenant = tenant_of(request)
    q = dict(request.query_params)
    client_id = q.get("client_id")
    if not client_id:
        raise PageError(400, "invalid_request", "Missing required parameter: client_id")
    client = client_get(tenant, client_id)
    if client is None:
        raise PageError(400, "invalid_request", f"Unknown client: {client_id}")
    redirect_uri = q.get("redirect_uri")
    if not redirect_uri:
        raise PageError(400, "invalid_request", "Missing required parameter: redirect_uri")
    if not url_allowed(redirect_uri, client.get("callbacks", [])):
        raise PageError(
            400,
            "invalid_request",
            f"Callback URL mismatch. {redirect_uri} is not in the list of allowed callback URLs",
        )
    # From here on the redirect_uri is trusted: errors go back to the application.
    try:
        txn = request_validate(tenant, client, redirect_uri, q)
    except AuthorizeError as exc:
        return redirect_to_app(
            redirect_uri, {"error": exc.error, "error_description": exc.description, "state": q.get("state")}
        )

    session = session_get(tenant, request.cookies.get(SESSION_COOKIE))
    # An invitation is accepted on the hosted pages, so it always shows them.
    if session and "login" not in txn["prompt"] and not txn["invitation"]:
        user = user_get(tenant, session["user_id"])
        if user is not None and user_may_use(tenant, user, txn) is None:
            return code_redirect(tenant, txn, user=user, session=session)
    if "none" in txn["prompt"]:
        return redirect_to_app(
            redirect_uri,
            {"error": "login_required", "error_description": "Login required", "state": txn.get("state")},
        )

    browser = request.cookies.get(BROWSER_COOKIE) or secrets.token_urlsafe(24)
    created = transaction_create(tenant, txn, browser)
    page = "/u/signup" if txn.get("screen_hint") == "signup" and not txn["invitation"] else "/u/login"
    location = f"{page}?{urlencode({'state': created['id']})}"
    if txn["connection"] and connection_get_by_name(tenant, txn["connection"]).get("strategy") in ENTERPRISE:
        location = enterprise_start_url(created["id"])  # straight on to the organization's identity provider
    response = RedirectResponse(
        location,
        status_code=302,
        headers={"Cache-Control": "no-store"},
    )
    browser_cookie_set(tenant, response, browser)
    return response
