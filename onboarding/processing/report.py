"""A job's report: per row, the file's own cells, what the check planned and what happened, as a CSV that is
streamed from the rows kept with the job (``portal.web.csv_export`` makes it safe for spreadsheets)."""

from __future__ import annotations

from collections.abc import Iterator

from onboarding.intake.columns import ROLES_SEPARATOR
from onboarding.models import BulkJob, BulkRow

REPORT_COLUMNS = ("line", "planned", "check", "outcome", "outcome_detail", "auth0_user_id")


def bulk_report_rows(job: BulkJob) -> Iterator[list]:
    """The header (the report's own columns, then the file's), then one line per row of the file."""
    headers = [header for header, _spec in job.columns]
    yield [*REPORT_COLUMNS, *headers]
    actions, outcomes = dict(BulkRow.Action.choices), dict(BulkRow.Outcome.choices)
    rows = job.rows.order_by("line").select_related("operation").only(
        "line", "cells", "action", "message", "outcome", "outcome_message", "user_id", "operation__result")
    for row in rows.iterator(chunk_size=2000):
        user_id = row.user_id or ((row.operation.result or {}).get("user_id", "") if row.operation else "")
        yield [row.line, actions.get(row.action, row.action), row.message, outcomes.get(row.outcome, row.outcome),
               row.outcome_message, user_id, *(_cell(row.cells.get(h, "")) for h in headers)]


def _cell(value: object) -> object:
    """A cell as the file had it: the API's list of roles as a file writes it."""
    return ROLES_SEPARATOR.join(map(str, value)) if isinstance(value, list) else value


def bulk_report_filename(job: BulkJob) -> str:
    return f"bulk-{job.organization.slug}-{job.created_at:%Y%m%d-%H%M}-report.csv"
