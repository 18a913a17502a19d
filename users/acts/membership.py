"""What the acts that make someone a member share (invitations, invitations to join, lifting a block here):
finding the account of an email in a connection, whether an account holds the metadata already, and adding the
membership together with its record in the directory. What a membership is in each mode is
``organizations.membership``'s."""

from __future__ import annotations

from django.db import transaction

from auth0_gateway import Auth0Gateway, Auth0User
from organizations.membership import membership_of, user_connections
from organizations.models import Organization
from users.directory.mirror import directory_user_write_through


def connection_user(auth0: Auth0Gateway, connection: str, email: str) -> Auth0User | None:
    """The account with ``email`` in ``connection`` (Auth0's answer, immediately consistent), if any."""
    return next((u for u in auth0.users_by_email(email=email) if connection in user_connections(u)), None)


def metadata_held(user: Auth0User, metadata: dict[str, dict]) -> bool:
    """Whether the user's metadata already has every first-level value the merge would set (None: absent)."""
    return all((user.get(target) or {}).get(key) == value
               for target, values in metadata.items() for key, value in (values or {}).items())


def membership_add(auth0: Auth0Gateway, organization: Organization, user: Auth0User, *, metadata: dict | None = None,
                   member: bool = False, auth0_organization_ids: list[str] | None = None) -> Auth0User:
    """Make ``user`` a member of ``organization`` in Auth0 (``member``: this run has just seen that they are,
    so nothing to add), give them ``metadata`` unless they hold it already, and write them through to the
    directory: all in one transaction, so that in the shared mode the person's organizations list stays
    locked (``organizations.membership.organizations_list_lock``) until the directory has recorded it, and
    two organizations' acts on one person reach the directory in the order Auth0 took them.
    ``auth0_organization_ids``: the person's Auth0 Organizations once added, when the caller knows them
    (read otherwise, in the mode that has them). Returns the user as Auth0 has them."""
    membership = membership_of(organization)
    with transaction.atomic():
        if not member:
            user = membership.add(auth0, user)
        if metadata and not metadata_held(user, metadata):
            user = auth0.user_update(user_id=user["user_id"], user_metadata=metadata.get("user_metadata"),
                                     app_metadata=metadata.get("app_metadata"))
        if membership.in_auth0_organizations and auth0_organization_ids is None:
            auth0_organization_ids = membership.auth0_organization_ids(auth0, user)
        directory_user_write_through(user, auth0_organization_ids=auth0_organization_ids
                                     if membership.in_auth0_organizations else None)
    return user
