"""Celery tasks of bulk onboarding: each calls one service (no rules here). They read and write the portal's
database only (each row's operations have their own tasks), so they run on the default queue."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from onboarding.models import BulkJob
from onboarding.processing import check, run
from onboarding.tasks_names import ADVANCE_TASK, CHECK_TASK
from portal.celery import app


def check_stale() -> timedelta:
    """A check that has not moved for this long lost its message or its worker: it is sent again
    (BULK_CHECK_STALE_SECONDS; the reliability tests shorten it)."""
    return timedelta(seconds=settings.BULK_CHECK_STALE_SECONDS)


@shared_task(name=CHECK_TASK, acks_late=True, soft_time_limit=1800, time_limit=1900)
def bulk_job_check(job_id: str) -> int:
    return check.bulk_job_check(job_id)


@shared_task(name=ADVANCE_TASK, acks_late=True)
def bulk_job_advance(job_id: str) -> int:
    return run.bulk_job_advance(job_id)


@shared_task(name="onboarding.tasks.bulk_jobs_sweep")
def bulk_jobs_sweep() -> int:
    """Beat runs this every minute: checks that stalled and every job still under way are sent again (what
    carries jobs on after a broker restart lost their messages); returns how many were sent."""
    now = timezone.now()
    stalled = BulkJob.objects.filter(status=BulkJob.Status.CHECKING, updated_at__lt=now - check_stale())
    active = BulkJob.objects.filter(status__in=(BulkJob.Status.RUNNING, BulkJob.Status.CANCELLED),
                                    finished_at__isnull=True)
    sent = 0
    for job_id in stalled.values_list("pk", flat=True):
        app.send_task(CHECK_TASK, args=[str(job_id)])
        sent += 1
    for job_id in active.values_list("pk", flat=True):
        app.send_task(ADVANCE_TASK, args=[str(job_id)])
        sent += 1
    return sent
