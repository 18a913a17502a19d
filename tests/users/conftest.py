"""Fixtures most tests of acts on users share: Acme, an isolated organization whose connection the
demo tenant has (so acts reach the emulator, which each such test may change), and one of its admins.
A module that needs another Acme (no emulator, another mode) defines its own ``acme``, which wins.

Every test here that uses the database also ends with the directory's counts equal to a recount
(``users.directory.counts``): whatever a test writes through the mirror (acts, syncs, streams), the counts follow."""

from __future__ import annotations

import pytest

from organizations.models import MembershipMode, Organization
from organizations.selectors import principal_for_user_id
from portal.principal import Principal
from tests.factories import OrganizationFactory, RoleFactory
from users.directory.counts import directory_counts_check


@pytest.fixture(autouse=True)
def _directory_counts_exact(request):
    uses_database = request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(
        request.fixturenames)
    if not uses_database:
        yield
        return
    # Set up first, so that this checks before the test's database is rolled back or emptied.
    request.getfixturevalue("db")
    yield
    assert directory_counts_check(fix=False) == [], "the directory's counts drifted from a recount"


@pytest.fixture
def acme(auth0_on_changing_emulator) -> Organization:
    return OrganizationFactory(slug="acme", display_name="Acme", connection_name="acme-users",
                               membership_mode=MembershipMode.ISOLATED_CONNECTION, auth0_connection_id="con_a")


@pytest.fixture
def admin(acme) -> Principal:
    return principal_for_user_id(RoleFactory(organization=acme, role="admin").user_id, "Boss")
