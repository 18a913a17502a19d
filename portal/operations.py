"""The life of an Operation: recorded by a service, claimed and finished by exactly one task run.

A task never trusts that it is the only delivery of its message (acks_late, sweeper re-enqueues): it
claims the operation with a conditional UPDATE, and only the run that wins the claim calls Auth0.

Operations on the same target (a user, an email) are carried out one at a time, in the order they were
asked for, whatever order retries and redeliveries bring their messages in: an edit asked for last is the
one that stays, and an unblock asked for after a block leaves the user unblocked. An operation whose
target has an earlier one unfinished waits; when an operation finishes, the next one waiting on its
target is sent.

Services never import tasks: each kind of operation has its Celery task registered here by the package that
owns it (:func:`operation_task`), and the task is sent by name once the transaction that recorded the
operation commits.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, NoReturn, TypeVar

import httpx
import kombu.exceptions
import redis.exceptions
from celery import Task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import Count, Exists, F, Max, OuterRef, Q
from django.dispatch import Signal
from django.utils import timezone, translation
from structlog.contextvars import bound_contextvars

from portal.audit import audit_record, stored_text
from portal.celery import app
from portal.faults import PermanentFault, RateLimitedFault, TransientFault
from portal.models import Operation, OperationKind
from portal.observability.logs import context_bind
from portal.observability.metrics import OPERATIONS_FINISHED
from portal.principal import Principal
from portal.ratelimit import budget_reservations

# Sent inside the transaction that recorded an operation's outcome (succeeded or failed); argument:
# operation. The packages above (the API's events and webhooks) listen; this base layer knows none of them.
operation_finished = Signal()

log = logging.getLogger(__name__)
T = TypeVar("T")

# Passing failures are retried this many times: with backoff growing to OPERATIONS_BACKOFF_MAX_SECONDS
# (5 minutes), about an hour of Auth0 failing before the operation fails and a person is asked. Waits for
# the rate limit are not attempts (they are not failures of the work) and do not count.
MAX_TRANSIENT_ATTEMPTS = 30
# A run that has held its claim longer than this died (worker killed): its operation may be claimed again.
STALE_CLAIM = timedelta(seconds=settings.OPERATIONS_STALE_CLAIM_SECONDS)


# The Celery task that carries out each kind of operation, by name. Each package registers its own kinds'
# tasks (:func:`operation_task`, on the task itself) when Django starts (its AppConfig.ready imports its
# tasks module), so that this base names none of the layers above it.
_OPERATION_TASKS: dict[str, str] = {}


def operation_task_register(kind: str, task_name: str) -> None:
    """Say which Celery task carries out operations of ``kind``; a kind has one task."""
    kind = str(kind)
    if kind not in OperationKind.values:
        raise ImproperlyConfigured(f"{kind!r} is not an operation kind (portal.models.OperationKind).")
    registered = _OPERATION_TASKS.setdefault(kind, task_name)
    if registered != task_name:
        raise ImproperlyConfigured(f"Operations of kind {kind!r} are carried out by {registered}; "
                                   f"{task_name} cannot be registered for them too.")


def operation_task(*kinds: str) -> Callable[[Task], Task]:
    """Register the decorated Celery task (put it above ``@shared_task``) as the one that carries out
    operations of ``kinds``."""
    def register(task: Task) -> Task:
        for kind in kinds:
            operation_task_register(kind, task.name)
        return task
    return register


def operation_tasks() -> dict[str, str]:
    """Every kind's task, as registered (a copy)."""
    return dict(_OPERATION_TASKS)


def operation_task_name(kind: str) -> str:
    """The task that carries out operations of ``kind`` (ImproperlyConfigured when no package registered one:
    a kind added without its task, or an app not installed)."""
    try:
        return _OPERATION_TASKS[str(kind)]
    except KeyError:
        raise ImproperlyConfigured(f"No task carries out operations of kind {kind!r}: register one with "
                                   "portal.operations.operation_task on the task (docs/adding-an-act.md).") from None


def operation_create(
    *, kind: str, actor: Principal | None, organization=None, target: str = "",
    payload: dict[str, Any] | None = None, idempotency_key: str | None = None, task_name: str | None = None,
) -> Operation:
    """Record an operation (inside the caller's transaction); ``task_name`` defaults to its kind's task."""
    return Operation.objects.create(
        kind=kind,
        organization=organization,
        target=target,
        actor_user_id=actor.user_id if actor else "",
        actor_display=(actor.display if actor else "") or "system",
        payload=payload or {},
        idempotency_key=idempotency_key or f"{kind}:{uuid.uuid4()}",
        task_name=task_name or operation_task_name(kind),
    )


