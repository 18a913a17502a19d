"""The demo tenant's three organizations, one per membership mode, as portal rows connected to their
Auth0 side, and users made in them through the gateway: for tests of acts on users against an emulator
of their own (``auth0_on_changing_emulator``), since they change the demo's users and members."""

from __future__ import annotations

import uuid

from auth0_gateway import Auth0User, gateway
from organizations.models import MembershipMode, Organization
from organizations.selectors import principal_for_user_id
from portal.principal import Principal
from tests.factories import OrganizationFactory, RoleFactory
from users.acts.invite import password_random
from users.directory.mirror import directory_user_write_through

SHARED = "Username-Password-Authentication"


def organizations_per_mode() -> dict[str, Organization]:
    globex = gateway().organization_get_by_name(name="globex")
    return {
        "acme": OrganizationFactory(slug="acme", display_name="Acme", connection_name="acme-users",
                                    membership_mode=MembershipMode.ISOLATED_CONNECTION, auth0_connection_id="con_a"),
        "initech": OrganizationFactory(slug="initech", display_name="Initech", connection_name=SHARED,
                                       membership_mode=MembershipMode.SHARED_CONNECTION, auth0_connection_id="con_s"),
        "globex": OrganizationFactory(slug="globex", display_name="Globex", connection_name=SHARED,
                                      membership_mode=MembershipMode.AUTH0_ORGANIZATION, auth0_connection_id="con_s",
                                      auth0_organization_id=globex["id"]),
    }


def admin_of(organization: Organization, name: str = "Boss") -> Principal:
    """A new admin of ``organization`` (a portal role only: no Auth0 user behind it)."""
    role = RoleFactory(organization=organization, role="admin", email=f"boss-{uuid.uuid4().hex[:6]}@example.test")
    return principal_for_user_id(role.user_id, name)


def member_create(organization: Organization, *, also: tuple[str, ...] = (), password: str | None = None,
                  name: str | None = None) -> Auth0User:
    """A new user of ``organization`` in Auth0 (of the shared-mode organizations ``also`` too), mirrored."""
    email = f"u-{uuid.uuid4().hex[:8]}@{organization.slug}.test"
    shared = organization.membership_mode == MembershipMode.SHARED_CONNECTION
    user = gateway().user_create(
        connection=organization.connection_name, email=email, password=password or password_random(), name=name,
        app_metadata={"organizations": [organization.slug, *also] if shared else list(also)} if (shared or also)
        else None)
    auth0_ids = None
    if organization.membership_mode == MembershipMode.AUTH0_ORGANIZATION:
        gateway().organization_members_add(organization_id=organization.auth0_organization_id,
                                           user_ids=[user["user_id"]])
        auth0_ids = [organization.auth0_organization_id]
    directory_user_write_through(user, auth0_organization_ids=auth0_ids)
    return user
