"""``GET /``: what this server is, for a developer who opens the emulator's URL in a browser.

It says plainly that this is a local stand-in for an Auth0 tenant (not Auth0), where sign-in really
starts (at the application, which sends the browser here), which applications the tenant has, and
links to the pages and documents a developer looks for: the outbox, OIDC discovery and the JWKS.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..errors import page_endpoint
from ..params import tenant_of
from .render import page_render

# Auth0's application types as its dashboard names them.
APP_TYPES = {
    "regular_web": "Regular web application",
    "non_interactive": "Machine to machine",
    "spa": "Single page application",
    "native": "Native application",
}


def _applications(clients: list[dict]) -> list[dict]:
    """The tenant's applications as the page lists them (never their secrets)."""
    return [
        {
            "client_id": c["client_id"],
            "name": c.get("name") or c["client_id"],
            "kind": APP_TYPES.get(c.get("app_type") or "", c.get("app_type") or ""),
            "login_uri": c.get("initiate_login_uri"),
        }
        for c in sorted(clients, key=lambda c: c["client_id"])
    ]


@page_endpoint
async def index_page(request: Request) -> Response:
    tenant = tenant_of(request)
    config = tenant.config
    return page_render(
        "index.html",
        {
            "applications": _applications(tenant.store.client_list()),
            "issuer": config.issuer,
            "management_api": config.management_audience,
            "end_session_path": config.end_session_path,
            "profile_plain": config.claims_in == "userinfo",
        },
    )