def operation_create_alone(*, refusal: ValidationError, **fields: Any) -> Operation:
    """:func:`operation_create`, for a kind the database holds to one unfinished operation per target
    (``portal.models.ONE_AT_A_TIME``), inside the caller's transaction. Two requests at the same instant both
    pass the caller's check; the database's index lets one record its operation and refuses the other here with
    ``refusal``, the caller's own refusal (the savepoint undoes the failed insert alone)."""
    try:
        with transaction.atomic():
            return operation_create(**fields)
    except IntegrityError:
        key = fields.get("idempotency_key")
        if key and Operation.objects.filter(idempotency_key=key).exists():
            raise  # the same request twice at once (its Idempotency-Key taken): the caller's idempotency answers it
        if not Operation.objects.filter(kind=fields["kind"], target__iexact=fields.get("target", ""),
                                        status__in=_UNFINISHED).exists():
            raise
        raise refusal from None


def operation_enqueue_on_commit(operation: Operation) -> None:
    """Send the operation's task once the transaction that recorded the operation has committed."""
    task_name, operation_id = operation.task_name, str(operation.id)
    transaction.on_commit(lambda: _operation_send(task_name, operation_id))


def _operation_send(task_name: str, operation_id: str) -> None:
    # The operation's id joins the request's context for its message (portal.celery carries it to the task).
    with bound_contextvars(operation_id=operation_id):
        app.send_task(task_name, args=[operation_id])
        log.info("operation %s queued (%s)", operation_id, task_name)


_UNFINISHED = (Operation.Status.PENDING, Operation.Status.RUNNING)
WAITING_FOR_EARLIER = "Waiting for an earlier operation on the same user to finish"


def _earlier_unfinished() -> Exists:
    """An unfinished operation asked for before the outer one, on the same target (in the order of
    creation; the id breaks a tie)."""
    return Exists(Operation.objects.filter(
        Q(created_at__lt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), pk__lt=OuterRef("pk")),
        target=OuterRef("target"), status__in=_UNFINISHED,
    ))


# An operation still pending this long after its last change (or after its scheduled retry) lost its
# message (broker restarted, enqueue failed after commit): the sweeper sends it again. Sending twice is
# harmless, since only one run can claim it, but the grace keeps a long queue from being flooded.
SWEEP_GRACE = timedelta(seconds=settings.OPERATIONS_SWEEP_GRACE_SECONDS)
SWEEP_BATCH = 500


def operations_sweep(*, now=None) -> int:
    """Re-send the task of every operation that looks lost; returns how many were sent."""
    now = now or timezone.now()
    not_resent_lately = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lt=now - SWEEP_GRACE)
    # One waiting behind an earlier operation on its target is not lost: that one sends it when it finishes.
    not_waiting_its_turn = Q(target="") | ~_earlier_unfinished()
    lost_pending = (Q(status=Operation.Status.PENDING, updated_at__lt=now - SWEEP_GRACE) & not_resent_lately
                    & not_waiting_its_turn)
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
    """Move the operation to running if nobody else holds it and no earlier operation on its target is
    unfinished; None if it is finished, claimed elsewhere, or waiting its turn."""
    now = timezone.now()
    claimable = Q(status=Operation.Status.PENDING) | Q(
        status=Operation.Status.RUNNING, started_at__lt=now - STALE_CLAIM
    )
    its_turn = Q(target="") | ~_earlier_unfinished()
    won = Operation.objects.filter(claimable, its_turn, pk=operation_id).update(
        status=Operation.Status.RUNNING, started_at=now, attempts=F("attempts") + 1, next_attempt_at=None,
    )
    return Operation.objects.get(pk=operation_id) if won else None


def operation_wait_turn(operation_id: str) -> bool:
    """If the operation is pending behind an earlier one on its target, say so on it and return True (the
    earlier one sends it when it finishes; the sweeper, should that message be lost)."""
    return bool(Operation.objects.filter(_earlier_unfinished(), pk=operation_id, status=Operation.Status.PENDING)
                .exclude(target="").update(last_error=WAITING_FOR_EARLIER, next_attempt_at=timezone.now()))


