"""A user's sessions and refresh tokens: ``/api/v2/users/{id}/sessions`` and
``/api/v2/users/{id}/refresh-tokens``, each listed (``GET``) and ended all at once (``DELETE``), which is
how a "sign out everywhere" reaches Auth0.

Storage is the Authentication API's own: the SSO sessions its hosted login page opens
(``authn.sessions``) and the refresh tokens ``/oauth/token`` hands out (``authn.oidc.codes``), so what these
operations end really stops working: ``/authorize`` asks for the password again, a refresh token is
refused with ``invalid_grant``.

What the spec says (``tests/contract/spec/``): the listings answer ``{sessions|tokens: [...], next}``
with checkpoint paging (``from``, ``take`` 1 to 100, default 50; ``include_totals`` is accepted and
changes nothing, the schema being that object alone); the deletions answer ``202`` with no body (the
request is accepted); an unknown user is Auth0's 404; each operation demands its scope
(``read:sessions``, ``delete:sessions``, ``read:refresh_tokens``, ``delete:refresh_tokens``). What the
emulator chooses where the spec is silent: deleting sessions leaves refresh tokens working and deleting
refresh tokens leaves sessions open (Auth0 documents the two as separate resources; a caller that wants
both gone calls both), and a deletion is logged as a Management API operation on the user (``sapi``).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...authn import sessions
from ...authn.clients import userinfo_audience
from ...authn.oidc import codes
from ...directory.formats import now_iso
from ...directory.users import user_get
from ...tenant import Tenant
from ..apilog import api_write
from ..auth import require
from ..common import checkpointed, ok, query_bool, tenant_of
from .users import user_not_found

SESSIONS = "/api/v2/users/{id}/sessions"
REFRESH_TOKENS = "/api/v2/users/{id}/refresh-tokens"
FROM = "An optional cursor from which to start the selection (exclusive)."
# Auth0's default session policy: an idle session ends after 3 days, any session after 7.
IDLE_LIFETIME = 3 * 86400


def _user_or_404(request: Request) -> dict:
    user = user_get(tenant_of(request), request.path_params["id"])
    if user is None:
        raise user_not_found()
    return user


def session_view(row: dict) -> dict[str, Any]:
    """A session as ``SessionResponseContent`` shows it."""
    created = now_iso(row["created_at"])
    view: dict[str, Any] = {
        "id": row["sid"],
        "user_id": row["user_id"],
        "created_at": created,
        "updated_at": created,
        "authenticated_at": now_iso(row["auth_time"]),
        "last_interacted_at": created,
        "idle_expires_at": now_iso(min(row["created_at"] + IDLE_LIFETIME, row["expires_at"])),
        "expires_at": now_iso(row["expires_at"]),
        "authentication": {"methods": [{"name": "pwd", "timestamp": now_iso(row["auth_time"])}]},
        "clients": [{"client_id": row["client_id"]}] if row.get("client_id") else [],
    }
    device = {key: row[column] for key, column in (("initial_ip", "ip"), ("last_ip", "ip"),
                                                   ("initial_user_agent", "user_agent"),
                                                   ("last_user_agent", "user_agent")) if row.get(column)}
    if device:
        view["device"] = device
    return view


def refresh_token_view(tenant: Tenant, grant: dict) -> dict[str, Any]:
    """A refresh token as ``RefreshTokenResponseContent`` shows it (never the token itself)."""
    return {
        "id": grant["id"],
        "user_id": grant["user_id"],
        "created_at": now_iso(grant["created_at"]),
        "client_id": grant["client_id"],
        "session_id": grant.get("sid"),
        "rotating": False,
        "resource_servers": [{"audience": grant.get("audience") or userinfo_audience(tenant),
                              "scopes": grant.get("scope", "")}],
    }


def _listing(request: Request, items: list[dict], key: str) -> Response:
    query_bool(request, "include_totals", True)  # validated; the answer is the same object either way
    return ok(checkpointed(request, items, key, "id", from_description=FROM))


async def sessions_list(request: Request) -> Response:
    require(request, "read:sessions")
    user = _user_or_404(request)
    live = sessions.sessions_of_user(tenant_of(request), user["user_id"])
    return _listing(request, [session_view(row) for row in live], "sessions")


@api_write("Delete Sessions for User")
async def sessions_delete(request: Request) -> Response:
    require(request, "delete:sessions")
    user = _user_or_404(request)
    sessions.sessions_end_for_user(tenant_of(request), user["user_id"])
    return Response(status_code=202)


async def refresh_tokens_list(request: Request) -> Response:
    require(request, "read:refresh_tokens")
    user = _user_or_404(request)
    tenant = tenant_of(request)
    tokens = codes.refresh_tokens_of_user(tenant, user["user_id"])
    return _listing(request, [refresh_token_view(tenant, grant) for grant in tokens], "tokens")


@api_write("Delete Refresh Tokens for a User")
async def refresh_tokens_delete(request: Request) -> Response:
    require(request, "delete:refresh_tokens")
    user = _user_or_404(request)
    codes.refresh_tokens_revoke_for_user(tenant_of(request), user["user_id"])
    return Response(status_code=202)


def routes(tenant: Tenant) -> list[BaseRoute]:
    return [
        Route(SESSIONS, sessions_list, methods=["GET"]),
        Route(SESSIONS, sessions_delete, methods=["DELETE"]),
        Route(REFRESH_TOKENS, refresh_tokens_list, methods=["GET"]),
        Route(REFRESH_TOKENS, refresh_tokens_delete, methods=["DELETE"]),
    ]
