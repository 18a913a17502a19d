"""The portal side of the demo tenant that `python -m auth0_emulator --seed demo` serves.

Emails, connections and tool client ids here are the emulator's demo data (README, "Trying every persona",
and docs/rest-api.md).
"""

from __future__ import annotations

from auth0_gateway import Auth0User, gateway
from organizations.clients.services import api_client_register
from organizations.membership import user_connections
from organizations.models import ApiClient, ApiPermission, MembershipMode, Organization
from organizations.roles import company_admin_grant, role_assign
from organizations.selectors import principal_for_user_id
from organizations.services import organization_create
from portal.faults import PermanentFault
from portal.principal import Principal

COMPANY_ADMIN_EMAIL = "admin@portal.test"
SHARED_CONNECTION = "Username-Password-Authentication"

ORGANIZATIONS = [
    {
        "slug": "acme", "display_name": "Acme", "membership_mode": MembershipMode.ISOLATED_CONNECTION,
        "connection_name": "acme-users", "domains": ["acme.test"], "accent_colour": "#b02a37",
    },
    {
        "slug": "initech", "display_name": "Initech", "membership_mode": MembershipMode.SHARED_CONNECTION,
        "connection_name": SHARED_CONNECTION, "domains": ["initech.test"], "accent_colour": "#146c43",
    },
    {
        "slug": "globex", "display_name": "Globex", "membership_mode": MembershipMode.AUTH0_ORGANIZATION,
        "connection_name": SHARED_CONNECTION, "domains": ["globex.test"], "accent_colour": "#6f42c1",
    },
]


# The emulator's two tool clients (auth0_emulator.seed), registered as the README's curl example expects:
# one company-wide with every permission, one for Acme alone that may read and act on Acme's users.
TOOL_CLIENTS = [
    {"client_id": "portal-tool-dev", "name": "Internal tool", "organizations": None,
     "permissions": list(ApiPermission.values)},
    {"client_id": "portal-tool-acme-dev", "name": "Acme help desk", "organizations": ["acme"],
     "permissions": [ApiPermission.USERS_READ, ApiPermission.USERS_WRITE, ApiPermission.AUDIT_READ,
                     ApiPermission.ORGANIZATIONS_READ]},
]


def demo_tool_clients_register(actor: Principal | None) -> list[str]:
    """Register the demo's tool clients that are not registered yet (idempotent: a registration a company
    admin has changed since is left as they made it). A client whose organizations do not exist yet waits
    for the next run. Returns the client ids registered now."""
    registered = []
    for spec in TOOL_CLIENTS:
        if ApiClient.objects.filter(client_id=spec["client_id"]).exists():
            continue
        organizations = []
        if spec["organizations"] is not None:
            organizations = list(Organization.objects.filter(slug__in=spec["organizations"]))
            if len(organizations) != len(spec["organizations"]):
                continue
        api_client_register(actor=actor, client_id=spec["client_id"], name=spec["name"],
                            all_organizations=spec["organizations"] is None, organizations=organizations,
                            permissions=spec["permissions"])
        registered.append(spec["client_id"])
    return registered


def role_emails(slug: str) -> dict[str, str]:
    return {f"admin@{slug}.test": "admin", f"viewer@{slug}.test": "viewer"}


def _user_in_connection(email: str, connection: str) -> Auth0User:
    for user in gateway().users_by_email(email=email):
        if connection in user_connections(user):
            return user
    raise PermanentFault(f"The demo user {email} is missing from {connection}: is the emulator on the demo seed?")


def demo_seed() -> str:
    """Create the demo organizations and roles, or whatever of them is missing (idempotent)."""
    admin = _user_in_connection(COMPANY_ADMIN_EMAIL, SHARED_CONNECTION)
    company_admin_grant(actor=None, user_id=admin["user_id"], email=admin["email"], name=admin.get("name", ""))
    actor = principal_for_user_id(admin["user_id"], admin.get("name", ""))
    for spec in ORGANIZATIONS:
        organization = Organization.objects.filter(slug=spec["slug"]).first()
        if organization is None:
            organization = organization_create(actor=actor, **spec)
        for email, role in role_emails(spec["slug"]).items():
            if organization.roles.filter(email=email).exists():
                continue
            user = _user_in_connection(email, spec["connection_name"])
            role_assign(actor=actor, organization=organization, user_id=user["user_id"], role=role,
                        email=email, name=user.get("name", ""))
    demo_tool_clients_register(actor)
    return "demo ready"
