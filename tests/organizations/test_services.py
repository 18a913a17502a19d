from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from organizations import services
from organizations.models import MembershipMode, MetadataField, Organization, OrganizationRole
from portal.models import AuditEvent, Operation
from portal.principal import principal_for_user_id
from tests.factories import CompanyAdminFactory, DomainFactory, OrganizationFactory, RoleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def company_admin():
    admin = CompanyAdminFactory()
    return principal_for_user_id(admin.user_id, admin.email)


def _create(actor, **overrides):
    data = {
        "slug": "umbrella", "display_name": "Umbrella", "membership_mode": MembershipMode.ISOLATED_CONNECTION,
        "domains": ["umbrella.test"],
    }
    data.update(overrides)
    return services.organization_create(actor=actor, **data)


def test_create_records_operation_and_audit_and_queues_provisioning(
    company_admin, django_capture_on_commit_callbacks, published_tasks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        organization = _create(company_admin)
    assert organization.connection_name == "umbrella-users"
    assert list(organization.domains.values_list("domain", flat=True)) == ["umbrella.test"]
    operation = Operation.objects.get(organization=organization)
    assert (operation.kind, operation.status, operation.actor_user_id) == (
        "organization_provision", "pending", company_admin.user_id
    )
    event = AuditEvent.objects.get(organization=organization, action="organization.created")
    assert event.actor_user_id == company_admin.user_id and event.operation == operation
    assert published_tasks == ["organizations.tasks.organization_provision"]


def test_shared_mode_uses_the_tenant_shared_connection(company_admin, settings) -> None:
    organization = _create(company_admin, slug="shared-one", membership_mode=MembershipMode.SHARED_CONNECTION,
                           domains=[])
    assert organization.connection_name == settings.AUTH0_SHARED_CONNECTION


def test_only_company_admins_create_organizations() -> None:
    role = RoleFactory(role=OrganizationRole.Role.ADMIN)
    org_admin = principal_for_user_id(role.user_id)
    with pytest.raises(PermissionDenied):
        _create(org_admin)
    assert not Organization.objects.filter(slug="umbrella").exists()


def test_a_claimed_domain_is_refused_and_nothing_changes(company_admin, published_tasks) -> None:
    DomainFactory(domain="umbrella.test")
    before = (Organization.objects.count(), Operation.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationError) as excinfo:
        _create(company_admin)
    assert "umbrella.test" in str(excinfo.value)
    assert (Organization.objects.count(), Operation.objects.count(), AuditEvent.objects.count()) == before
    assert published_tasks == []


def test_update_changes_settings_and_domains_and_audits(company_admin) -> None:
    organization = _create(company_admin)
    services.organization_update(
        actor=company_admin, organization=organization, display_name="Umbrella Corp",
        domains=["umbrella.test", "umbrella.example"], invite_link_lifetime_days=3, accent_colour="#112233",
    )
    organization.refresh_from_db()
    assert organization.display_name == "Umbrella Corp" and organization.accent_colour == "#112233"
    assert sorted(organization.domains.values_list("domain", flat=True)) == ["umbrella.example", "umbrella.test"]
    event = AuditEvent.objects.filter(action="organization.updated").get()
    assert event.details["changes"]["display_name"] == {"from": "Umbrella", "to": "Umbrella Corp"}


FIELD = {
    "key": "department", "label": "Department", "target": "user_metadata", "type": "text", "required": False,
    "max_length": 80, "pattern": "", "choices": [], "editable_by": "org_admin", "visible_to": "org_viewer",
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"key": "organizations", "target": "app_metadata"}, "reserved"),
        ({"key": "Bad Key"}, "lower-case"),
        ({"type": "enum", "choices": ["only-one"]}, "at least two choices"),
        ({"pattern": "([a-z"}, "Not a valid regular expression"),
        ({"target": "app_metadata", "editable_by": "end_user"}, "never editable by the user"),
        ({"editable_by": "end_user", "visible_to": "org_admin"}, "must also be able to see it"),
        ({"type": "boolean", "max_length": 5}, "Only text"),
    ],
)
def test_schema_rejects_invalid_fields_and_changes_nothing(company_admin, change, message) -> None:
    organization = _create(company_admin)
    services.metadata_schema_save(actor=company_admin, organization=organization, fields=[FIELD])
    with pytest.raises(ValidationError) as excinfo:
        services.metadata_schema_save(
            actor=company_admin, organization=organization, fields=[{**FIELD, "key": "title"}, {**FIELD, **change}]
        )
    assert message in str(excinfo.value)
    assert list(organization.metadata_fields.values_list("key", flat=True)) == ["department"]


