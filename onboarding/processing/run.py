"""Running a confirmed job: its rows sent as operations a window at a time, in the order of the file.

Each row becomes the operations of the services an admin would use one at a time (``users.acts.invite`` for
an invite or an add, with the row's application roles, ``users.acts.metadata`` for an update of metadata,
``users.acts.account`` for a block or unblock, ``app_roles.acts`` for each role a member's row gives),
with their checks, audit events and tasks, under an operation key made of the job and the line: a row is
sent in the same transaction that records its operation, so it is sent once, whatever runs twice. The
operations then go at the pace of the Management API limiter like any other.

At most ``BULK_IN_FLIGHT`` rows are under way at a time: enough to keep the tenant's rate limit busy, few
enough that pausing or cancelling takes effect at once (only rows already under way finish). The job is
advanced when it starts or resumes, whenever one of its operations finishes (``onboarding.processing.progress``), and
every minute by the sweeper, which is what carries a job on after its messages were lost (a broker restart).
"""

from __future__ import annotations

from functools import partial

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from app_roles.acts import app_role_assign_request
from onboarding.models import SENT_ACTIONS, BulkJob, BulkRow
from onboarding.selectors import bulk_counts_text, bulk_row_counts
from organizations.selectors import principal_for_user_id
from portal.audit import audit_record
from portal.models import Operation
from portal.principal import Principal
from portal.web.refusals import refusal_message
from users.acts.account import USER_ACTIONS, user_action_request
from users.acts.invite import user_invite_request
from users.acts.metadata import user_metadata_edit_request

ROLES_PART = "app_role"


def row_operation_key(job: BulkJob, row: BulkRow, part: str = "") -> str:
    return f"bulk:{job.pk}:{row.line}{':' + part if part else ''}"


def row_role_operation_key(job: BulkJob, row: BulkRow, role_id: str) -> str:
    """The key of a member's row's assignment of ``role_id`` (onboarding.processing.progress finds the row's
    assignments by their keys)."""
    return row_operation_key(job, row, f"{ROLES_PART}:{role_id}")


def bulk_job_advance(job_id) -> int:
    """Send the job's next rows, up to the window; finish the job when nothing of it is left. Returns how many
    rows were sent. Safe to run any number of times at once (the job's row is locked)."""
    with transaction.atomic():
        job = BulkJob.objects.select_for_update().select_related("organization").filter(pk=job_id).first()
        if job is None or not job.is_active:
            return 0
        sent = 0
        in_flight = job.rows.filter(outcome=BulkRow.Outcome.QUEUED).count()
        if job.status == BulkJob.Status.RUNNING and in_flight < settings.BULK_IN_FLIGHT:
            actor = principal_for_user_id(job.actor_user_id, job.actor_display)
            waiting = list(job.rows.filter(outcome=BulkRow.Outcome.NOT_RUN, action__in=SENT_ACTIONS)
                           .order_by("line")[:settings.BULK_IN_FLIGHT - in_flight])
            for row in waiting:
                if _row_send(actor, job, row):
                    in_flight += 1
                sent += 1
        if in_flight == 0:
            left = job.rows.filter(outcome=BulkRow.Outcome.NOT_RUN, action__in=SENT_ACTIONS).exists()
            if job.status == BulkJob.Status.CANCELLED or (job.status == BulkJob.Status.RUNNING and not left):
                _job_finish(job)
        return sent


def _row_send(actor: Principal, job: BulkJob, row: BulkRow) -> bool:
    """Record and queue the row's operations; True if any was queued. What a service refuses now (the preview
    is older than the directory) ends the row as skipped, with the service's reason."""
    organization = job.organization
    refusals: list[str] = []
    queued: list[tuple[str, Operation]] = []
    requests = []
    if row.action in (BulkRow.Action.INVITE, BulkRow.Action.ADD):
        requests.append(("operation", lambda: user_invite_request(
            actor=actor, organization=organization, email=row.email, name=row.name, given_name=row.given_name,
            family_name=row.family_name, values=row.values or None, app_role_ids=row.app_role_ids,
            idempotency_key=row_operation_key(job, row))))
    else:
        if row.changes_metadata:
            requests.append(("operation", lambda: user_metadata_edit_request(
                actor=actor, organization=organization, user_id=row.user_id, values=row.values,
                idempotency_key=row_operation_key(job, row, "metadata"))))
        if row.changes_block:
            requests.append(("block_operation", lambda: user_action_request(
                actor=actor, organization=organization, user_id=row.user_id,
                action=USER_ACTIONS["block" if row.block else "unblock"],
                idempotency_key=row_operation_key(job, row, "block"))))
        for role_id in row.app_role_ids:  # each an assignment of its own, found again by its key
            requests.append((ROLES_PART, partial(app_role_assign_request, actor=actor, organization=organization,
                                                 user_id=row.user_id, role_id=role_id,
                                                 idempotency_key=row_role_operation_key(job, row, role_id))))
    for field, request in requests:
        try:
            with transaction.atomic():
                queued.append((field, request()))
        except (ValidationError, PermissionDenied) as exc:
            refusals.append(_refusal_text(exc))
        except Http404:
            refusals.append(f"{row.email} is no longer a user of {organization.display_name}.")
    for field, operation in queued:
        if field != ROLES_PART:  # an assignment's row is found by its key
            setattr(row, field, operation)
    row.outcome = BulkRow.Outcome.QUEUED if queued else BulkRow.Outcome.SKIPPED
    row.outcome_message = " ".join(refusals) if refusals else ""
    if not queued:
        row.finished_at = timezone.now()
    row.save(update_fields=["operation", "block_operation", "outcome", "outcome_message", "finished_at"])
    return bool(queued)


def _refusal_text(exc: ValidationError | PermissionDenied) -> str:
    """A service's refusal as the row's report says it: a metadata field's error named by its field
    (``user_metadata.department: Enter a value…``), since a row has many; the email's and the rest as they are."""
    if not isinstance(exc, ValidationError) or not hasattr(exc, "error_dict"):
        return refusal_message(exc)
    return " ".join(message if name in (NON_FIELD_ERRORS, "email") else f"{name}: {message}"
                    for name, messages in exc.message_dict.items() for message in messages)


def _job_finish(job: BulkJob) -> None:
    job.finished_at = timezone.now()
    if job.status == BulkJob.Status.RUNNING:
        job.status = BulkJob.Status.FINISHED
    job.save(update_fields=["status", "finished_at", "updated_at"])
    outcomes = bulk_row_counts(job, "outcome")
    text = bulk_counts_text(outcomes, dict(BulkRow.Outcome.choices))
    ended = "cancelled" if job.status == BulkJob.Status.CANCELLED else "finished"
    audit_record(actor=None, action="bulk.job_finished", organization=job.organization, target_type="bulk_job",
                 target_id=str(job.pk), summary=f"Bulk onboarding {ended} ({job.total_rows:,} rows): {text}",
                 details={"outcomes": outcomes})
