"""Management API v2 (``/api/v2/…``).

What every operation goes through sits here: ``common`` (reading requests, shaping answers), ``forms``
(form-encoded bodies), ``auth`` (bearer tokens and scopes), ``apilog`` (``sapi``/``fapi`` log events),
``ratelimit`` and ``controls`` (rate limits, test controls, fault injection). The operations: ``users/``
(users, their search, authentication methods, sessions, blocks), ``streams/`` (event and log streams),
``connections``, ``organizations``, ``roles`` (roles, users' roles, organization members' roles),
``logs``, ``tickets`` and ``jobs``.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import BaseRoute, Mount, Route

from ..errors import Auth0Error
from ..tenant import Tenant
from . import connections, controls, jobs, logs, organizations, roles, tickets
from .streams import event_streams, log_streams
from .users import authentication_methods, blocks, user_sessions, users
from .users.search import users_index


async def _unknown(request: Request) -> None:
    raise Auth0Error(404, "Not Found", None)


def routes(tenant: Tenant) -> list[BaseRoute]:
    return [
        *users.routes(tenant),
        *authentication_methods.routes(tenant),
        *user_sessions.routes(tenant),
        *logs.routes(tenant),
        *blocks.routes(tenant),
        *tickets.routes(tenant),
        *jobs.routes(tenant),
        *connections.routes(tenant),
        *organizations.routes(tenant),
        *roles.routes(tenant),
        *controls.routes(tenant),
        # The stream operations are mounted under /api/v2 rather than listed one by one: their request
        # bodies are oneOf documents (a destination, a sink) that take JSON only, with no form
        # field-type table (management.forms), and the form-body contract test
        # (tests/contract/test_mgmt_form_bodies.py) reads such a table for every top-level route,
        # which it cannot derive from a oneOf body. PUT /users/{id}/authentication-methods is here for
        # the same reason (its body is an array); the other methods of that path are listed above, and
        # a PUT on it, matching none of them, falls through to this mount. The mount ends with the
        # JSON catch-all, so anything else under /api/v2 still answers as Auth0 does.
        Mount("/api/v2", routes=[
            *event_streams.routes(tenant),
            *log_streams.routes(tenant),
            *authentication_methods.mounted_routes(tenant),
            Route("/{rest:path}", _unknown, methods=["GET", "POST", "PATCH", "PUT", "DELETE"]),
        ]),
    ]


def install(app: Starlette, tenant: Tenant) -> None:
    """Middleware that applies to the Management API only (rate limits, fault injection)."""
    tenant.extensions.setdefault("initial_config", tenant.config)
    app.add_middleware(controls.ManagementMiddleware, tenant=tenant)
    # Build the search index now rather than on the first request (100,000 users take a moment).
    users_index(tenant)
