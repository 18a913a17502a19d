"""How people belong to an organization, one class per membership mode (DESIGN.md section 2).

This is the one place that knows what each mode means: who is a member, what making someone a member or
ending it does in Auth0, what an account created for the organization carries, what provisioning the
organization creates, and how sign-in is pointed at it. Every act calls :func:`membership_of` and asks;
none branches on the mode itself, so a fourth mode is one more class here.

- **Isolated connection**: a member is a user of the organization's own database connection. They belong
  to it by that connection alone, so they cannot leave it (only be deleted), and its admins may delete them.
- **Shared connection**: a member is a user of the tenant's shared connection whose
  ``app_metadata.organizations`` holds the organization's slug. That list is one value in Auth0 that every
  organization of the person writes whole, so each write holds the person's row of
  :class:`~organizations.models.OrganizationsListLock` while it reads, writes and checks the list
  (:func:`organizations_list_lock`): two organizations adding or removing one person at once cannot drop
  each other's slug.
- **Auth0 Organization**: a member is a member of the organization's Auth0 Organization; knowing it takes
  a read of the user's organizations.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import ClassVar

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from auth0_gateway import Auth0Conflict, Auth0Gateway, Auth0NotFound, Auth0User, gateway
from organizations.models import MembershipMode, Organization, OrganizationsListLock
from portal.faults import PermanentFault, TransientFault


def user_connections(user: Auth0User) -> set[str]:
    return {identity.get("connection", "") for identity in user.get("identities") or []}


def _slugs_held(user: Auth0User) -> list[str]:
    return list((user.get("app_metadata") or {}).get("organizations") or [])


def organizations_list_lock(user_id: str) -> None:
    """Hold ``user_id``'s organizations list until the caller's transaction ends: any other act writing the
    same person's list waits here until then. An UPDATE of the person's row takes the lock (on SQLite, the
    database's write lock), so it holds on every database the portal runs on; the row is made on first use.
    Callers that record the list in the directory do so inside the same transaction, so the directory
    records the writes in the order Auth0 took them."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("organizations_list_lock holds until the transaction ends: call it inside one.")
    now = timezone.now()
    if OrganizationsListLock.objects.filter(user_id=user_id).update(taken_at=now):
        return
    try:
        with transaction.atomic():
            OrganizationsListLock.objects.create(user_id=user_id, taken_at=now)
    except IntegrityError:
        # Made at the same instant by another act, which held it until it committed: now it is ours.
        OrganizationsListLock.objects.filter(user_id=user_id).update(taken_at=now)


def organizations_list_write(auth0: Auth0Gateway, user_id: str, slug: str, *, held: bool) -> Auth0User:
    """Make ``user_id``'s organizations list hold ``slug`` (``held``) or not, keeping every other slug:
    under the person's lock, read the list as Auth0 has it now, write it whole (app_metadata merges at its
    first level only) and read it back. Idempotent. A list that does not say what was written (something
    outside the portal wrote it meanwhile) is a passing fault: the operation runs again and starts over from
    what Auth0 then holds. Returns the user as Auth0 has them."""
    with transaction.atomic():
        organizations_list_lock(user_id)
        user = auth0.user_get(user_id=user_id)
        slugs = _slugs_held(user)
        if (slug in slugs) == held:
            return user
        wanted = [*slugs, slug] if held else [s for s in slugs if s != slug]
        auth0.user_update(user_id=user_id, app_metadata={"organizations": wanted})
        user = auth0.user_get(user_id=user_id)
        if (slug in _slugs_held(user)) != held:
            raise TransientFault(f"The organizations of {user_id} changed in Auth0 while the portal wrote them: "
                                 "trying again from what Auth0 holds now.")
        return user


class Membership:
    """The rules of one membership mode for one organization (a subclass per mode)."""

    mode: ClassVar[str]
    # People belong by the organization's own connection: they cannot be removed from it (only deleted), its
    # admins may delete them, and blocking one "here only" means nothing.
    by_own_connection: ClassVar[bool] = False
    # Membership is an Auth0 Organization's: knowing it takes a call per user (user_organizations).
    in_auth0_organizations: ClassVar[bool] = False

    def __init__(self, organization: Organization) -> None:
        self.organization = organization

    @staticmethod
    def connection_default(slug: str) -> str:
        """The connection an organization of this mode signs in through, unless its creator names another."""
        return settings.AUTH0_SHARED_CONNECTION

    def belongs(self, user: Auth0User, auth0_organization_ids: Iterable[str] = ()) -> bool:
        """Whether ``user`` (Auth0's user JSON) is a member; ``auth0_organization_ids``: the user's Auth0
        Organizations (read only when :attr:`in_auth0_organizations`)."""
        raise NotImplementedError

    def auth0_organization_ids(self, auth0: Auth0Gateway, user: Auth0User) -> list[str]:
        """The user's Auth0 Organizations when this mode needs them ([] without a call otherwise)."""
        return []

    def created_app_metadata(self) -> dict[str, list[str]]:
        """What an account the portal creates for the organization carries in app_metadata to be a member."""
        return {}

    def add(self, auth0: Auth0Gateway, user: Auth0User) -> Auth0User:
        """Make ``user`` a member in Auth0; idempotent (adding twice changes nothing). Returns the user as
        Auth0 now has them."""
        return user

    def end(self, auth0: Auth0Gateway, user: Auth0User) -> tuple[Auth0User, list[str] | None]:
        """End ``user``'s membership in Auth0; idempotent. Returns the user as Auth0 now has them and, when
        this mode reads them, the Auth0 Organizations they remain in (for the directory's write-through)."""
        raise PermanentFault(f"Users of {self.organization.display_name} belong to it by its own connection: "
                             "they cannot be removed from it, only deleted.")

    def other_organizations(self, auth0: Auth0Gateway, user: Auth0User) -> set[str]:
        """The other organizations ``user`` belongs to by Auth0's data (slugs or Auth0 Organization ids):
        what keeps an invitation's revocation from deleting an account someone else also uses."""
        others = set(_slugs_held(user)) - {self.organization.slug}
        others |= {o["id"] for o in auth0.user_organizations(user_id=user["user_id"])} - {
            self.organization.auth0_organization_id}
        return others

    def provision(self, auth0: Auth0Gateway) -> dict[str, str]:
        """Find or create what the organization needs in Auth0 (idempotent); returns the ids found, keyed
        ``connection_id`` and, for an Auth0 Organization, ``organization_id``."""
        try:
            connection = auth0.connection_get_by_name(name=self.organization.connection_name)
        except Auth0NotFound:
            connection = self._connection_missing(auth0)
        return {"connection_id": connection["id"], "connection": connection["name"]}

    def _connection_missing(self, auth0: Auth0Gateway) -> dict:
        raise PermanentFault(f"The shared connection “{self.organization.connection_name}” does not exist in the "
                             "tenant.")

    def authorize_params(self) -> dict[str, str]:
        """What points Auth0's sign-in at the organization (its connection, or its Auth0 Organization)."""
        return {"connection": self.organization.connection_name} if self.organization.connection_name else {}


class IsolatedConnection(Membership):
    mode = MembershipMode.ISOLATED_CONNECTION
    by_own_connection = True

    @staticmethod
    def connection_default(slug: str) -> str:
        return f"{slug}-users"

    def belongs(self, user: Auth0User, auth0_organization_ids: Iterable[str] = ()) -> bool:
        own = {self.organization.connection_name, *self.organization.sso_connection_names}
        return bool(own & user_connections(user))

    def other_organizations(self, auth0: Auth0Gateway, user: Auth0User) -> set[str]:
        return set()  # the connection is this organization's alone

    def _connection_missing(self, auth0: Auth0Gateway) -> dict:
        return auth0.connection_create_database(
            name=self.organization.connection_name, display_name=self.organization.display_name,
            enabled_clients=[settings.AUTH0_CLIENT_ID],
        )


class SharedConnection(Membership):
    mode = MembershipMode.SHARED_CONNECTION

    def belongs(self, user: Auth0User, auth0_organization_ids: Iterable[str] = ()) -> bool:
        if set(self.organization.sso_connection_names) & user_connections(user):
            return True  # signed in through the organization's own identity provider
        return (self.organization.connection_name in user_connections(user)
                and self.organization.slug in _slugs_held(user))

    def created_app_metadata(self) -> dict[str, list[str]]:
        return {"organizations": [self.organization.slug]}

    def add(self, auth0: Auth0Gateway, user: Auth0User) -> Auth0User:
        # ``user`` may have been read before another organization's act changed the list: read again, locked.
        return organizations_list_write(auth0, user["user_id"], self.organization.slug, held=True)

    def end(self, auth0: Auth0Gateway, user: Auth0User) -> tuple[Auth0User, list[str] | None]:
        return organizations_list_write(auth0, user["user_id"], self.organization.slug, held=False), None


class Auth0OrganizationMembership(Membership):
    mode = MembershipMode.AUTH0_ORGANIZATION
    in_auth0_organizations = True

    def belongs(self, user: Auth0User, auth0_organization_ids: Iterable[str] = ()) -> bool:
        own = self.organization.auth0_organization_id
        return bool(own) and own in set(auth0_organization_ids)

    def auth0_organization_ids(self, auth0: Auth0Gateway, user: Auth0User) -> list[str]:
        return [o["id"] for o in auth0.user_organizations(user_id=user["user_id"])]

    def add(self, auth0: Auth0Gateway, user: Auth0User) -> Auth0User:
        auth0.organization_members_add(organization_id=self.organization.auth0_organization_id,
                                       user_ids=[user["user_id"]])
        return user

    def end(self, auth0: Auth0Gateway, user: Auth0User) -> tuple[Auth0User, list[str] | None]:
        auth0.organization_members_remove(organization_id=self.organization.auth0_organization_id,
                                          user_ids=[user["user_id"]])
        return user, self.auth0_organization_ids(auth0, user)

    def provision(self, auth0: Auth0Gateway) -> dict[str, str]:
        connection_id = super().provision(auth0)["connection_id"]
        try:
            auth0_org = auth0.organization_get_by_name(name=self.organization.slug)
            with contextlib.suppress(Auth0Conflict):  # already enabled: linking an existing org is idempotent
                auth0.organization_connection_enable(organization_id=auth0_org["id"], connection_id=connection_id)
        except Auth0NotFound:
            auth0_org = auth0.organization_create(
                name=self.organization.slug, display_name=self.organization.display_name,
                enabled_connection_ids=[connection_id],
            )
        return {"connection_id": connection_id, "organization_id": auth0_org["id"]}

    def authorize_params(self) -> dict[str, str]:
        if self.organization.auth0_organization_id:
            return {"organization": self.organization.auth0_organization_id}
        return super().authorize_params()


MEMBERSHIPS: dict[str, type[Membership]] = {
    kind.mode: kind for kind in (IsolatedConnection, SharedConnection, Auth0OrganizationMembership)
}


def membership_class(mode: str) -> type[Membership]:
    """The rules of a membership mode, before there is an organization (a new organization's defaults)."""
    return MEMBERSHIPS[mode]


def modes_in_auth0_organizations() -> list[str]:
    """The membership modes whose members are known by reading each user's Auth0 Organizations."""
    return [kind.mode for kind in MEMBERSHIPS.values() if kind.in_auth0_organizations]


def membership_of(organization: Organization) -> Membership:
    """The rules of ``organization``'s membership mode."""
    return MEMBERSHIPS[organization.membership_mode](organization)


def user_belongs(organization: Organization, user: Auth0User, auth0_organization_ids: Iterable[str] = ()) -> bool:
    """``user`` is Auth0's user JSON; ``auth0_organization_ids`` the user's Auth0 Organizations."""
    return membership_of(organization).belongs(user, auth0_organization_ids)


def organization_member_by_email(organization: Organization, email: str) -> Auth0User | None:
    """The organization's one user with this email, looked up in Auth0 (immediately consistent);
    None if no user of the organization has it. Two members with one email is a permanent fault
    (:class:`~portal.faults.PermanentFault`): the portal cannot choose between them."""
    auth0 = gateway()
    membership = membership_of(organization)
    members = [user for user in auth0.users_by_email(email=email)
               if membership.belongs(user, membership.auth0_organization_ids(auth0, user))]
    if len(members) > 1:
        raise PermanentFault(f"{len(members)} users of {organization.display_name} have the email {email}.")
    return members[0] if members else None
