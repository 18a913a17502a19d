"""Organization tasks run with .apply() against the emulator over HTTP (the real gateway)."""

from __future__ import annotations

import uuid

import pytest

from auth0_gateway import gateway, gateway_reset
from organizations import roles, services
from organizations.models import MembershipMode, OrganizationRole
from organizations.selectors import principal_for_user_id
from organizations.tasks import demo_seed, organization_provision, role_grant
from portal.models import AuditEvent, Operation
from tests.factories import CompanyAdminFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def company_admin():
    admin = CompanyAdminFactory()
    return principal_for_user_id(admin.user_id, admin.email)


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _provision(organization) -> Operation:
    operation = Operation.objects.get(organization=organization, kind="organization_provision")
    organization_provision.apply(args=[str(operation.id)])
    operation.refresh_from_db()
    organization.refresh_from_db()
    return operation


def test_isolated_organization_gets_its_own_connection(auth0_on_emulator, company_admin) -> None:
    slug = _unique("iso")
    organization = services.organization_create(
        actor=company_admin, slug=slug, display_name="Iso", membership_mode=MembershipMode.ISOLATED_CONNECTION,
        domains=[],
    )
    operation = _provision(organization)
    assert operation.status == "succeeded", operation.last_error
    connection = gateway().connection_get_by_name(name=f"{slug}-users")
    assert organization.auth0_connection_id == connection["id"] and organization.is_provisioned
    assert connection["strategy"] == "auth0"
    assert AuditEvent.objects.filter(operation=operation, action="organization_provision.succeeded").exists()
    # Running the same operation again (a redelivered message) does nothing: it is finished.
    organization_provision.apply(args=[str(operation.id)])
    operation.refresh_from_db()
    assert operation.attempts == 1


def test_existing_connection_is_linked_not_created_twice(auth0_on_emulator, company_admin) -> None:
    existing = gateway().connection_get_by_name(name="acme-users")
    organization = services.organization_create(
        actor=company_admin, slug=_unique("acme2"), display_name="Acme again",
        membership_mode=MembershipMode.ISOLATED_CONNECTION, connection_name="acme-users", domains=[],
    )
    assert _provision(organization).status == "succeeded"
    assert organization.auth0_connection_id == existing["id"]


def test_shared_organization_links_the_shared_connection(auth0_on_emulator, company_admin) -> None:
    organization = services.organization_create(
        actor=company_admin, slug=_unique("shr"), display_name="Shared",
        membership_mode=MembershipMode.SHARED_CONNECTION, domains=[],
    )
    assert _provision(organization).status == "succeeded"
    shared = gateway().connection_get_by_name(name="Username-Password-Authentication")
    assert organization.auth0_connection_id == shared["id"]


def test_missing_shared_connection_fails_with_a_message_a_human_can_act_on(auth0_on_emulator, company_admin):
    organization = services.organization_create(
        actor=company_admin, slug=_unique("nos"), display_name="No shared",
        membership_mode=MembershipMode.SHARED_CONNECTION, connection_name="no-such-connection", domains=[],
    )
    operation = _provision(organization)
    assert operation.status == "failed"
    assert "no-such-connection" in operation.last_error and "does not exist" in operation.last_error
    assert not organization.is_provisioned


def test_auth0_organization_is_created_with_the_shared_connection(auth0_on_emulator, company_admin) -> None:
    slug = _unique("aorg")
    organization = services.organization_create(
        actor=company_admin, slug=slug, display_name="Auth0 Org",
        membership_mode=MembershipMode.AUTH0_ORGANIZATION, domains=[],
    )
    assert _provision(organization).status == "succeeded"
    created = gateway().organization_get_by_name(name=slug)
    assert organization.auth0_organization_id == created["id"] and created["display_name"] == "Auth0 Org"


def test_role_grant_finds_the_member_by_email(auth0_on_emulator, company_admin) -> None:
    organization = services.organization_create(
        actor=company_admin, slug=_unique("acm"), display_name="Acme view",
        membership_mode=MembershipMode.ISOLATED_CONNECTION, connection_name="acme-users", domains=[],
    )
    _provision(organization)
    operation = roles.role_grant_request(actor=company_admin, organization=organization,
                                            email="Viewer@Acme.test", role="viewer")
    role_grant.apply(args=[str(operation.id)])
    operation.refresh_from_db()
    assert operation.status == "succeeded", operation.last_error
    role = OrganizationRole.objects.get(organization=organization)
    expected = gateway().users_by_email(email="viewer@acme.test")
    assert role.user_id in {u["user_id"] for u in expected} and role.role == "viewer"


def test_role_grant_refuses_someone_outside_the_organization(auth0_on_emulator, company_admin) -> None:
    organization = services.organization_create(
        actor=company_admin, slug=_unique("acx"), display_name="Acme strict",
        membership_mode=MembershipMode.ISOLATED_CONNECTION, connection_name="acme-users", domains=[],
    )
    operation = roles.role_grant_request(actor=company_admin, organization=organization,
                                            email="admin@initech.test", role="admin")
    role_grant.apply(args=[str(operation.id)])
    operation.refresh_from_db()
    assert operation.status == "failed"
    assert "No user of Acme strict has the email admin@initech.test" in operation.last_error
    assert not OrganizationRole.objects.filter(organization=organization).exists()


def test_demo_seed_creates_the_demo_organizations_and_roles(auth0_on_emulator) -> None:
    demo_seed.apply().get()
    demo_seed.apply().get()  # idempotent
    slugs = set(OrganizationRole.objects.values_list("organization__slug", flat=True))
    assert {"acme", "initech", "globex"} <= slugs
    assert OrganizationRole.objects.filter(organization__slug="initech", email="viewer@initech.test",
                                           role="viewer").count() == 1
    admin = gateway().users_by_email(email="admin@portal.test")[0]
    assert principal_for_user_id(admin["user_id"]).is_company_admin


def test_wrong_management_credentials_fail_the_operation_at_once_saying_what_to_check(
    auth0_on_emulator, company_admin, settings
) -> None:
    """Auth0 answers 401 to the token of another application: one new token is tried, then the
    operation fails for good (no eight retries) with a message about the portal's configuration."""
    organization = services.organization_create(
        actor=company_admin, slug=_unique("cred"), display_name="Credentials",
        membership_mode=MembershipMode.SHARED_CONNECTION, domains=[],
    )
    settings.AUTH0_MGMT_CLIENT_ID, settings.AUTH0_MGMT_CLIENT_SECRET = "portal-tool-dev", "portal-tool-dev-secret"
    settings.AUTH0_MGMT_AUDIENCE = "https://portal.local/api/"
    gateway_reset()
    operation = _provision(organization)
    assert (operation.status, operation.attempts) == ("failed", 1)
    assert "AUTH0_MGMT_CLIENT_ID" in operation.last_error
    assert gateway().token_fetch_count == 2
    assert not organization.is_provisioned