def test_schema_rejects_duplicate_keys(company_admin) -> None:
    organization = _create(company_admin)
    with pytest.raises(ValidationError, match="appears twice"):
        services.metadata_schema_save(actor=company_admin, organization=organization, fields=[FIELD, FIELD])


def test_schema_saves_in_order(company_admin) -> None:
    organization = _create(company_admin)
    enum = {**FIELD, "key": "tier", "label": "Tier", "type": "enum", "choices": ["gold", "silver"],
            "max_length": None, "target": "app_metadata", "editable_by": "company_admin"}
    services.metadata_schema_save(actor=company_admin, organization=organization, fields=[enum, FIELD])
    keys = list(MetadataField.objects.filter(organization=organization).values_list("key", "position"))
    assert keys == [("tier", 0), ("department", 1)]


# --- roles ---------------------------------------------------------------------------------------------

def test_viewer_cannot_grant_or_remove_roles() -> None:
    viewer_role = RoleFactory(role=OrganizationRole.Role.VIEWER)
    viewer = principal_for_user_id(viewer_role.user_id)
    with pytest.raises(PermissionDenied):
        services.role_grant(actor=viewer, organization=viewer_role.organization, user_id="auth0|x", role="viewer")


def test_org_admin_cannot_remove_the_last_admin_even_a_colleague() -> None:
    admin_role = RoleFactory(role=OrganizationRole.Role.ADMIN)
    actor = principal_for_user_id(admin_role.user_id)
    with pytest.raises(ValidationError, match="at least one admin"):
        services.role_revoke(actor=actor, role=admin_role, confirm=True)
    assert OrganizationRole.objects.filter(pk=admin_role.pk).exists()


def test_own_admin_role_needs_confirmation_when_another_admin_exists() -> None:
    mine = RoleFactory(role=OrganizationRole.Role.ADMIN)
    RoleFactory(organization=mine.organization, role=OrganizationRole.Role.ADMIN)
    actor = principal_for_user_id(mine.user_id)
    with pytest.raises(ValidationError, match="your own admin role"):
        services.role_revoke(actor=actor, role=mine)
    services.role_revoke(actor=actor, role=mine, confirm=True)
    assert not OrganizationRole.objects.filter(pk=mine.pk).exists()


def test_company_admin_removes_the_last_admin_only_explicitly(company_admin) -> None:
    admin_role = RoleFactory(role=OrganizationRole.Role.ADMIN)
    with pytest.raises(ValidationError, match="last admin"):
        services.role_revoke(actor=company_admin, role=admin_role)
    services.role_revoke(actor=company_admin, role=admin_role, confirm=True)
    assert not OrganizationRole.objects.filter(pk=admin_role.pk).exists()
    assert AuditEvent.objects.filter(action="role.revoked", target_id=admin_role.user_id).exists()


def test_demoting_the_last_admin_is_refused() -> None:
    admin_role = RoleFactory(role=OrganizationRole.Role.ADMIN)
    actor = principal_for_user_id(admin_role.user_id)
    with pytest.raises(ValidationError):
        services.role_grant(actor=actor, organization=admin_role.organization, user_id=admin_role.user_id,
                            role=OrganizationRole.Role.VIEWER)
    admin_role.refresh_from_db()
    assert admin_role.role == OrganizationRole.Role.ADMIN


def test_org_admin_grants_within_their_own_organization_only() -> None:
    admin_role = RoleFactory(role=OrganizationRole.Role.ADMIN)
    other = OrganizationFactory()
    actor = principal_for_user_id(admin_role.user_id)
    granted = services.role_grant(actor=actor, organization=admin_role.organization, user_id="auth0|new",
                                  role="admin", email="new@example.test")
    assert granted.role == "admin"
    with pytest.raises(PermissionDenied):
        services.role_grant(actor=actor, organization=other, user_id="auth0|new", role="viewer")
    with pytest.raises(PermissionDenied):
        services.role_grant_request(actor=actor, organization=other, email="x@example.test", role="viewer")


def test_company_admin_bootstrap_is_idempotent() -> None:
    services.company_admin_grant(actor=None, user_id="auth0|first", email="first@example.test")
    services.company_admin_grant(actor=None, user_id="auth0|first", email="first@example.test")
    assert principal_for_user_id("auth0|first").is_company_admin
    assert AuditEvent.objects.filter(action="company_admin.granted").count() == 1
