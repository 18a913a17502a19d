"""The organizations the directory's write-side tests derive memberships for: one of each membership mode, and
a second organization on the shared connection (a person may belong to both)."""

from __future__ import annotations

import pytest

from organizations.models import MembershipMode, Organization
from tests.factories import OrganizationFactory

SHARED = "Username-Password-Authentication"


@pytest.fixture
def orgs() -> dict[str, Organization]:
    return {
        "isolated": OrganizationFactory(slug="iso", connection_name="iso-users"),
        "shared": OrganizationFactory(slug="shr", membership_mode=MembershipMode.SHARED_CONNECTION,
                                      connection_name=SHARED),
        "second": OrganizationFactory(slug="two", membership_mode=MembershipMode.SHARED_CONNECTION,
                                      connection_name=SHARED),
        "auth0": OrganizationFactory(slug="a0", membership_mode=MembershipMode.AUTH0_ORGANIZATION,
                                     connection_name=SHARED, auth0_organization_id="org_abc"),
    }