def _next_in_line_send(operation: Operation) -> None:
    """Once ``operation`` has finished, send the operation that waits next on its target, if any."""
    if not operation.target:
        return
    following = (Operation.objects.filter(target=operation.target, status=Operation.Status.PENDING)
                 .exclude(task_name="").order_by("created_at", "pk").values_list("pk", "task_name").first())
    if following is not None:
        app.send_task(following[1], args=[str(following[0])])


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
            summary=summary or f"{stored_text(operation.get_kind_display)}: done",
            operation=operation, details={"result": operation.result},
        )
        operation_finished.send(sender=Operation, operation=operation)
        transaction.on_commit(lambda: OPERATIONS_FINISHED.labels(operation.kind, "succeeded").inc())
        # Robust: the outcome is recorded; should the broker be down, the sweeper sends the next one.
        transaction.on_commit(lambda: _next_in_line_send(operation), robust=True)


def operation_fail(operation: Operation, message: str) -> None:
    with transaction.atomic():
        operation.status = Operation.Status.FAILED
        operation.last_error = message
        operation.finished_at = timezone.now()
        operation.save(update_fields=["status", "last_error", "finished_at", "updated_at"])
        audit_record(
            actor=None, action=f"{operation.kind}.failed", organization=operation.organization,
            target_type="operation", target_id=operation.target,
            summary=f"{stored_text(operation.get_kind_display)}: failed: {message}"[:500],
            operation=operation,
        )
        operation_finished.send(sender=Operation, operation=operation)
        transaction.on_commit(lambda: OPERATIONS_FINISHED.labels(operation.kind, "failed").inc())
        transaction.on_commit(lambda: _next_in_line_send(operation), robust=True)


def operation_release(operation: Operation, message: str, delay_seconds: float, *, attempted: bool = True,
                      budget_held: dict[str, list[list[float]]] | None = None) -> None:
    """Give the claim back so the retry (sent with a countdown) can take it. ``attempted=False``: the run
    only waited (for the rate limit), so the claim's attempt is taken back. ``budget_held``: the tokens the
    run booked and did not spend (``portal.ratelimit.budget_reservations``), for its retry."""
    operation.status = Operation.Status.PENDING
    operation.last_error = message
    operation.next_attempt_at = timezone.now() + timedelta(seconds=delay_seconds)
    if not attempted:
        operation.attempts = max(0, operation.attempts - 1)
    result = {key: value for key, value in (operation.result or {}).items() if key != BUDGET_HELD}
    operation.result = {**result, BUDGET_HELD: budget_held} if budget_held else result
    operation.save(update_fields=["status", "last_error", "next_attempt_at", "attempts", "result", "updated_at"])


# The tokens of the shared budget a released run booked for its retry (group → [due, booked at] of each), in the
# operation's result until it succeeds (its result replaces them) or fails.
BUDGET_HELD = "budget_held"


def operation_budget_held(operation: Operation) -> dict[str, list[list[float]]]:
    """The tokens earlier runs of ``operation`` booked and its next run spends first."""
    return dict((operation.result or {}).get(BUDGET_HELD) or {})


# What a run has read, for the runs that retry it. A run released to wait for the budget (or after a passing
# fault) starts again from the top, so whatever it read it would read again, spending the budget every other
# run waits on: bulk invitations, whose runs mostly wait for the tickets' budget after reading, read each email
# 3.3 times (issue 19). What a run learned and its retries may take as still true is noted on the operation,
# in its result under this key, written at once (a released or killed run records no outcome). The act says
# which facts are safe to trust (a note must never stand in for a check that guards against a duplicate). The
# notes go when the operation succeeds (its result replaces them) or is sent again from the operations page
# (``operation_notes_forget``): a retry a person asks for, perhaps long after, reads afresh.
RUN_NOTES = "run_notes"


def operation_notes(operation: Operation) -> dict[str, Any]:
    """What earlier runs of ``operation`` noted (:func:`operation_note`); {} for a first run."""
    return dict((operation.result or {}).get(RUN_NOTES) or {})


def operation_note(operation: Operation, **facts: Any) -> None:
    """Note ``facts`` on the operation for the runs that retry it. Only the run holding the claim writes
    the result until the outcome, so the update needs no lock."""
    operation.result = {**(operation.result or {}), RUN_NOTES: {**operation_notes(operation), **facts}}
    Operation.objects.filter(pk=operation.pk).update(result=operation.result)


