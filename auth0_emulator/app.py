"""The emulator's ASGI application."""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse

from . import authn, management
from .config import EmulatorConfig
from .errors import Auth0Error
from .seed import tenant_seed
from .tenant import Tenant

log = logging.getLogger("auth0_emulator")


async def _auth0_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Auth0Error)
    return exc.response()


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    # Never a stack trace in a response: log it, answer as Auth0 does for its own failures.
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return Auth0Error(500, "Internal error", "internal_error").response()


def create_app(config: EmulatorConfig | None = None, tenant: Tenant | None = None) -> Starlette:
    tenant = tenant or Tenant(config or EmulatorConfig())
    tenant_seed(tenant)
    routes = [*authn.routes(tenant), *management.routes(tenant)]
    app = Starlette(
        routes=routes,
        exception_handlers={Auth0Error: _auth0_error, Exception: _unexpected_error},
    )
    app.state.tenant = tenant
    management.install(app, tenant)
    return app
