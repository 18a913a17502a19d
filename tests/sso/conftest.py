from __future__ import annotations

import uuid

import pytest

from auth0_gateway import gateway
from organizations.models import MembershipMode
from organizations.selectors import principal_for_user_id
from tests.factories import OrganizationFactory, RoleFactory
from tests.sso.saml_idp import LoopbackIdentityProvider


@pytest.fixture
def saml_idp(tmp_path):
    idp = LoopbackIdentityProvider(tmp_path).start()
    yield idp
    idp.stop()


@pytest.fixture
def globex(auth0_on_emulator):
    """An organization that is an Auth0 Organization on the session's emulator (its own, under a fresh name)."""
    slug = f"globex-{uuid.uuid4().hex[:6]}"
    shared = gateway().connection_get_by_name(name="Username-Password-Authentication")
    auth0_org = gateway().organization_create(name=slug, display_name="Globex", enabled_connection_ids=[shared["id"]])
    return OrganizationFactory(slug=slug, display_name="Globex", membership_mode=MembershipMode.AUTH0_ORGANIZATION,
                               connection_name="Username-Password-Authentication", auth0_connection_id=shared["id"],
                               auth0_organization_id=auth0_org["id"])


@pytest.fixture
def admin(globex):
    RoleFactory(organization=globex, user_id="auth0|globex-sso-admin", role="admin", email="admin@globex.test")
    return principal_for_user_id("auth0|globex-sso-admin", "Globex Admin")
