"""What a new data file is filled with: the tenant's applications, and then a demo or synthetic tenant.

The development credentials below are public by design (the README shows them); they exist only in
the emulator and are never valid against a real tenant.
"""

from __future__ import annotations

from .tenant import Tenant

PORTAL_WEB_CLIENT_ID = "portal-web-dev"
PORTAL_WEB_CLIENT_SECRET = "portal-web-dev-secret"  # noqa: S105 - emulator development credential
PORTAL_M2M_CLIENT_ID = "portal-m2m-dev"
PORTAL_M2M_CLIENT_SECRET = "portal-m2m-dev-secret"  # noqa: S105 - emulator development credential
TOOL_CLIENT_ID = "portal-tool-dev"
TOOL_CLIENT_SECRET = "portal-tool-dev-secret"  # noqa: S105 - emulator development credential
PORTAL_API_AUDIENCE = "https://portal.local/api/"
# The namespaced claim an Auth0 Action would add to ID tokens with the user's organizations.
ORG_CLAIM = "https://portal.local/org"

MANAGEMENT_SCOPES = [
    "read:users", "update:users", "delete:users", "create:users",
    "read:users_app_metadata", "update:users_app_metadata", "create:users_app_metadata",
    "create:user_tickets", "read:logs", "read:logs_users",
    "read:connections", "create:connections", "update:connections",
    "read:organizations", "create:organizations", "update:organizations",
    "read:organization_members", "create:organization_members", "delete:organization_members",
    "read:organization_invitations", "create:organization_invitations", "delete:organization_invitations",
]
PORTAL_API_SCOPES = ["users:read", "users:write", "audit:read"]

PORTAL_ORIGINS = ["http://localhost:8000", "http://127.0.0.1:8000"]


def clients_seed(tenant: Tenant) -> None:
    """The applications every seed has: the portal's web client, its M2M client, a tool client."""
    store = tenant.store
    store.client_put({
        "client_id": PORTAL_WEB_CLIENT_ID,
        "client_secret": PORTAL_WEB_CLIENT_SECRET,
        "name": "Delegated administration portal",
        "app_type": "regular_web",
        "token_endpoint_auth_method": "client_secret_post",
        "grant_types": ["authorization_code", "refresh_token"],
        "callbacks": [f"{o}/accounts/oidc/auth0/login/callback/" for o in PORTAL_ORIGINS],
        "allowed_logout_urls": [f"{o}/" for o in PORTAL_ORIGINS],
        "grants": {},
    })
    store.client_put({
        "client_id": PORTAL_M2M_CLIENT_ID,
        "client_secret": PORTAL_M2M_CLIENT_SECRET,
        "name": "Delegated administration portal (Management API)",
        "app_type": "non_interactive",
        "token_endpoint_auth_method": "client_secret_post",
        "grant_types": ["client_credentials"],
        "callbacks": [],
        "allowed_logout_urls": [],
        "grants": {tenant.config.management_audience: MANAGEMENT_SCOPES},
    })
    store.client_put({
        "client_id": TOOL_CLIENT_ID,
        "client_secret": TOOL_CLIENT_SECRET,
        "name": "Internal tool (portal REST API)",
        "app_type": "non_interactive",
        "token_endpoint_auth_method": "client_secret_post",
        "grant_types": ["client_credentials"],
        "callbacks": [],
        "allowed_logout_urls": [],
        "grants": {PORTAL_API_AUDIENCE: PORTAL_API_SCOPES},
    })


def tenant_seed(tenant: Tenant) -> None:
    """Fill an empty data file according to ``config.seed``; a seeded file is left alone."""
    if tenant.store.kv_get("seeded"):
        return
    with tenant.store.transaction():
        clients_seed(tenant)
        tenant.store.kv_set("seeded", tenant.config.seed)
