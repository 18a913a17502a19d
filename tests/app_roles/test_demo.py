"""The demo's application roles (``prepare --demo`` queues them): once the demo's organizations exist, Acme may
grant two of the demo tenant's roles, the first the default for invitations; run again, or after a company admin
chose otherwise, it changes nothing."""

from __future__ import annotations

import pytest

from app_roles.catalog import organization_grantable_roles
from app_roles.models import GrantableRole
from app_roles.tasks import demo_app_roles_seed
from auth0_emulator.seed import demo_role_id
from organizations.tasks import demo_seed
from portal.faults import TransientFault

pytestmark = pytest.mark.django_db


def test_the_demos_acme_may_grant_two_roles(auth0_on_emulator) -> None:
    with pytest.raises(TransientFault):  # before the demo's organizations exist: tried again later
        demo_app_roles_seed.apply(throw=True, retries=30).get()
    demo_seed.apply().get()
    assert demo_app_roles_seed.apply().get() == "demo application roles ready"
    chosen = [(g.role_id, g.label, g.is_default) for g in organization_grantable_roles(
        GrantableRole.objects.get(label="Reader").organization)]
    assert chosen == [(demo_role_id("Editor"), "Editor", False), (demo_role_id("Viewer"), "Reader", True)]
    GrantableRole.objects.filter(label="Editor").delete()  # a company admin's choice since
    assert demo_app_roles_seed.apply().get() == "demo application roles chosen already"
    assert GrantableRole.objects.count() == 1
