"""The operations cluster driver's bulk onboarding commands (tests/support/operations_driver.py dispatches
to them): members made to update, a job made from a CSV file on disk through the upload's service, checked
and confirmed as the pages do, waited for while the sweepers run as beat runs them, and a report of what
became of every row in the portal and in the tenant.

Run inside the driver process (Django is set up there); each function is one command.
"""

from __future__ import annotations

import logging
import os
import resource
import time
from collections import Counter
from pathlib import Path
from typing import Any

log = logging.getLogger("operations_driver")


def _admin(organization):
    from organizations.selectors import principal_for_user_id
    from tests.support.operations_driver import _admin_id

    return principal_for_user_id(_admin_id(organization.slug), f"Admin of {organization.display_name}")


def bulk_members_create(slug: str, prefix: str, count: int) -> list[dict[str, str]]:
    """``count`` people already in the organization, in the tenant and the directory (made directly: the
    caller turns the tenant's faults and limits off first). Returns their user ids and emails."""
    from organizations.models import Organization
    from tests.support.operations_driver import _persist, _plain_gateway
    from users.acts.invite import password_random
    from users.directory.mirror import directory_user_write_through

    organization = Organization.objects.get(slug=slug)
    shared = organization.membership_mode == "shared_connection"
    auth0 = _plain_gateway()
    made = []
    for n in range(count):
        email = f"{prefix}-{n:05d}@{slug}.test"
        user = _persist(lambda e=email: auth0.user_create(
            connection=organization.connection_name, email=e, password=password_random(),
            app_metadata={"organizations": [slug]} if shared else None), "create")
        ids = None
        if organization.membership_mode == "auth0_organization":
            _persist(lambda u=user: auth0.organization_members_add(
                organization_id=organization.auth0_organization_id, user_ids=[u["user_id"]]), "member")
            ids = [organization.auth0_organization_id]
        directory_user_write_through(user, auth0_organization_ids=ids)
        made.append({"user_id": user["user_id"], "email": email})
    auth0.close()
    return made


