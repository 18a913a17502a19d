"""Making an Auth0 user a member of an organization, by its membership mode (DESIGN.md section 2): what an
invitation does for an account it created, what accepting an invitation to join does, and what lifting a
block in an organization does. (Ending a membership is ``users.acts.removal.membership_end``.)"""

from __future__ import annotations

from auth0_gateway import Auth0Gateway, Auth0User
from organizations.membership import user_connections
from organizations.models import MembershipMode, Organization


def connection_user(auth0: Auth0Gateway, connection: str, email: str) -> Auth0User | None:
    """The account with ``email`` in ``connection`` (Auth0's answer, immediately consistent), if any."""
    return next((u for u in auth0.users_by_email(email=email) if connection in user_connections(u)), None)


def auth0_organization_ids(auth0: Auth0Gateway, organization: Organization, user: Auth0User) -> list[str]:
    """The user's Auth0 Organizations, when the organization's membership is one (an empty list otherwise:
    the other modes need no call)."""
    if organization.membership_mode != MembershipMode.AUTH0_ORGANIZATION:
        return []
    return [o["id"] for o in auth0.user_organizations(user_id=user["user_id"])]


def membership_add(auth0: Auth0Gateway, organization: Organization, user: Auth0User) -> Auth0User:
    """Make ``user`` a member by the organization's mode; idempotent (adding twice changes nothing)."""
    if organization.membership_mode == MembershipMode.SHARED_CONNECTION:
        held = list((user.get("app_metadata") or {}).get("organizations") or [])
        if organization.slug not in held:
            # app_metadata merges at its first level: the list is written whole, with this slug added.
            user = auth0.user_update(user_id=user["user_id"],
                                     app_metadata={"organizations": [*held, organization.slug]})
    elif organization.membership_mode == MembershipMode.AUTH0_ORGANIZATION:
        auth0.organization_members_add(organization_id=organization.auth0_organization_id,
                                       user_ids=[user["user_id"]])
    return user


def metadata_held(user: Auth0User, metadata: dict[str, dict]) -> bool:
    """Whether the user's metadata already has every first-level value the merge would set (None: absent)."""
    return all((user.get(target) or {}).get(key) == value
               for target, values in metadata.items() for key, value in (values or {}).items())
