from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from organizations import roles, schema, services
from organizations.models import MembershipMode, MetadataField, Organization, OrganizationRole
from organizations.selectors import principal_for_user_id
from portal.models import AuditEvent, Operation
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
    schema.metadata_schema_save(actor=company_admin, organization=organization, fields=[FIELD])
    with pytest.raises(ValidationError) as excinfo:
        schema.metadata_schema_save(
            actor=company_admin, organization=organization, fields=[{**FIELD, "key": "title"}, {**FIELD, **change}]
        )
    assert message in str(excinfo.value)
    assert list(organization.metadata_fields.values_list("key", flat=True)) == ["department"]


def test_a_fields_several_errors_read_as_sentences(company_admin) -> None:
    organization = _create(company_admin)
    with pytest.raises(ValidationError) as excinfo:
        schema.metadata_schema_save(actor=company_admin, organization=organization,
                                    fields=[{**FIELD, "key": "Bad Key", "type": "enum", "choices": ["only-one"]}])
    [message] = excinfo.value.messages
    assert message.startswith("Field 1: ") and ".;" not in message and message.count(". ") >= 1, message


def test_schema_rejects_duplicate_keys(company_admin) -> None:
    organization = _create(company_admin)
    with pytest.raises(ValidationError, match="appears twice"):
        schema.metadata_schema_save(actor=company_admin, organization=organization, fields=[FIELD, FIELD])


def test_schema_saves_in_order(company_admin) -> None:
    organization = _create(company_admin)
    enum = {**FIELD, "key": "tier", "label": "Tier", "type": "enum", "choices": ["gold", "silver"],
            "max_length": None, "target": "app_metadata", "editable_by": "company_admin"}
    schema.metadata_schema_save(actor=company_admin, organization=organization, fields=[enum, FIELD])
    keys = list(MetadataField.objects.filter(organization=organization).values_list("key", "position"))
    assert keys == [("tier", 0), ("department", 1)]


# --- roles ---------------------------------------------------------------------------------------------

def test_viewer_cannot_grant_or_remove_roles() -> None:
    viewer_role = RoleFactory(role=OrganizationRole.Role.VIEWER)
    viewer = principal_for_user_id(viewer_role.user_id)
    with pytest.raises(PermissionDenied):
        roles.role_assign(actor=viewer, organization=viewer_role.organization, user_id="auth0|x", role="viewer")


def test_org_admin_cannot_remove_the_last_admin_even_a_colleague() -> None:
    admin_role = RoleFactory(role=OrganizationRole.Role.ADMIN)
    actor = principal_for_user_id(admin_role.user_id)
    with pytest.raises(ValidationError, match="at least one admin"):
        roles.role_revoke(actor=actor, role=admin_role, confirm=True)
    assert OrganizationRole.objects.filter(pk=admin_role.pk).exists()


def test_own_admin_role_needs_confirmation_when_another_admin_exists() -> None:
    mine = RoleFactory(role=OrganizationRole.Role.ADMIN)
    RoleFactory(organization=mine.organization, role=OrganizationRole.Role.ADMIN)
    actor = principal_for_user_id(mine.user_id)
    with pytest.raises(ValidationError, match="your own admin role"):
        roles.role_revoke(actor=actor, role=mine)
    roles.role_revoke(actor=actor, role=mine, confirm=True)
    assert not OrganizationRole.objects.filter(pk=mine.pk).exists()


def test_company_admin_removes_the_last_admin_only_explicitly(company_admin) -> None:
    admin_role = RoleFactory(role=OrganizationRole.Role.ADMIN)
    with pytest.raises(ValidationError, match="last admin"):
        roles.role_revoke(actor=company_admin, role=admin_role)
    roles.role_revoke(actor=company_admin, role=admin_role, confirm=True)
    assert not OrganizationRole.objects.filter(pk=admin_role.pk).exists()
    assert AuditEvent.objects.filter(action="role.revoked", target_id=admin_role.user_id).exists()


def test_demoting_the_last_admin_is_refused() -> None:
    admin_role = RoleFactory(role=OrganizationRole.Role.ADMIN)
    actor = principal_for_user_id(admin_role.user_id)
    with pytest.raises(ValidationError):
        roles.role_assign(actor=actor, organization=admin_role.organization, user_id=admin_role.user_id,
                            role=OrganizationRole.Role.VIEWER)
    admin_role.refresh_from_db()
    assert admin_role.role == OrganizationRole.Role.ADMIN


def test_org_admin_grants_within_their_own_organization_only() -> None:
    admin_role = RoleFactory(role=OrganizationRole.Role.ADMIN)
    other = OrganizationFactory()
    actor = principal_for_user_id(admin_role.user_id)
    granted = roles.role_assign(actor=actor, organization=admin_role.organization, user_id="auth0|new",
                                  role="admin", email="new@example.test")
    assert granted.role == "admin"
    with pytest.raises(PermissionDenied):
        roles.role_assign(actor=actor, organization=other, user_id="auth0|new", role="viewer")
    with pytest.raises(PermissionDenied):
        roles.role_grant_request(actor=actor, organization=other, email="x@example.test", role="viewer")


