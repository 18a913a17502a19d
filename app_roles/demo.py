"""The demo's application roles: Acme's admins may grant two of the demo tenant's roles (its Viewer, the default
for new invitations, and its Editor), as a company admin would have chosen them (README, "Trying every
persona"). Names here are the emulator's demo data."""

from __future__ import annotations

from app_roles.catalog import GrantableChoice, grantable_roles_save, tenant_roles_refresh
from app_roles.models import GrantableRole, TenantRole
from organizations.models import CompanyAdmin, Organization
from organizations.selectors import principal_for_user_id
from portal.faults import PermanentFault, TransientFault

DEMO_ORGANIZATION = "acme"
# (the role's name in the demo tenant, the label Acme's admins see, its description)
DEMO_GRANTABLE = [
    ("Viewer", "Reader", "Sees the applications' data without changing it."),
    ("Editor", "Editor", "Creates and changes content in the applications."),
]


def demo_app_roles_seed() -> str:
    """Make the demo's grantable roles unless Acme has some already (idempotent, and a company admin's later
    choice is left as they made it). Until the demo's organizations exist (another task makes them), a passing
    fault: the task tries again."""
    organization = Organization.objects.filter(slug=DEMO_ORGANIZATION).first()
    admin = CompanyAdmin.objects.order_by("pk").first()
    if organization is None or admin is None:
        raise TransientFault("The demo organizations are not made yet.")
    if GrantableRole.objects.filter(organization=organization).exists():
        return "demo application roles chosen already"
    tenant_roles_refresh()
    roles = dict(TenantRole.objects.filter(name__in=[name for name, _, _ in DEMO_GRANTABLE]).values_list("name", "pk"))
    if len(roles) != len(DEMO_GRANTABLE):
        raise PermanentFault("The tenant lacks the demo's roles: is the emulator on the demo seed?")
    grantable_roles_save(actor=principal_for_user_id(admin.user_id, admin.name), organization=organization,
                         choices=[GrantableChoice(roles[name], label, description)
                                  for name, label, description in DEMO_GRANTABLE],
                         default_role_id=roles[DEMO_GRANTABLE[0][0]])
    return "demo application roles ready"
