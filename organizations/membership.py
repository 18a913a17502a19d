"""Whether an Auth0 user belongs to an organization, by its membership mode (DESIGN.md section 2).

This is the one place that branches on the membership mode to decide who is a member.
"""

from __future__ import annotations

from collections.abc import Iterable

from auth0_gateway import Auth0User, gateway
from organizations.models import MembershipMode, Organization
from portal.faults import PermanentFault


def user_connections(user: Auth0User) -> set[str]:
    return {identity.get("connection", "") for identity in user.get("identities") or []}


def user_belongs(organization: Organization, user: Auth0User, auth0_organization_ids: Iterable[str] = ()) -> bool:
    """``user`` is Auth0's user JSON; ``auth0_organization_ids`` the user's Auth0 Organizations (mode 3)."""
    if organization.membership_mode == MembershipMode.ISOLATED_CONNECTION:
        return organization.connection_name in user_connections(user)
    if organization.membership_mode == MembershipMode.SHARED_CONNECTION:
        orgs = (user.get("app_metadata") or {}).get("organizations") or []
        return organization.connection_name in user_connections(user) and organization.slug in orgs
    return bool(organization.auth0_organization_id) and organization.auth0_organization_id in set(
        auth0_organization_ids
    )


def organization_member_by_email(organization: Organization, email: str) -> Auth0User | None:
    """The organization's one user with this email, looked up in Auth0 (immediately consistent);
    None if no user of the organization has it. Two members with one email is a permanent fault
    (:class:`~portal.faults.PermanentFault`): the portal cannot choose between them."""
    auth0 = gateway()
    members = []
    for user in auth0.users_by_email(email=email):
        auth0_organization_ids: list[str] = []
        if organization.membership_mode == MembershipMode.AUTH0_ORGANIZATION:
            auth0_organization_ids = [o["id"] for o in auth0.user_organizations(user_id=user["user_id"])]
        if user_belongs(organization, user, auth0_organization_ids):
            members.append(user)
    if len(members) > 1:
        raise PermanentFault(f"{len(members)} users of {organization.display_name} have the email {email}.")
    return members[0] if members else None
