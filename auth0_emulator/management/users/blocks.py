"""``/api/v2/user-blocks``: brute-force blocks (not the ``blocked`` flag), read and cleared."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...directory.brute_force import login_blocks_list, login_failures_clear, user_identifiers
from ...directory.users import user_get
from ...tenant import Tenant
from ..apilog import api_write
from ..auth import require
from ..common import no_content, ok, query_str, tenant_of
from .users import user_not_found


def _user_identifiers(request: Request) -> list[str]:
    user = user_get(tenant_of(request), request.path_params["id"])
    if user is None:
        raise user_not_found()
    return user_identifiers(user)


async def blocks_get(request: Request) -> Response:
    require(request, "read:users")
    return ok({"blocked_for": login_blocks_list(tenant_of(request), _user_identifiers(request))})


@api_write("Unblock a User")
async def blocks_delete(request: Request) -> Response:
    require(request, "update:users")
    tenant = tenant_of(request)
    for identifier in _user_identifiers(request):
        login_failures_clear(tenant, identifier=identifier)
    return no_content()


async def blocks_by_identifier_get(request: Request) -> Response:
    require(request, "read:users")
    identifier = query_str(request, "identifier", required=True) or ""
    return ok({"blocked_for": login_blocks_list(tenant_of(request), [identifier])})


@api_write("Unblock by identifier")
async def blocks_by_identifier_delete(request: Request) -> Response:
    require(request, "update:users")
    identifier = query_str(request, "identifier", required=True) or ""
    login_failures_clear(tenant_of(request), identifier=identifier)
    return no_content()


def routes(tenant: Tenant) -> list[BaseRoute]:
    return [
        Route("/api/v2/user-blocks", blocks_by_identifier_get, methods=["GET"]),
        Route("/api/v2/user-blocks", blocks_by_identifier_delete, methods=["DELETE"]),
        Route("/api/v2/user-blocks/{id}", blocks_get, methods=["GET"]),
        Route("/api/v2/user-blocks/{id}", blocks_delete, methods=["DELETE"]),
    ]
