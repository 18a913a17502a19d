"""Logout: ``GET /v2/logout`` (Auth0's own) and ``GET /oidc/logout`` (OIDC RP-initiated logout).

Both end the emulator session and then redirect, but only to a URL in the application's Allowed
Logout URLs; anything else is an error page, so the endpoint can never be used as an open redirect.
RP-initiated logout lives at the tenant's ``end_session_path`` (``/oidc/logout`` unless the emulator
plays a plain OpenID provider), which can change while the emulator runs: ``EndSessionRoute`` serves
whichever path is current, and the old one is then as unknown as any other path.
"""

from __future__ import annotations

from collections.abc import Sequence

import jwt
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Scope

from ...config import oidc_value_problem
from ...directory.logs import log_event_record
from ...directory.users import user_get
from ...tenant import Tenant
from ..clients import client_get, url_allowed
from ..errors import PageError, page_endpoint
from ..pages.render import message_page
from ..params import client_ip, tenant_of
from ..sessions import SESSION_COOKIE, session_end, session_get
from .authorize import cookie_secure, url_with_params


def _not_allowed(parameter: str, url: str) -> PageError:
    return PageError(
        400,
        "invalid_request",
        f'The "{parameter}" querystring parameter "{url}" is not defined as a valid URL in '
        f'"Allowed Logout URLs". Add it to the application\'s allowed_logout_urls.',
    )


def _client(tenant: Tenant, client_id: str | None) -> dict | None:
    if not client_id:
        return None
    client = client_get(tenant, client_id)
    if client is None:
        raise PageError(400, "invalid_request", f"Unknown client: {client_id}")
    return client


def _logout(request: Request, tenant: Tenant, *, client: dict | None, sid: str | None, target: str | None) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    session = session_get(tenant, cookie)
    session_end(tenant, cookie=cookie, sid=sid)
    if session:
        user = user_get(tenant, session["user_id"]) or {}
        log_event_record(
            tenant,
            type="slo",
            description="User successfully logged out",
            user_id=session["user_id"],
            user_name=user.get("email"),
            client_id=client["client_id"] if client else None,
            client_name=client.get("name") if client else None,
            ip=client_ip(request),
        )
    if target:
        response: Response = RedirectResponse(target, status_code=302, headers={"Cache-Control": "no-store"})
    else:
        response = message_page("Logged out", "You have been logged out.")
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=cookie_secure(tenant))
    return response


@page_endpoint
async def v2_logout(request: Request) -> Response:
    tenant = tenant_of(request)
    q = request.query_params
    client = _client(tenant, q.get("client_id"))
    allowed = client.get("allowed_logout_urls", []) if client else []
    return_to = q.get("returnTo")
    if return_to:
        # Without client_id Auth0 checks the tenant's list, which this tenant leaves empty.
        if not url_allowed(return_to, allowed):
            raise _not_allowed("returnTo", return_to)
        target = return_to
    else:
        target = allowed[0] if allowed else None
    return _logout(request, tenant, client=client, sid=None, target=target)


@page_endpoint
async def oidc_logout(request: Request) -> Response:
    tenant = tenant_of(request)
    q = request.query_params
    client_id = q.get("client_id")
    sid = q.get("logout_hint")
    hint = q.get("id_token_hint")
    if hint:
        try:
            # An expired ID token is still a valid hint (OIDC RP-Initiated Logout 1.0, section 2).
            claims = jwt.decode(
                hint,
                tenant.key.public_key,
                algorithms=["RS256"],
                issuer=tenant.config.issuer,
                options={"verify_exp": False, "verify_aud": False, "require": ["aud", "iss"]},
            )
        except jwt.InvalidTokenError:
            raise PageError(400, "invalid_request", "The id_token_hint parameter is not a valid ID token") from None
        hint_client = claims["aud"][0] if isinstance(claims["aud"], list) else claims["aud"]
        if client_id and client_id != hint_client:
            raise PageError(
                400, "invalid_request", "The client_id parameter does not match the audience of id_token_hint"
            )
        client_id = hint_client
        sid = sid or claims.get("sid")
    client = _client(tenant, client_id)
    redirect_uri = q.get("post_logout_redirect_uri")
    target = None
    if redirect_uri:
        if client is None:
            raise PageError(
                400, "invalid_request", "post_logout_redirect_uri requires either client_id or id_token_hint"
            )
        if not url_allowed(redirect_uri, client.get("allowed_logout_urls", [])):
            raise _not_allowed("post_logout_redirect_uri", redirect_uri)
        target = url_with_params(redirect_uri, {"state": q.get("state")})
    return _logout(request, tenant, client=client, sid=sid, target=target)


class EndSessionRoute(Route):
    """``GET <end_session_path>``: matches the path the tenant's configuration names at the time of
    the request, so the test control can move logout without rebuilding the application."""

    def __init__(self, tenant: Tenant) -> None:
        super().__init__("/{end_session_path:path}", oidc_logout, methods=["GET"], name="end_session")
        self.tenant = tenant

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope.get("type") == "http" and scope.get("path") == self.tenant.config.end_session_path:
            return super().matches(scope)
        return Match.NONE, {}


def end_session_path_problem(path: object, routes: Sequence[BaseRoute]) -> str | None:
    """Why logout cannot move to ``path``, or None: it must be a plain path that no other route of
    the emulator answers (else one of the two would silently shadow the other)."""
    problem = oidc_value_problem("end_session_path", path)
    if problem:
        return problem
    scope = {"type": "http", "method": "GET", "path": path, "root_path": ""}
    for route in routes:
        if not isinstance(route, EndSessionRoute) and route.matches(scope)[0] != Match.NONE:
            return f"{path} is already served by the emulator"
    return None
