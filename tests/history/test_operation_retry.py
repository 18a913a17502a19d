"""Sending a failed operation again (history.retry.operation_retry), carried out by its task with
.apply() against an emulator over HTTP: it runs as the admin who tried again, whose rights and guardrails
the task checks afresh, and ends succeeded; only a failed operation is sent again, only by the
organization's admins (company admins for what only they ask)."""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from auth0_gateway import gateway
from history.retry import operation_retry
from organizations.models import Organization, OrganizationRole
from organizations.selectors import principal_for_user_id
from portal.models import AuditEvent, Operation
from tests.factories import CompanyAdminFactory, OrganizationFactory, RoleFactory
from tests.support.history import operation_in
from users.acts.account import USER_ACTIONS, user_action_request
from users.acts.invite import password_random
from users.directory.mirror import directory_user_write_through
from users.models import DirectoryUser
from users.tasks import user_action

pytestmark = pytest.mark.django_db


def admin_of(organization: Organization, name: str):
    return principal_for_user_id(RoleFactory(organization=organization, role="admin").user_id, name)


def new_user() -> dict:
    user = gateway().user_create(connection="acme-users", email=f"r-{uuid.uuid4().hex[:8]}@acme.test",
                                 password=password_random())
    directory_user_write_through(user)
    return user


def test_a_failed_block_tried_again_by_another_admin_ends_succeeded(acme, django_capture_on_commit_callbacks,
                                                                    published_tasks) -> None:
    user = new_user()
    first = admin_of(acme, "First admin")
    operation = user_action_request(actor=first, organization=acme, user_id=user["user_id"],
                                    action=USER_ACTIONS["block"])
    # The first admin lost their role before the task ran: the task refuses, and the operation fails.
    OrganizationRole.objects.filter(user_id=first.user_id).delete()
    user_action.apply(args=[str(operation.id)])
    operation.refresh_from_db()
    assert operation.status == "failed" and operation.last_error == "Only this organization's admins may do this."
    assert gateway().user_get(user_id=user["user_id"]).get("blocked") is not True

    second = admin_of(acme, "Second admin")
    with django_capture_on_commit_callbacks(execute=True):
        retried = operation_retry(actor=second, organization=acme, operation_id=operation.pk)
    assert retried.status == "pending" and published_tasks == ["users.tasks.user_action"]
    user_action.apply(args=[str(operation.id)])
    operation.refresh_from_db()
    assert operation.status == "succeeded", operation.last_error
    assert operation.attempts == 1 and operation.actor_user_id == second.user_id
    assert gateway().user_get(user_id=user["user_id"])["blocked"] is True
    assert DirectoryUser.objects.get(user_id=user["user_id"]).blocked is True
    actions = list(AuditEvent.objects.filter(operation=operation).order_by("id").values_list("action", "actor_display"))
    assert actions == [("user_block.requested", "First admin"), ("user_block.failed", "system"),
                       ("operation.retried", "Second admin"), ("user_block.succeeded", "system")]


def test_the_task_checks_the_guardrails_against_who_tried_again(acme, django_capture_on_commit_callbacks) -> None:
    """A company admin's failed block of another company admin, tried again by an organization admin: the
    retry is theirs to send, but the task refuses what they may not do (only company admins act on company
    admins), and Auth0 is not touched."""
    boss = new_user()
    CompanyAdminFactory(user_id=boss["user_id"])
    company = principal_for_user_id(CompanyAdminFactory().user_id, "Company admin")
    failed = operation_in("failed", kind="user_block", actor=company, organization=acme, target=boss["user_id"],
                          payload={"user_id": boss["user_id"], "email": boss["email"]}, last_error="Auth0 unavailable")
    with django_capture_on_commit_callbacks(execute=True):
        operation_retry(actor=admin_of(acme, "Org admin"), organization=acme, operation_id=failed.pk)
    user_action.apply(args=[str(failed.id)])
    failed.refresh_from_db()
    assert failed.status == "failed" and failed.last_error == "Company admins are managed by company admins only."
    assert gateway().user_get(user_id=boss["user_id"]).get("blocked") is not True


