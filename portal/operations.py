"""The life of an Operation: recorded by a service, claimed and finished by exactly one task run.

A task never trusts that it is the only delivery of its message (acks_late, sweeper re-enqueues): it
claims the operation with a conditional UPDATE, and only the run that wins the claim calls Auth0.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from celery import Task
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from portal.audit import audit_record
from portal.models import Operation
from portal.principal import Principal

log = logging.getLogger(__name__)

MAX_TRANSIENT_ATTEMPTS = 8
# A run that has held its claim longer than this died (worker killed): its operation may be claimed again.
STALE_CLAIM = timedelta(seconds=max(300, 2 * settings.CELERY_TASK_TIME_LIMIT))


def operation_create(
    *, kind: str, actor: Principal | None, organization=None, target: str = "",
    payload: dict[str, Any] | None = None, idempotency_key: str | None = None,
) -> Operation:
    """Record an operation (inside the caller's transaction)."""
    return Operation.objects.create(
        kind=kind,
        organization=organization,
        target=target,
        actor_user_id=actor.user_id if actor else "",
        actor_display=(actor.display if actor else "") or "system",
        payload=payload or {},
        idempotency_key=idempotency_key or f"{kind}:{uuid.uuid4()}",
    )


def operation_enqueue_on_commit(operation: Operation, task: Task) -> None:
    """Send the task once the transaction that recorded the operation has committed."""
    operation.task_name = task.name
    operation.save(update_fields=["task_name"])
    operation_id = str(operation.id)
    transaction.on_commit(lambda: task.apply_async(args=[operation_id]))


# An operation still pending this long after its last change (or after its scheduled retry) lost its
# message (broker restarted, enqueue failed after commit): the sweeper sends it again. Sending twice is
# harmless, since only one run can claim it, but the grace keeps a long queue from being flooded.
SWEEP_GRACE = timedelta(minutes=10)
SWEEP_BATCH = 500


def operations_sweep(*, now=None) -> int:
    """Re-send the task of every operation that looks lost; returns how many were sent."""
    from portal.celery import app

    now = now or timezone.now()
    not_resent_lately = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lt=now - SWEEP_GRACE)
    lost_pending = Q(status=Operation.Status.PENDING, updated_at__lt=now - SWEEP_GRACE) & not_resent_lately
    dead_running = Q(status=Operation.Status.RUNNING, started_at__lt=now - STALE_CLAIM) & not_resent_lately
    candidates = list(
        Operation.objects.filter(lost_pending | dead_running).exclude(task_name="")
        .order_by("updated_at").values_list("pk", "task_name")[:SWEEP_BATCH]
    )
    for pk, task_name in candidates:
        # Not again before another grace period, however long the queue is.
        Operation.objects.filter(pk=pk).update(next_attempt_at=now)
        app.send_task(task_name, args=[str(pk)])
    if candidates:
        log.warning("operations sweeper re-sent %d operation(s) that looked lost", len(candidates))
    return len(candidates)


def operation_claim(operation_id: str) -> Operation | None:
    """Move the operation to running if nobody else holds it; None if finished or claimed elsewhere."""
    now = timezone.now()
    claimable = Q(status=Operation.Status.PENDING) | Q(
        status=Operation.Status.RUNNING, started_at__lt=now - STALE_CLAIM
    )
    won = Operation.objects.filter(claimable, pk=operation_id).update(
        status=Operation.Status.RUNNING, started_at=now, attempts=F("attempts") + 1, next_attempt_at=None,
    )
    return Operation.objects.get(pk=operation_id) if won else None


def operation_succeed(operation: Operation, result: dict[str, Any] | None = None, summary: str = "") -> None:
    with transaction.atomic():
        operation.status = Operation.Status.SUCCEEDED
        operation.result = result or {}
        operation.last_error = ""
        operation.finished_at = timezone.now()
        operation.save(update_fields=["status", "result", "last_error", "finished_at", "updated_at"])
        audit_record(
            actor=None, action=f"{operation.kind}.succeeded", organization=operation.organization,
            target_type="operation", target_id=operation.target,
            summary=summary or f"{operation.kind.replace('_', ' ').capitalize()} succeeded",
            operation=operation, details={"result": operation.result},
        )


def operation_fail(operation: Operation, message: str) -> None:
    with transaction.atomic():
        operation.status = Operation.Status.FAILED
        operation.last_error = message
        operation.finished_at = timezone.now()
        operation.save(update_fields=["status", "last_error", "finished_at", "updated_at"])
        audit_record(
            actor=None, action=f"{operation.kind}.failed", organization=operation.organization,
            target_type="operation", target_id=operation.target,
            summary=f"{operation.kind.replace('_', ' ').capitalize()} failed: {message}"[:500],
            operation=operation,
        )


def operation_release(operation: Operation, message: str, delay_seconds: float) -> None:
    """Give the claim back so the retry (sent with a countdown) can take it."""
    operation.status = Operation.Status.PENDING
    operation.last_error = message
    operation.next_attempt_at = timezone.now() + timedelta(seconds=delay_seconds)
    operation.save(update_fields=["status", "last_error", "next_attempt_at", "updated_at"])


def backoff_seconds(attempt: int) -> float:
    """Exponential backoff with full jitter: 2, 4, 8 … seconds, capped at 5 minutes."""
    return random.uniform(1, min(300, 2 ** attempt))  # noqa: S311 - jitter, not cryptography


def operation_execute(task: Task, operation_id: str, handler: Callable[[Operation], dict[str, Any]]) -> None:
    """Claim the operation, run ``handler`` (which calls the gateway) and record the outcome.

    Rate limits are rescheduled at Auth0's reset time and transient failures retried with backoff,
    by Celery (never by sleeping in the worker); anything else ends the operation with Auth0's message.
    """
    from users.gateway import Auth0GatewayError, Auth0RateLimited, Auth0Transient

    operation = operation_claim(operation_id)
    if operation is None:
        log.info("operation %s is finished or held by another run; nothing to do", operation_id)
        return
    try:
        result = handler(operation)
    except Auth0RateLimited as exc:
        delay = min(max(float(exc.retry_after or 1), 1.0), settings.CELERY_MAX_COUNTDOWN_SECONDS)
        operation_release(operation, f"Rate limited by Auth0; retrying in {delay:.0f}s", delay)
        raise task.retry(countdown=delay, max_retries=None) from exc
    except Auth0Transient as exc:
        if operation.attempts >= MAX_TRANSIENT_ATTEMPTS:
            operation_fail(operation, f"Auth0 kept failing ({exc}); gave up after {operation.attempts} attempts")
            return
        delay = backoff_seconds(operation.attempts)
        operation_release(operation, f"Auth0 unavailable ({exc}); retrying", delay)
        raise task.retry(countdown=delay, max_retries=None) from exc
    except Auth0GatewayError as exc:
        operation_fail(operation, exc.message)
        return
    except (ValidationError, PermissionDenied) as exc:
        # A rule checked again at execution time (a role above the actor's, the last admin, …).
        messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        operation_fail(operation, " ".join(messages))
        return
    except Exception as exc:
        log.exception("operation %s (%s) failed unexpectedly", operation_id, operation.kind)
        operation_fail(operation, f"Unexpected error: {type(exc).__name__}")
        return
    operation_succeed(operation, result)
