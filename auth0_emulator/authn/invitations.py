"""Organization invitations at login: ``/authorize?invitation=<ticket>&organization=<org>``.

The invitation (created through the Management API) is looked up by its ticket; when the person who
logs in or signs up has the invited email, they become a member of the organization, the invitation's
metadata is applied to a new account, and the invitation is used up (deleted), as in Auth0.
"""

from __future__ import annotations

import time
from datetime import datetime

from ..directory.connections import connection_get, connection_get_by_name
from ..directory.organizations import (
    invitation_delete,
    invitation_get_by_ticket,
    organization_connection_names,
    organization_members_add,
)
from ..tenant import Tenant


def invitation_find(tenant: Tenant, ticket: str, org_id: str) -> dict | None:
    """The live invitation behind ``ticket`` for ``org_id``, or None (unknown, other org, expired)."""
    invitation = invitation_get_by_ticket(tenant, ticket) if ticket else None
    if invitation is None or invitation.get("organization_id") != org_id:
        return None
    expires_at = invitation.get("expires_at")
    if expires_at:
        try:
            if datetime.fromisoformat(expires_at).timestamp() < time.time():
                return None
        except ValueError:
            return None
    return invitation


def invitation_matches(invitation: dict, user: dict) -> bool:
    invited = (invitation.get("invitee") or {}).get("email", "")
    return bool(invited) and invited.lower() == str(user.get("email", "")).lower()


def invitation_accept(tenant: Tenant, invitation: dict, user: dict) -> None:
    organization_members_add(tenant, invitation["organization_id"], [user["user_id"]])
    invitation_delete(tenant, invitation["organization_id"], invitation["id"])


def invitation_connection(tenant: Tenant, invitation: dict) -> str | None:
    """The database connection a new account for this invitation is created in."""
    if invitation.get("connection_id"):
        connection = connection_get(tenant, invitation["connection_id"])
        return connection["name"] if connection else None
    for name in organization_connection_names(tenant, invitation["organization_id"]):
        connection = connection_get_by_name(tenant, name)
        if connection and connection.get("strategy", "auth0") == "auth0":
            return name
    return None
