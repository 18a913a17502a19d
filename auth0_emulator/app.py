"""The emulator's ASGI application."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse

from . import authn, delivery, management
from .authn.oidc.logout import end_session_path_problem
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
    routes = [*authn.routes(tenant), *management.routes(tenant)]
    problem = end_session_path_problem(tenant.config.end_session_path, routes)
    if problem:  # before seeding, so a refused start leaves the data file alone
        raise ValueError(f"end_session_path: {problem}")
    tenant_seed(tenant)
    dispatcher = delivery.install(tenant)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Event and log stream deliveries run beside the handlers for the life of the server.
        dispatcher.start()
        yield
        await dispatcher.stop()

    app = Starlette(
        routes=routes,
        exception_handlers={Auth0Error: _auth0_error, Exception: _unexpected_error},
        lifespan=lifespan,
    )
    app.state.tenant = tenant
    management.install(app, tenant)
    return app
