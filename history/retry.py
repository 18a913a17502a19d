"""Sending a failed operation again: its organization's admins (company admins only for the kinds only they
ask for); never an operation a person asked for on their own profile, which only they may ask for again."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from organizations.access.authorization import require_company_admin, require_org_admin
from organizations.models import Organization
from organizations.selectors import operation_get
from portal.audit import audit_record, stored_text
from portal.models import ONE_AT_A_TIME, SELF_SERVICE_KINDS, Operation, OperationKind
from portal.operations import operation_enqueue_on_commit, operation_notes_forget
from portal.principal import Principal

# Kinds only company admins may ask for (provisioning, reading the tenant's roles), so only they may send one again.
_COMPANY_ADMIN_KINDS = frozenset({OperationKind.ORGANIZATION_PROVISION, OperationKind.APP_ROLES_REFRESH})


def _retry_rights_check(actor: Principal, operation: Operation) -> None:
    if operation.organization_id is None or not actor.can_admin(operation.organization_id):
        raise PermissionDenied(_("Only this organization's admins may try an operation again."))
    if operation.kind in SELF_SERVICE_KINDS:
        raise PermissionDenied(_("Only the person who asked for this on their profile page may ask for it again."))
    if operation.kind in _COMPANY_ADMIN_KINDS:
        require_company_admin(actor)


def operation_retry_allowed(*, actor: Principal, operation: Operation) -> bool:
    """Whether ``actor`` may send ``operation`` again if it fails (pages offer the button by this)."""
    try:
        _retry_rights_check(actor, operation)
    except PermissionDenied:
        return False
    return True


def operation_retry(*, actor: Principal, organization: Organization, operation_id) -> Operation:
    """Send a failed operation of the organization again, on behalf of ``actor`` (its admins; company
    admins only for kinds only they request).

    The operation goes back to pending with a fresh count of attempts, under the actor's name, so the task
    re-checks the actor's own rights and every guardrail when it runs (not those of whoever asked first,
    who is kept in the audit event). Only a failed operation is sent again: a pending or running one is on
    its way, a succeeded one is done.
    """
    require_org_admin(actor, organization)
    found = operation_get(principal=actor, organization=organization, operation_id=operation_id)  # 404 outside
    _retry_rights_check(actor, found)
    with transaction.atomic():
        operation = Operation.objects.select_for_update().get(pk=found.pk)
        if operation.status != Operation.Status.FAILED:
            raise ValidationError(_("Only a failed operation can be tried again; this one is %(status)s.") % {
                "status": operation.get_status_display().lower()})
        if operation.kind == OperationKind.ORGANIZATION_PROVISION and organization.is_provisioned:
            raise ValidationError(_("This organization is already connected to Auth0."))
        before = {"attempts": operation.attempts, "last_error": operation.last_error,
                  "requested_by": operation.actor_display, "requested_by_user_id": operation.actor_user_id}
        operation.status = Operation.Status.PENDING
        operation.attempts = 0
        operation.last_error = ""
        operation.started_at = operation.finished_at = operation.next_attempt_at = None
        operation.actor_user_id, operation.actor_display = actor.user_id, actor.display or actor.user_id
        # What its earlier runs read may have changed since (the failure may be about just that): read afresh.
        operation_notes_forget(operation)
        try:
            with transaction.atomic():  # a savepoint: refused, the operation stays as it was
                operation.save(update_fields=["status", "attempts", "last_error", "started_at", "finished_at",
                                              "next_attempt_at", "actor_user_id", "actor_display", "result",
                                              "updated_at"])
        except IntegrityError:
            # Another of its kind on the same target is on its way (one at a time: portal.models.ONE_AT_A_TIME).
            if operation.kind not in ONE_AT_A_TIME:
                raise
            raise ValidationError(_one_at_a_time_refusal(operation)) from None
        what = operation.payload.get("email") or operation.target
        audit_record(
            actor=actor, action="operation.retried", organization=organization, target_type="operation",
            target_id=operation.target, operation=operation, details=before,
            summary=f"Tried again: {stored_text(operation.get_kind_display)}{f' ({what})' if what else ''}",
        )
        operation_enqueue_on_commit(operation)
    return operation


def _one_at_a_time_refusal(operation: Operation) -> str:
    """Why a kind done one at a time cannot be tried again while another of it is on its way."""
    refusals = {
        OperationKind.USER_INVITE: _("Another invitation to %(who)s is already on its way: try this one again once "
                                     "it has finished, if it is still needed."),
        OperationKind.USER_EMAIL_CHANGE: _("Another change of the email address of %(who)s is already on its way: "
                                           "try this one again once it has finished, if it is still needed."),
        OperationKind.PROFILE_DATA_EXPORT: _("Another export of the data of %(who)s is already on its way: try this "
                                             "one again once it has finished, if it is still needed."),
    }
    return refusals[operation.kind] % {"who": operation.payload.get("email") or operation.target}
