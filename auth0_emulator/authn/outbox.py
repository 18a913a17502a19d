"""The outbox: every email the tenant would have sent (password reset, verification, invitations,
blocked account), as JSON for tests and as a page a developer can click through.

``GET /emulator/outbox`` and ``/emulator/outbox/page`` are always on (the emulator is a development
tool and has no real mail server); ``DELETE /emulator/outbox`` only with ``--test-controls``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..directory.outbox import outbox_list
from .errors import OAuthError, json_endpoint, page_endpoint
from .pages.render import page_render
from .params import tenant_of


@json_endpoint
async def outbox_get(request: Request) -> Response:
    tenant = tenant_of(request)
    to = request.query_params.get("to") or None
    return JSONResponse(outbox_list(tenant, to=to), headers={"Cache-Control": "no-store"})


@page_endpoint
async def outbox_page(request: Request) -> Response:
    tenant = tenant_of(request)
    to = request.query_params.get("to") or None
    return page_render(
        "outbox.html",
        {
            "messages": outbox_list(tenant, to=to),
            "to": to,
            "action": "/emulator/outbox/page",
        },
    )


@json_endpoint
async def outbox_delete(request: Request) -> Response:
    tenant = tenant_of(request)
    if not tenant.config.test_controls:
        raise OAuthError(404, "not_found", "Test controls are disabled (start the emulator with --test-controls)")
    # The outbox table belongs to directory/outbox.py, which has no clear function; empty it whole.
    tenant.store.execute("DELETE FROM outbox")
    return Response(status_code=204)
