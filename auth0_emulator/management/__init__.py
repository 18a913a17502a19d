"""Management API v2 (``/api/v2/…``)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from ..tenant import Tenant


def routes(tenant: Tenant) -> list[BaseRoute]:
    return []


def install(app: Starlette, tenant: Tenant) -> None:
    """Middleware that applies to the Management API only (rate limits, fault injection)."""