def bulk_upload(slug: str, path: str) -> dict[str, Any]:
    """The upload as the page makes it: ``bulk_job_create`` on the file streamed from disk (its check is
    queued for a worker). Returns the job's id, the seconds it took and this process's peak RSS."""
    from onboarding.services import bulk_job_create
    from organizations.models import Organization

    organization = Organization.objects.get(slug=slug)
    started = time.monotonic()
    with open(path, "rb") as file:
        job = bulk_job_create(actor=_admin(organization), organization=organization, file=file,
                              file_name=Path(path).name, size=os.path.getsize(path))
    return {"job": str(job.pk), "rows": job.total_rows, "seconds": time.monotonic() - started,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def bulk_start(job: str) -> dict[str, Any]:
    """The admin confirms the checked job; returns what the check planned (actions with their counts)."""
    from onboarding.models import BulkJob
    from onboarding.selectors import bulk_action_counts
    from onboarding.services import bulk_job_start

    bulk_job = BulkJob.objects.select_related("organization").get(pk=job)
    counts = bulk_action_counts(bulk_job)
    bulk_job_start(actor=_admin(bulk_job.organization), job=bulk_job)
    return {"actions": counts}


def bulk_cancel(job: str) -> None:
    """The admin cancels the job: rows not sent yet never are; those under way finish."""
    from onboarding.models import BulkJob
    from onboarding.services import bulk_job_cancel

    bulk_job = BulkJob.objects.select_related("organization").get(pk=job)
    bulk_job_cancel(actor=_admin(bulk_job.organization), job=bulk_job)


def bulk_wait(job: str, timeout: float, statuses: list[str] | None = None, rows_ended: int | None = None,
              sweep_every: float = 2.0, poll: float = 0.5) -> dict[str, Any]:
    """Run both sweepers every ``sweep_every`` seconds (the operations' and the bulk jobs', as beat runs them
    every minute) until the job is in one of ``statuses`` (with nothing of it left to finish) or
    ``rows_ended`` of its rows have an outcome other than under way, or ``timeout`` seconds have passed."""
    from django.db import close_old_connections
    from django.db.models import Count

    from onboarding.models import BulkJob, BulkRow
    from onboarding.tasks import bulk_jobs_sweep
    from portal.operations import operations_sweep

    deadline = time.monotonic() + timeout
    next_sweep, swept, sweep_errors = time.monotonic() + sweep_every, 0, 0
    ended = (BulkRow.Outcome.DONE, BulkRow.Outcome.FAILED, BulkRow.Outcome.SKIPPED, BulkRow.Outcome.CANCELLED)
    while True:
        bulk_job = BulkJob.objects.get(pk=job)
        outcomes = dict(bulk_job.rows.values_list("outcome").annotate(n=Count("pk")).order_by())
        reached = (statuses is not None and bulk_job.status in statuses
                   and (bulk_job.status in (BulkJob.Status.READY, BulkJob.Status.CHECKING)
                        or bulk_job.finished_at is not None)) or (
            rows_ended is not None and sum(outcomes.get(o, 0) for o in ended) >= rows_ended)
        if reached or time.monotonic() > deadline:
            return {"status": bulk_job.status, "outcomes": outcomes, "swept": swept, "sweep_errors": sweep_errors,
                    "timed_out": not reached, "checked_rows": bulk_job.checked_rows,
                    "created_at": bulk_job.created_at.timestamp(),
                    "checked_at": bulk_job.checked_at.timestamp() if bulk_job.checked_at else None,
                    "started_at": bulk_job.started_at.timestamp() if bulk_job.started_at else None,
                    "finished_at": bulk_job.finished_at.timestamp() if bulk_job.finished_at else None}
        if time.monotonic() >= next_sweep:
            for sweeper in (operations_sweep, bulk_jobs_sweep):
                try:
                    swept += sweeper()
                except Exception as exc:  # the broker is down: beat's next tick tries again
                    sweep_errors += 1
                    log.warning("sweep failed: %s: %s", type(exc).__name__, exc)
                    close_old_connections()
            next_sweep = time.monotonic() + sweep_every
        time.sleep(poll)


def bulk_report(job: str, metadata: bool = True) -> dict[str, Any]:
    """Every row of the job as the portal recorded it, with its operations (every operation keyed
    ``bulk:<job>:…``) and what the tenant holds for it: for an invitation, the users with its email, their
    tickets and the portal's emails; for an update, the person's metadata and block. Read without faults
    or rate limits (the caller turns the emulator's off first). ``metadata=False``: the portal's side only."""
    from onboarding.models import BulkJob
    from portal.models import Operation, OutboxMessage
    from tests.support.operations_driver import METADATA_FIELDS, _plain_gateway, _tickets_by_user
    from users.models import DirectoryUser

    bulk_job = BulkJob.objects.get(pk=job)
    operations: dict[str, list[dict[str, Any]]] = {}
    for op in Operation.objects.filter(idempotency_key__startswith=f"bulk:{job}:"):
        line = op.idempotency_key.split(":")[2]
        operations.setdefault(line, []).append({"key": op.idempotency_key, "kind": op.kind, "status": op.status,
                                                "attempts": op.attempts, "last_error": op.last_error})
    keys = [(target, key) for target, key, *_ in METADATA_FIELDS]
    emails_to: Counter = Counter()
    tickets: Counter = Counter()
    auth0 = None
    if metadata:
        for recipients in OutboxMessage.objects.values_list("recipients", flat=True):
            for address in recipients.split(", "):
                emails_to[address] += 1
        tickets = _tickets_by_user()
        auth0 = _plain_gateway()
    directory = {u.user_id: u for u in DirectoryUser.objects.filter(
        email__in=bulk_job.rows.values_list("email", flat=True))}

    def held(user: dict | DirectoryUser) -> dict[str, dict[str, Any]]:
        get = (lambda t: user.get(t) or {}) if isinstance(user, dict) else (lambda t: getattr(user, t) or {})
        return {t: {k: get(t).get(k) for tt, k in keys if tt == t} for t in dict(keys)}

    rows = []
    for row in bulk_job.rows.order_by("line"):
        item = {"line": row.line, "email": row.email, "action": row.action, "message": row.message,
                "outcome": row.outcome, "outcome_message": row.outcome_message, "values": row.values,
                "block": row.block, "changes_metadata": row.changes_metadata, "changes_block": row.changes_block,
                "operations": operations.get(str(row.line), [])}
        if auth0 is not None:
            users = auth0.users_by_email(email=row.email)
            item["users"] = [{"user_id": u["user_id"],
                              "connections": [i["connection"] for i in u.get("identities", [])],
                              "metadata": held(u), "blocked": bool(u.get("blocked")),
                              "tickets": tickets.get(u["user_id"], 0),
                              "directory": held(directory[u["user_id"]]) if u["user_id"] in directory else None,
                              "directory_blocked": directory[u["user_id"]].blocked if u["user_id"] in directory
                              else None} for u in users]
            item["emails"] = emails_to.get(row.email, 0)
        rows.append(item)
    if auth0 is not None:
        auth0.close()
    finished_at = bulk_job.finished_at.timestamp() if bulk_job.finished_at else None
    return {"status": bulk_job.status, "finished_at": finished_at,
            "rows": rows, "other_keys": sorted(k for line, ops in operations.items() if not line.isdigit()
                                                for k in (o["key"] for o in ops))}


def bulk_ready() -> bool:
    """Nothing: answers once the process is set up (a caller timing the next command waits for it first)."""
    return True


COMMANDS = {"bulk_ready": bulk_ready, "bulk_members_create": bulk_members_create, "bulk_upload": bulk_upload,
            "bulk_start": bulk_start, "bulk_cancel": bulk_cancel, "bulk_wait": bulk_wait, "bulk_report": bulk_report}