def test_what_cannot_be_tried_again_is_refused_and_records_nothing(acme, published_tasks) -> None:
    admin = admin_of(acme, "Admin")
    viewer = principal_for_user_id(RoleFactory(organization=acme, role="viewer").user_id, "Viewer")
    failed = operation_in("failed", kind="user_block", organization=acme, target="auth0|someone")
    running = operation_in("running", kind="user_block", organization=acme, target="auth0|someone")
    provisioning = operation_in("failed", kind="organization_provision", organization=acme, target="acme")
    beta = OrganizationFactory(slug="beta")
    elsewhere = operation_in("failed", kind="user_block", organization=beta, target="auth0|other")

    with pytest.raises(PermissionDenied):
        operation_retry(actor=viewer, organization=acme, operation_id=failed.pk)
    with pytest.raises(ValidationError, match="Only a failed operation can be tried again; this one is running."):
        operation_retry(actor=admin, organization=acme, operation_id=running.pk)
    with pytest.raises(PermissionDenied, match="Only company admins may do this."):
        operation_retry(actor=admin, organization=acme, operation_id=provisioning.pk)
    with pytest.raises(Http404):  # another organization's operation, named under this one
        operation_retry(actor=admin, organization=acme, operation_id=elsewhere.pk)
    with pytest.raises(PermissionDenied):  # an organization they do not administer
        operation_retry(actor=admin, organization=beta, operation_id=elsewhere.pk)
    assert not AuditEvent.objects.filter(action="operation.retried").exists()
    assert set(Operation.objects.values_list("status", flat=True)) == {"failed", "running"}

    operation_retry(actor=admin, organization=acme, operation_id=failed.pk)
    with pytest.raises(ValidationError, match="this one is pending"):  # a second click
        operation_retry(actor=admin, organization=acme, operation_id=failed.pk)
    assert AuditEvent.objects.filter(action="operation.retried").count() == 1


def test_a_failed_invitation_is_not_sent_again_while_another_to_the_same_person_is_on_its_way(acme) -> None:
    admin = admin_of(acme, "Admin")
    failed = operation_in("failed", kind="user_invite", organization=acme, target="ada@acme.test",
                          last_error="Auth0 said no")
    on_its_way = operation_in("pending", kind="user_invite", organization=acme, target="ada@acme.test")
    with pytest.raises(ValidationError) as caught:
        operation_retry(actor=admin, organization=acme, operation_id=failed.pk)
    assert caught.value.messages == ["Another invitation to ada@acme.test is already on its way: try this one again "
                                     "once it has finished, if it is still needed."]
    failed.refresh_from_db()
    assert (failed.status, failed.last_error) == ("failed", "Auth0 said no")
    assert not AuditEvent.objects.filter(action="operation.retried").exists()
    # Once that one has finished, this one may be sent again.
    Operation.objects.filter(pk=on_its_way.pk).update(status="succeeded")
    assert operation_retry(actor=admin, organization=acme, operation_id=failed.pk).status == "pending"


def test_a_retry_reads_afresh_what_the_failed_runs_had_noted(acme) -> None:
    """What the failed operation's runs noted for their retries (``portal.operations.operation_note``) may no
    longer be true when a person sends it again, perhaps long after: it is forgotten. What identifies the
    invitation's own account (the account it created) is kept."""
    failed = operation_in("failed", kind="user_invite", organization=acme, target="ada@acme.test",
                          last_error="Auth0 said no")
    Operation.objects.filter(pk=failed.pk).update(result={
        "created_user_id": "auth0|ada", "run_notes": {"no_account": True, "ready_user_id": "auth0|ada"}})
    operation_retry(actor=admin_of(acme, "Admin"), organization=acme, operation_id=failed.pk)
    failed.refresh_from_db()
    assert (failed.status, failed.result) == ("pending", {"created_user_id": "auth0|ada"})
