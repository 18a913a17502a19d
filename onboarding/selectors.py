"""Reads of bulk jobs, always scoped: a job is reached only through an organization the principal administers."""

from __future__ import annotations

import uuid

from django.db.models import Count, QuerySet
from django.http import Http404

from onboarding.models import BulkJob, BulkRow
from organizations.access.authorization import require_org_admin
from organizations.models import Organization
from portal.audit import stored_text
from portal.principal import Principal


def bulk_job_list(*, principal: Principal, organization: Organization) -> QuerySet[BulkJob]:
    """The organization's jobs, newest first (its admins and company admins only)."""
    require_org_admin(principal, organization)
    return BulkJob.objects.filter(organization=organization).order_by("-created_at")


def bulk_job_get(*, principal: Principal, organization: Organization, job_id: str | uuid.UUID) -> BulkJob:
    """One of the organization's jobs; 404 for any other id (another organization's included)."""
    try:
        job_uuid = uuid.UUID(str(job_id))
    except ValueError:
        raise Http404("No such bulk job.") from None
    job = bulk_job_list(principal=principal, organization=organization).filter(pk=job_uuid).first()
    if job is None:
        raise Http404("No such bulk job.")
    return job


# What a preview or a report can be narrowed to.
ROW_FILTERS = {
    "errors": {"action": BulkRow.Action.ERROR},
    "invite": {"action": BulkRow.Action.INVITE},
    "add": {"action": BulkRow.Action.ADD},
    "update": {"action": BulkRow.Action.UPDATE},
    "nothing": {"action": BulkRow.Action.NOTHING},
    "failed": {"outcome": BulkRow.Outcome.FAILED},
    "done": {"outcome": BulkRow.Outcome.DONE},
    "skipped": {"outcome": BulkRow.Outcome.SKIPPED},
    "cancelled": {"outcome": BulkRow.Outcome.CANCELLED},
    "under_way": {"outcome": BulkRow.Outcome.QUEUED},
}


def bulk_row_list(*, job: BulkJob, show: str = "") -> QuerySet[BulkRow]:
    """The job's rows in the file's order, narrowed by one of ``ROW_FILTERS`` (all when ``show`` is empty or
    unknown). ``job`` comes from :func:`bulk_job_get`, which scoped it."""
    return job.rows.filter(**ROW_FILTERS.get(show, {})).order_by("line")


def bulk_row_counts(job: BulkJob, by: str) -> dict[str, int]:
    """How many of the job's rows have each ``action`` or ``outcome`` (``by``), by its value."""
    return dict(job.rows.values_list(by).annotate(n=Count("pk")).order_by())


def bulk_action_counts(job: BulkJob) -> dict[str, int]:
    """How many rows the check planned for each action (by the action's value)."""
    return bulk_row_counts(job, "action")


def bulk_counts_text(counts: dict[str, int], labels: dict[str, str]) -> str:
    """Counts as the audit trail's summaries say them (stored: in English): "invite 12, update 3"."""
    return ", ".join(f"{stored_text(labels.get(key, key)).lower()} {n:,}" for key, n in sorted(counts.items()) if n)
