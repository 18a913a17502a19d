"""Whether an Auth0 user belongs to an organization, by its membership mode (DESIGN.md section 2)."""

from __future__ import annotations

from collections.abc import Iterable

from organizations.models import MembershipMode, Organization


def user_connections(user: dict) -> set[str]:
    return {identity.get("connection", "") for identity in user.get("identities") or []}


def user_belongs(organization: Organization, user: dict, auth0_organization_ids: Iterable[str] = ()) -> bool:
    """``user`` is Auth0's user JSON; ``auth0_organization_ids`` the user's Auth0 Organizations (mode 3)."""
    if organization.membership_mode == MembershipMode.ISOLATED_CONNECTION:
        return organization.connection_name in user_connections(user)
    if organization.membership_mode == MembershipMode.SHARED_CONNECTION:
        orgs = (user.get("app_metadata") or {}).get("organizations") or []
        return organization.connection_name in user_connections(user) and organization.slug in orgs
    return bool(organization.auth0_organization_id) and organization.auth0_organization_id in set(
        auth0_organization_ids
    )
