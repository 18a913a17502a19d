"""What an organization may grant: company admins choose it among the tenant's roles (read from Auth0 by a task,
never in a request), with labels and descriptions, at most one default (the database holds it to that), audited
before and after; bad input changes nothing; and the check every granting act applies."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from app_roles.catalog import (
    GrantableChoice,
    grantable_role_check,
    grantable_roles_save,
    organization_default_role_ids,
    organization_grantable_roles,
    tenant_roles_refresh_request,
)
from app_roles.models import GrantableRole, TenantRole
from app_roles.tasks import app_roles_refresh
from organizations.models import CompanyAdmin
from organizations.selectors import principal_for_user_id
from portal.models import AuditEvent, Operation
from tests.factories import CompanyAdminFactory, OrganizationFactory, RoleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def roles():
    now = timezone.now()
    return [TenantRole.objects.create(pk=f"rol_{name.lower():0<16}"[:20], name=name, description=f"{name} can",
                                      refreshed_at=now) for name in ("Viewer", "Editor", "Billing")]


@pytest.fixture
def company_admin():
    return principal_for_user_id(CompanyAdminFactory().user_id, "Chief")


@pytest.fixture
def acme():
    return OrganizationFactory(slug="acme", display_name="Acme")


def test_a_company_admin_chooses_what_an_organization_may_grant(roles, company_admin, acme) -> None:
    viewer, editor, billing = roles
    grantable_roles_save(actor=company_admin, organization=acme, default_role_id=viewer.pk, choices=[
        GrantableChoice(viewer.pk, "  Read   only ", "Sees everything"), GrantableChoice(editor.pk)])
    assert [(g.role_id, g.label, g.description, g.is_default) for g in organization_grantable_roles(acme)] == [
        (editor.pk, "Editor", "", False), (viewer.pk, "Read only", "Sees everything", True)]
    assert organization_default_role_ids(acme) == [viewer.pk]
    # Labels may move from one role to another, the default too, in one save.
    grantable_roles_save(actor=company_admin, organization=acme, default_role_id=billing.pk, choices=[
        GrantableChoice(editor.pk, "Read only"), GrantableChoice(billing.pk, "Editor")])
    assert [(g.role_id, g.label, g.is_default) for g in organization_grantable_roles(acme)] == [
        (billing.pk, "Editor", True), (editor.pk, "Read only", False)]
    events = AuditEvent.objects.filter(action="app_roles.grantable_changed").order_by("pk")
    assert [len(e.details["before"]) for e in events] == [0, 2]
    assert events[1].details["after"][0] == {"role_id": billing.pk, "label": "Editor", "description": "",
                                             "default": True}
    # Saving the same again records nothing new.
    grantable_roles_save(actor=company_admin, organization=acme, default_role_id=billing.pk, choices=[
        GrantableChoice(editor.pk, "Read only"), GrantableChoice(billing.pk, "Editor")])
    assert events.count() == 2


def test_bad_choices_are_refused_by_field_and_change_nothing(roles, company_admin, acme) -> None:
    viewer, editor, _ = roles
    grantable_roles_save(actor=company_admin, organization=acme, choices=[GrantableChoice(viewer.pk, "Viewer")])
    with pytest.raises(ValidationError) as refused:
        grantable_roles_save(actor=company_admin, organization=acme, default_role_id="rol_elsewhere", choices=[
            GrantableChoice(viewer.pk, "Same"), GrantableChoice(editor.pk, "same", "x" * 301),
            GrantableChoice("rol_gone0000000000", "Gone")])
    assert refused.value.message_dict == {
        f"{editor.pk}.label": ["Another role is labelled “same”: give each its own label."],
        f"{editor.pk}.description": ["Keep the description to 300 characters."],
        "rol_gone0000000000.grantable": ["This role is no longer in the tenant: refresh the roles from Auth0."],
        "default": ["The default role must be one of the roles made grantable."],
    }
    assert list(organization_grantable_roles(acme).values_list("label", flat=True)) == ["Viewer"]


def test_only_company_admins_choose(roles, acme) -> None:
    admin = principal_for_user_id(RoleFactory(organization=acme, role="admin").user_id)
    with pytest.raises(PermissionDenied):
        grantable_roles_save(actor=admin, organization=acme, choices=[GrantableChoice(roles[0].pk)])
    with pytest.raises(PermissionDenied):
        tenant_roles_refresh_request(actor=admin, organization=acme)
    assert not GrantableRole.objects.exists() and not Operation.objects.exists()


def test_the_database_keeps_one_default_and_one_place_per_role(roles, acme) -> None:
    viewer, editor, _ = roles
    GrantableRole.objects.create(organization=acme, role=viewer, label="Viewer", is_default=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        GrantableRole.objects.create(organization=acme, role=editor, label="Editor", is_default=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        GrantableRole.objects.create(organization=acme, role=viewer, label="Again")
    # Another organization has a default of its own.
    GrantableRole.objects.create(organization=OrganizationFactory(), role=editor, label="Editor", is_default=True)


def test_the_check_names_each_role_outside_the_set(roles, acme) -> None:
    viewer, editor, billing = roles
    GrantableRole.objects.create(organization=acme, role=viewer, label="Viewer")
    assert grantable_role_check(acme, [viewer.pk]) == []
    assert grantable_role_check(acme, [billing.pk, viewer.pk, "x" * 100, billing.pk]) == [
        f"“{billing.pk}” is not an application role Acme may grant.",
        f"“{'x' * 64}” is not an application role Acme may grant."]


def test_the_tenants_roles_are_read_by_a_task_for_company_admins(auth0_on_changing_emulator, company_admin, acme,
                                                                 django_capture_on_commit_callbacks,
                                                                 published_tasks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        operation = tenant_roles_refresh_request(actor=company_admin, organization=acme)
    assert published_tasks == ["app_roles.tasks.app_roles_refresh"] and not TenantRole.objects.exists()
    app_roles_refresh.apply(args=[str(operation.pk)])
    operation.refresh_from_db()
    assert operation.status == "succeeded" and operation.result == {"roles": 3, "removed": 0}
    assert set(TenantRole.objects.values_list("name", flat=True)) == {"Viewer", "Editor", "Billing admin"}
    # The actor is checked again when it runs.
    again = tenant_roles_refresh_request(actor=company_admin, organization=acme)
    CompanyAdmin.objects.all().delete()
    app_roles_refresh.apply(args=[str(again.pk)])
    again.refresh_from_db()
    assert again.status == "failed"
