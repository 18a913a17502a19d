"""The Operation life cycle: claim, retries scheduled by Celery, permanent failure, and the sweeper."""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery import shared_task
from celery.exceptions import Retry
from celery.signals import task_retry
from django.utils import timezone

from portal.models import AuditEvent, Operation
from portal.operations import (
    operation_claim,
    operation_create,
    operation_enqueue_on_commit,
    operation_execute,
    operations_sweep,
)
from users.gateway import Auth0Permanent, Auth0RateLimited, Auth0Transient

pytestmark = pytest.mark.django_db

OUTCOMES: list = []


def _handler(operation: Operation) -> dict:
    outcome = OUTCOMES.pop(0)
    if isinstance(outcome, Exception):
        raise outcome
    return outcome(operation) if callable(outcome) else outcome


@shared_task(bind=True, name="tests.portal.test_operations.scripted")
def scripted(self, operation_id: str) -> None:
    operation_execute(self, operation_id, _handler)


@pytest.fixture
def operation(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        op = operation_create(kind="test_kind", actor=None, target="x")
        operation_enqueue_on_commit(op, scripted)
    OUTCOMES.clear()
    return op


def test_success_is_recorded_with_an_audit_event(operation) -> None:
    OUTCOMES.append({"done": True})
    scripted.apply(args=[str(operation.id)])
    operation.refresh_from_db()
    assert (operation.status, operation.attempts, operation.result) == ("succeeded", 1, {"done": True})
    assert AuditEvent.objects.filter(operation=operation, action="test_kind.succeeded").exists()


def test_a_finished_operation_is_never_run_again(operation) -> None:
    OUTCOMES.append({})
    scripted.apply(args=[str(operation.id)])
    scripted.apply(args=[str(operation.id)])  # a redelivered message
    operation.refresh_from_db()
    assert operation.attempts == 1 and OUTCOMES == []


def test_only_one_run_can_hold_the_claim(operation) -> None:
    assert operation_claim(str(operation.id)) is not None
    assert operation_claim(str(operation.id)) is None


@pytest.fixture
def retries():
    """Every retry Celery schedules: its Retry (``when`` is the countdown) and the operation as it
    was recorded at that moment."""
    seen: list[tuple[Retry, Operation]] = []

    def record(sender=None, reason=None, request=None, **kwargs):
        seen.append((reason, Operation.objects.get(pk=request.args[0])))

    task_retry.connect(record, weak=False)
    yield seen
    task_retry.disconnect(record)


def test_rate_limit_is_rescheduled_at_the_reset_time(operation, retries) -> None:
    OUTCOMES.extend([Auth0RateLimited("Too Many Requests", reset_at=0, retry_after=42), {"ok": True}])
    before = timezone.now()
    scripted.apply(args=[str(operation.id)])  # .apply() runs the scheduled retry at once
    [(retry, released)] = retries
    assert retry.when == 42
    assert (released.status, released.last_error) == ("pending", "Rate limited by Auth0; retrying in 42s")
    assert released.next_attempt_at >= before + timedelta(seconds=42)
    operation.refresh_from_db()
    assert (operation.status, operation.attempts) == ("succeeded", 2)


def test_transient_failure_is_retried_with_backoff(operation, retries) -> None:
    OUTCOMES.extend([Auth0Transient("Service Unavailable", status=503), {"ok": True}])
    scripted.apply(args=[str(operation.id)])
    [(retry, released)] = retries
    assert 1 <= retry.when <= 2 and released.status == "pending"
    operation.refresh_from_db()
    assert (operation.status, operation.attempts) == ("succeeded", 2)


def test_transient_failure_gives_up_after_the_last_attempt(operation, retries) -> None:
    Operation.objects.filter(pk=operation.pk).update(attempts=7)
    OUTCOMES.append(Auth0Transient("Service Unavailable", status=503))
    scripted.apply(args=[str(operation.id)])
    operation.refresh_from_db()
    assert operation.status == "failed" and "gave up after 8 attempts" in operation.last_error
    assert retries == []


def test_permanent_failure_keeps_auth0s_message(operation) -> None:
    OUTCOMES.append(Auth0Permanent("PasswordStrengthError: Password is too weak", status=400))
    scripted.apply(args=[str(operation.id)])
    operation.refresh_from_db()
    assert operation.status == "failed" and operation.last_error == "PasswordStrengthError: Password is too weak"
    assert AuditEvent.objects.filter(operation=operation, action="test_kind.failed").exists()


def test_sweeper_resends_lost_operations_only(operation, published_tasks) -> None:
    old = timezone.now() - timedelta(hours=1)
    fresh = operation_create(kind="test_kind", actor=None)
    fresh.task_name = scripted.name
    fresh.save()
    done = operation_create(kind="test_kind", actor=None)
    Operation.objects.filter(pk=done.pk).update(status="succeeded", task_name=scripted.name, updated_at=old)
    dead = operation_create(kind="test_kind", actor=None)
    Operation.objects.filter(pk=dead.pk).update(status="running", task_name=scripted.name, started_at=old)
    Operation.objects.filter(pk=operation.pk).update(updated_at=old)

    assert operations_sweep() == 2
    assert published_tasks == [scripted.name, scripted.name]
    # Not sent again on the next sweep: the grace period starts over.
    assert operations_sweep() == 0
