"""How far a job has got: each row's outcome recorded when its operations finish, and the job's progress (counts,
rate, time left) as its page and the API show it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric

from onboarding.models import SENT_ACTIONS, BulkJob, BulkRow
from onboarding.processing.run import row_role_operation_key
from onboarding.tasks_names import ADVANCE_TASK, task_send_on_commit
from portal.models import Operation

# The rate is measured over the rows finished in this last stretch of time (or since the start, if shorter).
RATE_WINDOW = timedelta(minutes=2)


def bulk_row_operation_finished(sender, operation: Operation, **kwargs) -> None:
    """``portal.operations.operation_finished``: inside the transaction that recorded the operation's outcome,
    the row it belongs to records its own once all its operations ended, and the job is advanced."""
    if not operation.idempotency_key.startswith("bulk:"):
        return
    row = _row_of(operation)
    if row is None or row.outcome in (BulkRow.Outcome.SKIPPED, BulkRow.Outcome.CANCELLED):
        return
    operations = [operation if o.pk == operation.pk else o for o in _row_operations(row) if o]
    if not all(o.is_finished for o in operations):
        return
    failed = [o for o in operations if o.status == Operation.Status.FAILED]
    row.outcome = BulkRow.Outcome.FAILED if failed else BulkRow.Outcome.DONE
    row.outcome_message = " ".join(o.last_error for o in failed) or _done_message(row, operations)
    row.finished_at = timezone.now()
    row.save(update_fields=["outcome", "outcome_message", "finished_at"])
    task_send_on_commit(ADVANCE_TASK, row.job_id)


def _row_of(operation: Operation) -> BulkRow | None:
    """The row an operation of a job was sent for, by its key (``bulk:<job>:<line>[:<part>]``, as
    ``onboarding.processing.run`` makes it)."""
    _bulk, job_id, line, *_part = operation.idempotency_key.split(":", 3)
    if not line.isdigit():
        return None
    return BulkRow.objects.select_related("operation", "block_operation").filter(job_id=job_id, line=int(line)).first()


def _row_operations(row: BulkRow) -> list[Operation]:
    """Every operation the run sent for the row: its invitation or metadata edit, its block, and a member's row's
    assignments of application roles (found by their keys)."""
    keys = [row_role_operation_key(row.job, row, role_id) for role_id in row.app_role_ids
            if row.action == BulkRow.Action.UPDATE]
    roles = list(Operation.objects.filter(idempotency_key__in=keys)) if keys else []
    return [o for o in (row.operation, row.block_operation) if o] + roles


def _done_message(row: BulkRow, operations: list[Operation]) -> str:
    if row.action in (BulkRow.Action.INVITE, BulkRow.Action.ADD):
        result = operations[0].result or {}
        if result.get("outcome") == "awaiting_acceptance":
            return "Invited to join: they have an account already and become a member when they accept."
        return "Invited: a set-password email was sent."
    return "Updated."


@dataclass(frozen=True)
class BulkProgress:
    status: str
    status_label: str
    total: int
    checked: int
    # Rows the run will send (invite, add, update), and how many of them ended, by outcome.
    to_send: int
    done: int
    failed: int
    skipped: int
    cancelled: int
    under_way: int
    # Rows the run will still send or is waiting on.
    left: int
    rows_per_minute: float | None
    seconds_left: float | None
    finished: bool

    @property
    def percent(self) -> int:
        if self.status == BulkJob.Status.CHECKING:
            return int(100 * self.checked / self.total) if self.total else 0
        return int(100 * (self.to_send - self.left) / self.to_send) if self.to_send else 100

    def as_json(self) -> dict:
        return {
            "status": self.status, "status_label": self.status_label, "total_rows": self.total,
            "checked_rows": self.checked, "rows_to_send": self.to_send, "done": self.done, "failed": self.failed,
            "skipped": self.skipped, "cancelled": self.cancelled, "under_way": self.under_way,
            "rows_left": self.left, "percent": self.percent, "rows_per_minute": self.rows_per_minute,
            "seconds_left": self.seconds_left,
            "finished": self.finished,
        }


def bulk_job_progress(job: BulkJob, *, now: datetime | None = None) -> BulkProgress:
    now = now or timezone.now()
    counts = job.rows.aggregate(
        to_send=Count("pk", filter=Q(action__in=SENT_ACTIONS)),
        done=Count("pk", filter=Q(outcome=BulkRow.Outcome.DONE)),
        failed=Count("pk", filter=Q(outcome=BulkRow.Outcome.FAILED)),
        skipped_sent=Count("pk", filter=Q(outcome=BulkRow.Outcome.SKIPPED, action__in=SENT_ACTIONS)),
        skipped=Count("pk", filter=Q(outcome=BulkRow.Outcome.SKIPPED)),
        cancelled=Count("pk", filter=Q(outcome=BulkRow.Outcome.CANCELLED)),
        under_way=Count("pk", filter=Q(outcome=BulkRow.Outcome.QUEUED)),
        recent=Count("pk", filter=Q(finished_at__gte=now - RATE_WINDOW, outcome__in=(
            BulkRow.Outcome.DONE, BulkRow.Outcome.FAILED))),
    ) if job.status != BulkJob.Status.CHECKING else {}
    left = (counts["to_send"] - counts["done"] - counts["failed"] - counts["skipped_sent"] - counts["cancelled"]
            if counts else 0)
    rate = seconds_left = None
    if job.started_at and counts.get("recent"):
        span = min(RATE_WINDOW, now - job.started_at).total_seconds()
        rate = counts["recent"] / max(span, 1) * 60
        seconds_left = left / rate * 60 if job.status == BulkJob.Status.RUNNING else None
    return BulkProgress(
        status=job.status, status_label=job.get_status_display(), total=job.total_rows, checked=job.checked_rows,
        to_send=counts.get("to_send", 0), done=counts.get("done", 0), failed=counts.get("failed", 0),
        skipped=counts.get("skipped", 0), cancelled=counts.get("cancelled", 0),
        under_way=counts.get("under_way", 0), left=left, rows_per_minute=round(rate, 1) if rate is not None else None,
        seconds_left=round(seconds_left) if seconds_left is not None else None,
        finished=job.finished_at is not None or job.status == BulkJob.Status.FINISHED,
    )


def bulk_metrics() -> Iterator[Metric]:
    """Bulk onboarding's pace for /metrics (PORTAL_METRICS_SOURCES): the jobs running and the rows they finished
    per minute over the last RATE_WINDOW, read through each running job's rows by outcome (an index)."""
    now = timezone.now()
    running = list(BulkJob.objects.filter(status=BulkJob.Status.RUNNING).values_list("pk", flat=True))
    recent = BulkRow.objects.filter(job__in=running, outcome__in=(BulkRow.Outcome.DONE, BulkRow.Outcome.FAILED),
                                    finished_at__gte=now - RATE_WINDOW).count() if running else 0
    jobs = GaugeMetricFamily("portal_bulk_jobs_running", "Bulk onboarding jobs running")
    jobs.add_metric([], len(running))
    rate = GaugeMetricFamily("portal_bulk_rows_per_minute", "Rows of running bulk jobs finished per minute, over "
                             f"the last {int(RATE_WINDOW.total_seconds())} seconds")
    rate.add_metric([], recent / RATE_WINDOW.total_seconds() * 60)
    yield from (jobs, rate)