def operation_notes_forget(operation: Operation) -> None:
    """Drop the runs' notes from ``operation.result`` (the caller saves it): its next run reads afresh."""
    operation.result = {key: value for key, value in (operation.result or {}).items() if key != RUN_NOTES}


def backoff_seconds(attempt: int) -> float:
    """Exponential backoff with full jitter: 2, 4, 8 … seconds, capped at OPERATIONS_BACKOFF_MAX_SECONDS."""
    ceiling = max(1, min(settings.OPERATIONS_BACKOFF_MAX_SECONDS, 2 ** min(attempt, 32)))
    return random.uniform(1, ceiling)  # noqa: S311 - jitter, not cryptography


def _retry(task: Task, delay: float, exc: Exception | None = None) -> Exception:
    """The retry of ``task`` in ``delay`` seconds. Whether to retry is decided here (by the operation's
    attempts, or the caller's count), never by Celery's own count of retries, which would refuse a fourth
    (its default max_retries, 3) however long a rate limit has kept the work waiting."""
    return task.retry(countdown=delay, max_retries=task.request.retries + 1, exc=exc)


# Network failures that happen outside the gateway's own mapping (a download, a mail server, the cache).
_NETWORK_ERRORS = (
    OSError, httpx.TransportError, redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
    kombu.exceptions.OperationalError,
)


# What an operation waiting on a rate limit says (and how the budget page finds the waiting ones).
RATE_WAIT_BUDGET = "Waiting for the Management API rate limit"
RATE_WAIT_AUTH0 = "Rate limited by Auth0"


def operations_waiting_on_rate_limits() -> dict[str, Any]:
    """How many operations are waiting for the Management API budget or Auth0's reset, and by when
    the last of them is due again (None if none waits)."""
    waiting = Operation.objects.filter(
        Q(last_error__startswith=RATE_WAIT_BUDGET) | Q(last_error__startswith=RATE_WAIT_AUTH0),
        status=Operation.Status.PENDING,
    )
    summary = waiting.aggregate(count=Count("pk"), last_due=Max("next_attempt_at"))
    return {"count": summary["count"], "last_due": summary["last_due"]}


@dataclass(frozen=True)
class Failure:
    """What to do about an exception from an operation's work."""

    retry: bool
    message: str
    # Seconds until the retry; None: exponential backoff by attempt.
    delay: float | None = None
    # Retried without the attempts cap (a rate limit is not a failure of the work).
    unlimited: bool = False
    # Not a condition anyone foresaw: log the traceback.
    unexpected: bool = False


def failure_classify(exc: BaseException) -> Failure:
    """Only failures known to be permanent end an operation; passing faults and anything unforeseen
    are retried with backoff (and end after ``MAX_TRANSIENT_ATTEMPTS``)."""
    if isinstance(exc, RateLimitedFault):
        # The budget's own wait is when a token is due (booked for this run, or jittered already); Auth0's
        # reset is whole seconds, at least one.
        delay = max(float(exc.retry_after or 0), 0.05) if exc.by_budget else max(float(exc.retry_after or 1), 1.0)
        if not exc.by_budget:
            # Everyone Auth0 refused waits for the same reset: spread the returns (the budget's own
            # waits carry their jitter already).
            delay += random.uniform(0, 1 + delay / 4)  # noqa: S311 - jitter, not cryptography
        message = RATE_WAIT_BUDGET if exc.by_budget else RATE_WAIT_AUTH0
        return Failure(retry=True, message=message, delay=min(delay, settings.CELERY_MAX_COUNTDOWN_SECONDS),
                       unlimited=True)
    if isinstance(exc, PermanentFault):
        return Failure(retry=False, message=getattr(exc, "message", "") or str(exc))
    if isinstance(exc, ValidationError):
        # A rule checked again when the work ran (a role above the actor's, the last admin, …).
        return Failure(retry=False, message=" ".join(exc.messages))
    if isinstance(exc, PermissionDenied):
        return Failure(retry=False, message=str(exc) or "Not allowed.")
    if isinstance(exc, ObjectDoesNotExist):
        return Failure(retry=False, message=f"What this acts on no longer exists ({exc})")
    if isinstance(exc, TransientFault):
        return Failure(retry=True, message=f"Auth0 unavailable ({exc})")
    if isinstance(exc, SoftTimeLimitExceeded):
        return Failure(retry=True, message=f"Took longer than the {settings.CELERY_TASK_SOFT_TIME_LIMIT}s time limit")
    if isinstance(exc, OperationalError | InterfaceError):
        return Failure(retry=True, message=f"The portal's database was unavailable ({_brief(exc)})")
    if isinstance(exc, _NETWORK_ERRORS):
        return Failure(retry=True, message=f"Network error ({_brief(exc)})")
    # Only the type: an unforeseen exception's text may carry data that belongs in the log, not on a page.
    return Failure(retry=True, message=f"Unexpected error ({type(exc).__name__})", unexpected=True)


