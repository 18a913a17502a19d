"""A bulk job's life, as an admin drives it: upload (the rows stored, the check queued), confirm, pause, resume,
cancel, discard. Each is a service: the actor's rights checked, one transaction, an audit event.

Nothing reaches Auth0 before the admin confirms: the check (``onboarding.processing.check``) reads the portal's
directory only. Confirming hands the job to ``onboarding.processing.run``, which sends its rows as operations a window
at a time.
"""

from __future__ import annotations

from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from onboarding.intake.columns import EMAIL, columns_resolve
from onboarding.intake.files import CsvRows, json_rows
from onboarding.models import SENT_ACTIONS, BulkJob, BulkRow
from onboarding.selectors import bulk_action_counts, bulk_counts_text
from onboarding.tasks_names import ADVANCE_TASK, CHECK_TASK, task_send_on_commit
from organizations.access.authorization import require_org_admin
from organizations.models import Organization
from portal.audit import audit_record
from portal.principal import Principal

# Rows are written this many at a time, so a file of 100,000 is never held whole in memory.
INSERT_BATCH = 2000


def _job_open(actor: Principal, organization: Organization) -> None:
    require_org_admin(actor, organization)
    if not organization.is_provisioned:
        raise ValidationError(_("%(organization)s is not connected to Auth0 yet: upload once its connection is ready "
                                "(its page shows the progress).") % {"organization": organization.display_name})


def _email_normal(value: Any) -> str:
    return str(value).strip().lower()[:320] if value is not None else ""


def _rows_store(job: BulkJob, email_header: str, rows) -> int:
    batch: list[BulkRow] = []
    total = 0
    for line, cells in rows:
        batch.append(BulkRow(job=job, line=line, cells=cells, email=_email_normal(cells.get(email_header))))
        if len(batch) >= INSERT_BATCH:
            BulkRow.objects.bulk_create(batch)
            total += len(batch)
            batch = []
    if batch:
        BulkRow.objects.bulk_create(batch)
        total += len(batch)
    if not total:
        raise ValidationError(_("The file has a header but no rows."), code="rows")
    return total


def bulk_job_create(*, actor: Principal, organization: Organization, file: IO[bytes] | None = None,
                    file_name: str = "", size: int | None = None, rows: Any = None,
                    idempotency_key: str | None = None, source: str | None = None) -> BulkJob:
    """A new job from an uploaded CSV ``file`` (streamed; ``size`` in bytes, checked against the limit) or from
    the API's JSON ``rows``; its check is queued. A problem with the file as a whole is a ValidationError and
    nothing is kept. With ``idempotency_key`` (the API's), the job made the first time is returned again.
    ``source`` says where it came from (by default: the page for a file, the API for rows)."""
    _job_open(actor, organization)
    if idempotency_key:
        earlier = BulkJob.objects.filter(idempotency_key=idempotency_key).first()
        if earlier is not None:
            if earlier.organization_id != organization.pk:  # a key is the caller's, for one job: never another's
                raise ValidationError(_("This idempotency key was used for a job of another organization."))
            return earlier
    if (file is None) == (rows is None):
        raise ValidationError(_("Send a CSV file or rows, not both."))
    if file is not None:
        limit = settings.BULK_UPLOAD_MAX_BYTES
        if size is not None and size > limit:
            raise ValidationError(_("The file is %(size)s MB: the limit is %(limit)s MB. Split it into smaller "
                                    "files.") % {"size": number_format(round(size / 1_000_000, 1), 1),
                                                 "limit": number_format(round(limit / 1_000_000))}, code="size")
        reader = CsvRows(file)
        headers, records, default_source = reader.headers, reader, BulkJob.Source.PAGE
    else:
        headers, records = json_rows(rows)
        default_source = BulkJob.Source.API
    source = source or default_source
    columns = columns_resolve(organization, headers)
    email_header = columns.headers[columns.specs.index(EMAIL)]
    with transaction.atomic():
        job = BulkJob.objects.create(
            organization=organization, actor_user_id=actor.user_id, actor_display=actor.display or actor.user_id,
            source=source, file_name=(file_name or "")[:255], columns=columns.as_json(),
            idempotency_key=idempotency_key or None,
        )
        job.total_rows = _rows_store(job, email_header, records)
        job.save(update_fields=["total_rows", "updated_at"])
        audit_record(actor=actor, action="bulk.job_uploaded", organization=organization, target_type="bulk_job",
                     target_id=str(job.pk), summary=f"Uploaded {job.total_rows:,} rows for bulk onboarding"
                     + (f" ({job.file_name})" if job.file_name else ""))
        task_send_on_commit(CHECK_TASK, job.pk)
    return job


def _job_locked(job: BulkJob) -> BulkJob:
    return BulkJob.objects.select_for_update().select_related("organization").get(pk=job.pk)


