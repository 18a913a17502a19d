"""Fixtures the application roles' tests share: the demo tenant's three organizations (one per membership mode)
on the emulator that tests may change, with the tenant's roles read into the mirror, and each organization's
grantable roles as a company admin would choose them."""

from __future__ import annotations

import pytest

from app_roles.catalog import tenant_roles_refresh
from app_roles.models import GrantableRole
from auth0_emulator.seed import demo_role_id
from organizations.models import Organization
from tests.users.org_modes import organizations_per_mode

VIEWER, EDITOR, BILLING = (demo_role_id(name) for name in ("Viewer", "Editor", "Billing admin"))


def grantable(organization: Organization, *roles: tuple[str, str], default: str = "") -> list[GrantableRole]:
    """Make ``roles`` ((role id, label), …) what ``organization`` may grant."""
    return [GrantableRole.objects.create(organization=organization, role_id=role_id, label=label,
                                         description=f"{label} at {organization.display_name}",
                                         is_default=role_id == default) for role_id, label in roles]


@pytest.fixture
def modes(auth0_on_changing_emulator) -> dict[str, Organization]:
    """Acme (isolated), Initech (shared) and Globex (an Auth0 Organization), connected to the emulator, the
    tenant's roles mirrored; each may grant Viewer and Editor, under labels of its own."""
    organizations = organizations_per_mode()
    tenant_roles_refresh()
    for organization in organizations.values():
        grantable(organization, (VIEWER, f"{organization.display_name} viewer"),
                  (EDITOR, f"{organization.display_name} editor"), default=VIEWER)
    return organizations