@pytest.mark.parametrize("email", ["nosniff", "two@at@example.test", ""])
def test_appointing_by_an_email_that_is_not_one_is_refused_beside_the_field(email: str) -> None:
    admin_role = RoleFactory(role=OrganizationRole.Role.ADMIN)
    actor = principal_for_user_id(admin_role.user_id)
    before = (Operation.objects.count(), AuditEvent.objects.count(), OrganizationRole.objects.count())
    with pytest.raises(ValidationError) as refused:
        roles.role_grant_request(actor=actor, organization=admin_role.organization, email=email, role="viewer")
    assert refused.value.message_dict == {"email": ["Enter a valid email address, like name@example.com."]}
    assert (Operation.objects.count(), AuditEvent.objects.count(), OrganizationRole.objects.count()) == before


def test_company_admin_bootstrap_is_idempotent() -> None:
    roles.company_admin_grant(actor=None, user_id="auth0|first", email="first@example.test")
    roles.company_admin_grant(actor=None, user_id="auth0|first", email="first@example.test")
    assert principal_for_user_id("auth0|first").is_company_admin
    assert AuditEvent.objects.filter(action="company_admin.granted").count() == 1


# -- rules the service holds (forms only show them) -----------------------------------------------------
@pytest.mark.parametrize(
    ("existing", "new", "field", "message"),
    [
        # An isolated connection belongs to one organization, whatever the other's mode.
        ({"membership_mode": MembershipMode.ISOLATED_CONNECTION, "connection_name": "beta-users"},
         {"membership_mode": MembershipMode.ISOLATED_CONNECTION, "connection_name": "BETA-users"},
         "connection_name", "already uses the connection"),
        ({"membership_mode": MembershipMode.ISOLATED_CONNECTION, "connection_name": "beta-users"},
         {"membership_mode": MembershipMode.SHARED_CONNECTION, "connection_name": "beta-users"},
         "connection_name", "an isolated connection belongs to one organization"),
        ({"membership_mode": MembershipMode.SHARED_CONNECTION, "connection_name": "partners"},
         {"membership_mode": MembershipMode.ISOLATED_CONNECTION, "connection_name": "partners"},
         "connection_name", "already uses the connection"),
        # The shared connection as an isolated one would make every shared user a member.
        (None, {"membership_mode": MembershipMode.ISOLATED_CONNECTION,
                "connection_name": "Username-Password-Authentication"},
         "connection_name", "is the tenant's shared connection"),
        (None, {"connection_name": "two--hyphens"}, "connection_name", "Auth0 accepts letters, digits"),
        (None, {"slug": "Bad Slug"}, "slug", "Use 3 to 40 lower-case letters"),
        ({"slug": "umbrella"}, {}, "slug", "Another organization already uses this slug."),
        (None, {"domains": ["not a domain"]}, "domains", "Not a valid email domain: not a domain."),
        (None, {"domains": ["a.test", "a.test"]}, "domains", "A domain is listed twice."),
        (None, {"accent_colour": "red"}, "accent_colour", "Enter a colour as #RRGGBB"),
    ],
    ids=["isolated-twice", "shared-on-isolated", "isolated-on-shared", "isolated-on-tenant-shared",
         "connection-name", "slug-syntax", "slug-taken", "domain-syntax", "domain-twice", "accent-colour"],
)
def test_create_refuses_what_breaks_a_rule_with_the_field_named(
    company_admin, published_tasks, existing, new, field, message
) -> None:
    if existing:
        OrganizationFactory(**{"slug": "beta", **existing})
    before = Organization.objects.count()
    with pytest.raises(ValidationError) as caught:
        _create(company_admin, **new)
    assert field in caught.value.message_dict, caught.value.message_dict
    assert any(message in m for m in caught.value.message_dict[field]), caught.value.message_dict
    assert Organization.objects.count() == before and not Operation.objects.exists() and published_tasks == []


def test_schema_errors_name_the_field_and_the_attribute(company_admin) -> None:
    organization = OrganizationFactory()
    good = {"key": "dept", "label": "Dept", "target": "user_metadata", "type": "text", "editable_by": "org_admin",
            "visible_to": "org_viewer"}
    enum = {**good, "key": "tier", "type": "enum", "choices": ["gold"]}
    with pytest.raises(schema.SchemaInvalid) as caught:
        schema.metadata_schema_save(actor=company_admin, organization=organization, fields=[good, enum, good])
    assert caught.value.field_errors == {
        1: {"choices": "A choice field needs at least two choices."},
        2: {"key": "“dept” appears twice in user_metadata."},
    }
    assert not organization.metadata_fields.exists()