# A job's status within a sentence ("it is running"), as each language says it there.
_STATUS_SAID = {
    BulkJob.Status.CHECKING: pgettext_lazy("bulk job status, within a sentence", "checking the file"),
    BulkJob.Status.READY: pgettext_lazy("bulk job status, within a sentence", "checked: waiting for confirmation"),
    BulkJob.Status.RUNNING: pgettext_lazy("bulk job status, within a sentence", "running"),
    BulkJob.Status.PAUSED: pgettext_lazy("bulk job status, within a sentence", "paused"),
    BulkJob.Status.CANCELLED: pgettext_lazy("bulk job status, within a sentence", "cancelled"),
    BulkJob.Status.FINISHED: pgettext_lazy("bulk job status, within a sentence", "finished"),
}


def _refuse(job: BulkJob, allowed: tuple[str, ...], what: str) -> None:
    if job.status not in allowed:
        refusals = {"started": _("This job cannot be started now: it is %(status)s."),
                    "paused": _("This job cannot be paused now: it is %(status)s."),
                    "resumed": _("This job cannot be resumed now: it is %(status)s."),
                    "cancelled": _("This job cannot be cancelled now: it is %(status)s."),
                    "discarded": _("This job cannot be discarded now: it is %(status)s.")}
        status = _STATUS_SAID.get(job.status) or job.get_status_display().lower()
        raise ValidationError(refusals[what] % {"status": status}, code="status")


def bulk_job_start(*, actor: Principal, job: BulkJob) -> BulkJob:
    """The admin confirmed the preview: the job runs. Rows with nothing to do or an error are skipped (the
    report keeps why); the others are sent as operations by ``onboarding.processing.run``."""
    require_org_admin(actor, job.organization)
    with transaction.atomic():
        job = _job_locked(job)
        _refuse(job, (BulkJob.Status.READY,), "started")
        job.rows.exclude(action__in=SENT_ACTIONS).update(outcome=BulkRow.Outcome.SKIPPED)
        job.status, job.started_at, job.changed_by = BulkJob.Status.RUNNING, timezone.now(), actor.display
        job.save(update_fields=["status", "started_at", "changed_by", "updated_at"])
        counts = bulk_action_counts(job)
        audit_record(actor=actor, action="bulk.job_started", organization=job.organization, target_type="bulk_job",
                     target_id=str(job.pk), summary="Started bulk onboarding: "
                     + bulk_counts_text(counts, dict(BulkRow.Action.choices)),
                     details={"actions": counts})
        _advance_on_commit(job)
    return job


def bulk_job_pause(*, actor: Principal, job: BulkJob) -> BulkJob:
    """No more rows are sent; those already under way finish."""
    return _status_change(actor, job, (BulkJob.Status.RUNNING,), BulkJob.Status.PAUSED, "paused", "bulk.job_paused",
                          "Paused bulk onboarding")


def bulk_job_resume(*, actor: Principal, job: BulkJob) -> BulkJob:
    return _status_change(actor, job, (BulkJob.Status.PAUSED,), BulkJob.Status.RUNNING, "resumed",
                          "bulk.job_resumed", "Resumed bulk onboarding")


def bulk_job_cancel(*, actor: Principal, job: BulkJob) -> BulkJob:
    """The rows not sent yet are never sent (the report says cancelled); those already under way finish."""
    return _status_change(actor, job, (BulkJob.Status.RUNNING, BulkJob.Status.PAUSED), BulkJob.Status.CANCELLED,
                          "cancelled", "bulk.job_cancelled", "Cancelled bulk onboarding")


def _status_change(actor: Principal, job: BulkJob, allowed: tuple[str, ...], status: str, what: str, action: str,
                   summary: str) -> BulkJob:
    require_org_admin(actor, job.organization)
    with transaction.atomic():
        job = _job_locked(job)
        _refuse(job, allowed, what)
        if status == BulkJob.Status.CANCELLED:
            cancelled = job.rows.filter(outcome=BulkRow.Outcome.NOT_RUN).update(
                outcome=BulkRow.Outcome.CANCELLED, outcome_message="Not sent: the job was cancelled.",
                finished_at=timezone.now())
            summary = f"{summary}: {cancelled:,} rows not sent"
        job.status, job.changed_by = status, actor.display
        job.save(update_fields=["status", "changed_by", "updated_at"])
        audit_record(actor=actor, action=action, organization=job.organization, target_type="bulk_job",
                     target_id=str(job.pk), summary=summary)
        _advance_on_commit(job)
    return job


def bulk_job_discard(*, actor: Principal, job: BulkJob) -> None:
    """A checked job nobody will run: it and its rows are deleted (nothing of it was sent to Auth0)."""
    require_org_admin(actor, job.organization)
    with transaction.atomic():
        job = _job_locked(job)
        _refuse(job, (BulkJob.Status.CHECKING, BulkJob.Status.READY), "discarded")
        audit_record(actor=actor, action="bulk.job_discarded", organization=job.organization,
                     target_type="bulk_job", target_id=str(job.pk),
                     summary=f"Discarded a checked bulk file of {job.total_rows:,} rows (nothing was sent)")
        job.delete()


def _advance_on_commit(job: BulkJob) -> None:
    task_send_on_commit(ADVANCE_TASK, job.pk)
