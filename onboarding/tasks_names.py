"""The names of onboarding's Celery tasks, so services queue them without importing the tasks module."""

from __future__ import annotations

from django.db import transaction

from portal.celery import app

CHECK_TASK = "onboarding.tasks.bulk_job_check"
ADVANCE_TASK = "onboarding.tasks.bulk_job_advance"


def task_send_on_commit(task_name: str, job_id) -> None:
    """Send ``task_name`` for the job once the current transaction commits (robust: should the broker be down,
    the sweeper, ``onboarding.tasks.bulk_jobs_sweep``, sends it later)."""
    job_id = str(job_id)
    transaction.on_commit(lambda: app.send_task(task_name, args=[job_id]), robust=True)
