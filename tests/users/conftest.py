"""Fixtures most tests of acts on users share: Acme, an isolated organization whose connection the
demo tenant has (so acts reach the emulator, which each such test may change), and one of its admins.
A module that needs another Acme (no emulator, another mode) defines its own ``acme``, which wins."""

from __future__ import annotations

import pytest

from organizations.models import MembershipMode, Organization
from organizations.selectors import principal_for_user_id
from portal.principal import Principal
from tests.factories import OrganizationFactory, RoleFactory


@pytest.fixture
def acme(auth0_on_changing_emulator) -> Organization:
    return OrganizationFactory(slug="acme", display_name="Acme", connection_name="acme-users",
                               membership_mode=MembershipMode.ISOLATED_CONNECTION, auth0_connection_id="con_a")


@pytest.fixture
def admin(acme) -> Principal:
    return principal_for_user_id(RoleFactory(organization=acme, role="admin").user_id, "Boss")
