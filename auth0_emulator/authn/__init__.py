"""Authentication API: OIDC discovery, JWKS, /authorize, /oauth/token, userinfo, logout, …"""

from __future__ import annotations

from starlette.routing import BaseRoute

from ..tenant import Tenant


def routes(tenant: Tenant) -> list[BaseRoute]:
    return []