def _brief(exc: BaseException) -> str:
    text = " ".join(str(exc).split())[:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _database_connection_recover() -> None:
    """After a database error, drop a connection that no longer works so the outcome can be recorded
    on a new one. Inside a transaction someone else owns (tests), the connection is left alone."""
    if not connection.in_atomic_block:
        connection.close_if_unusable_or_obsolete()


def operation_execute(task: Task, operation_id: str, apply: Callable[[Operation], dict[str, Any]]) -> None:
    """Claim the operation, run ``apply`` (a service that does the work) and record the outcome.

    Failures are classified by :func:`failure_classify`: a rate limit is rescheduled at Auth0's reset
    time, passing faults with backoff, by Celery (never by sleeping in the worker); only failures known
    to be permanent end the operation at once.
    """
    # What a run stores (its error, its result, the audit summaries it writes) is written once, in English,
    # and translated where a page shows a label: a worker runs in the portal's language, and so does a run
    # made inside someone's request (tests, eager runs), whatever language that request was answered in.
    with translation.override(settings.LANGUAGE_CODE):
        _operation_execute(task, operation_id, apply)


def _operation_execute(task: Task, operation_id: str, apply: Callable[[Operation], dict[str, Any]]) -> None:
    """The run itself, in the portal's language."""
    context_bind(operation_id=str(operation_id))
    operation = operation_claim(operation_id)
    if operation is None:
        if operation_wait_turn(operation_id):
            log.info("operation %s waits for an earlier operation on its target", operation_id)
        else:
            log.info("operation %s is finished or held by another run; nothing to do", operation_id)
        return
    try:
        with budget_reservations(operation_budget_held(operation)) as reservations:
            result = apply(operation)
    except Exception as exc:
        failure = failure_classify(exc)
        if failure.unexpected:
            log.exception("operation %s (%s) failed unexpectedly", operation_id, operation.kind)
        else:
            log.warning("operation %s (%s): %s", operation_id, operation.kind, failure.message)
        if isinstance(exc, OperationalError | InterfaceError):
            _database_connection_recover()
        if not failure.retry:
            operation_fail(operation, failure.message)
            return
        if not failure.unlimited and operation.attempts >= MAX_TRANSIENT_ATTEMPTS:
            operation_fail(operation, f"{failure.message}; gave up after {operation.attempts} attempts")
            return
        delay = failure.delay if failure.delay is not None else backoff_seconds(operation.attempts)
        operation_release(operation, f"{failure.message}; retrying in {delay:.0f}s", delay,
                          attempted=not failure.unlimited, budget_held=reservations.unspent())
        raise _retry(task, delay) from exc
    operation_succeed(operation, result)


def task_retry_or_raise(task: Task, exc: Exception) -> NoReturn:
    """For tasks that are not operations (syncs, refreshes, reads): retry a passing fault as
    :func:`operation_execute` would (Auth0's reset time, or backoff, capped), re-raise anything else."""
    failure = failure_classify(exc)
    if not failure.retry or (not failure.unlimited and task.request.retries + 1 >= MAX_TRANSIENT_ATTEMPTS):
        raise exc
    if failure.unexpected:
        log.exception("task %s failed unexpectedly; retrying", task.name)
    if isinstance(exc, OperationalError | InterfaceError):
        _database_connection_recover()
    delay = failure.delay if failure.delay is not None else backoff_seconds(task.request.retries + 1)
    raise _retry(task, delay, exc)


def task_attempt(task: Task, work: Callable[[], T]) -> T:
    """Do the work of a task that is not an operation (a refresh, a read): its passing faults are retried as
    :func:`task_retry_or_raise` says, anything else raised."""
    try:
        return work()
    except Exception as exc:
        task_retry_or_raise(task, exc)
