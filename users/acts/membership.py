"""What the acts that make someone a member share (invitations, invitations to join, lifting a block here):
finding the account of an email in a connection, and whether an account holds the metadata already. What a
membership is in each mode is ``organizations.membership``'s."""

from __future__ import annotations

from auth0_gateway import Auth0Gateway, Auth0User
from organizations.membership import user_connections


def connection_user(auth0: Auth0Gateway, connection: str, email: str) -> Auth0User | None:
    """The account with ``email`` in ``connection`` (Auth0's answer, immediately consistent), if any."""
    return next((u for u in auth0.users_by_email(email=email) if connection in user_connections(u)), None)


def metadata_held(user: Auth0User, metadata: dict[str, dict]) -> bool:
    """Whether the user's metadata already has every first-level value the merge would set (None: absent)."""
    return all((user.get(target) or {}).get(key) == value
               for target, values in metadata.items() for key, value in (values or {}).items())
