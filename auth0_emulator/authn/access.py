"""Who may log in where: the connections a login transaction allows, and whether a user fits it."""

from __future__ import annotations

from ..directory.connections import connection_get_by_name, connection_list
from ..directory.organizations import organization_connection_names, organization_member_check
from ..directory.users import user_connection
from ..tenant import Tenant
from .invitations import invitation_connection, invitation_find


def login_connections(tenant: Tenant, txn: dict) -> list[str]:
    """Database connections the login form tries, in order: the one asked for with ``connection``,
    else the organization's enabled connections, else every database connection enabled for the
    application (Auth0's default login for a client)."""
    if txn.get("connection"):
        return [txn["connection"]]
    if txn.get("org_id"):
        names = organization_connection_names(tenant, txn["org_id"])
        candidates = [connection_get_by_name(tenant, n) for n in names]
    else:
        candidates = connection_list(tenant)
    return [
        c["name"]
        for c in candidates
        if c and c.get("strategy", "auth0") == "auth0" and txn["client_id"] in c.get("enabled_clients", [])
    ]


def user_may_use(tenant: Tenant, user: dict, txn: dict) -> tuple[str, str] | None:
    """None if ``user`` may complete ``txn``, else ``(reason, Auth0's description)``."""
    if user.get("blocked"):
        return "blocked", "user is blocked"
    if user_connection(user) not in login_connections(tenant, txn):
        return "connection", "the user's connection is not allowed for this login"
    if txn.get("org_id") and not organization_member_check(tenant, txn["org_id"], user["user_id"]):
        return "organization", f"user {user['user_id']} is not part of the {txn['org_id']} organization"
    return None


def signup_target(tenant: Tenant, params: dict) -> tuple[str | None, dict | None]:
    """``(connection name, invitation)`` for a signup in this transaction; no connection = no signup."""
    invitation = invitation_find(tenant, params.get("invitation") or "", params.get("org_id") or "")
    if invitation is not None:
        return invitation_connection(tenant, invitation), invitation
    for name in login_connections(tenant, params):
        connection = connection_get_by_name(tenant, name) or {}
        if not (connection.get("options") or {}).get("disable_signup"):
            return name, None
    return None, None


def invited_email(invitation: dict | None) -> str | None:
    return (invitation or {}).get("invitee", {}).get("email") if invitation else None
