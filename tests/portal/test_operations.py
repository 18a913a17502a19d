"""The Operation life cycle: claim, retries scheduled by Celery, permanent failure, and the sweeper."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
import redis.exceptions
from celery import shared_task
from celery.exceptions import Retry, SoftTimeLimitExceeded
from celery.signals import task_retry
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone

from auth0_gateway import Auth0Permanent, Auth0RateLimited, Auth0Transient, Auth0Unauthorized
from portal.celery import app
from portal.faults import PermanentFault
from portal.models import AuditEvent, Operation, OperationKind
from portal.operations import (
    MAX_TRANSIENT_ATTEMPTS,
    WAITING_FOR_EARLIER,
    backoff_seconds,
    operation_claim,
    operation_create,
    operation_enqueue_on_commit,
    operation_execute,
    operation_task_name,
    operation_task_register,
    operation_tasks,
    operations_sweep,
    task_retry_or_raise,
)

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


@shared_task(bind=True, name="tests.portal.test_operations.scripted_plain")
def scripted_plain(self) -> dict:
    """A task that is not an operation (a sync step, a refresh): retried by task_retry_or_raise."""
    try:
        return _handler(None)
    except Exception as exc:
        task_retry_or_raise(self, exc)


@pytest.fixture
def operation(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        op = operation_create(kind="test_kind", actor=None, target="x", task_name=scripted.name)
        operation_enqueue_on_commit(op)
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


def test_rate_limit_is_rescheduled_at_the_reset_time_with_jitter(operation, retries) -> None:
    OUTCOMES.extend([Auth0RateLimited("Too Many Requests", reset_at=0, retry_after=42), {"ok": True}])
    before = timezone.now()
    scripted.apply(args=[str(operation.id)])  # .apply() runs the scheduled retry at once
    [(retry, released)] = retries
    # At the reset, and not all at the same instant: up to a quarter of the wait (and a second) later.
    assert 42 <= retry.when <= 42 + 1 + 42 / 4
    assert released.status == "pending"
    assert released.last_error == f"Rate limited by Auth0; retrying in {retry.when:.0f}s"
    assert released.next_attempt_at >= before + timedelta(seconds=42)
    operation.refresh_from_db()
    # Waiting for the rate limit is not an attempt of the work.
    assert (operation.status, operation.attempts) == ("succeeded", 1)


def test_no_token_in_the_shared_budget_reschedules_without_calling_auth0(operation, retries) -> None:
    waiting = Auth0RateLimited("Waiting for the portal's share", status=None, retry_after=7)
    waiting.by_budget = True
    OUTCOMES.extend([waiting, {"ok": True}])
    scripted.apply(args=[str(operation.id)])
    [(retry, released)] = retries
    assert retry.when == 7  # the budget's wait carries its own jitter; none is added
    assert released.last_error == "Waiting for the Management API rate limit; retrying in 7s"
    operation.refresh_from_db()
    assert (operation.status, operation.attempts) == ("succeeded", 1)


def test_a_run_out_of_budget_books_its_token_and_the_retry_spends_it_without_asking_again(
        operation, retries, monkeypatch) -> None:
    """The run meets an empty budget: it books the next token (due in 10 s), is released until exactly then, and
    its retry spends that token without asking the bucket (which a thousand waiting runs would otherwise ask every
    few seconds). Through the gateway's own budget hook, on a Redis bucket of the test's own."""
    import time as real_time

    from auth0_gateway.budget import BudgetHooks
    from portal import ratelimit
    from portal.ratelimit import Limit, RateLimiter
    from tests.support.budget import IsolatedRedisStore

    store = IsolatedRedisStore()
    limit = Limit(burst=1, per_minute=6)  # a token every 10 s
    hooks = BudgetHooks(RateLimiter(store, {"other": limit}, reserve_seconds=60), "https://tenant.test/api/v2")
    clock = {"offset": 0.0}  # the retry's countdown passes at once (.apply() runs it at once)
    monkeypatch.setattr(ratelimit, "time", type("Clock", (), {"time": staticmethod(
        lambda: real_time.time() + clock["offset"])}))
    task_retry.connect(lambda request=None, reason=None, **kw: clock.update(offset=clock["offset"] + reason.when),
                       weak=False, dispatch_uid="advance-clock")
    calls = []

    def create_user(op: Operation) -> dict:
        hooks.request(httpx.Request("POST", "https://tenant.test/api/v2/users"))  # raises when out of budget
        calls.append(op.attempts)
        return {"ok": True}

    try:
        hooks.request(httpx.Request("POST", "https://tenant.test/api/v2/users"))  # someone spends the burst
        OUTCOMES.extend([create_user, create_user])
        scripted.apply(args=[str(operation.id)])
    finally:
        task_retry.disconnect(dispatch_uid="advance-clock")
        tokens = store.tokens("other", limit)
        store.clear()
    [(retry, released)] = retries
    assert 9 < retry.when <= 10 and retry.when != round(retry.when)  # when the token is due, not a round second
    assert set(released.result["budget_held"]) == {"other"}
    assert -1.2 < tokens < -0.5  # one token lent ahead, and asked for once (a second booking would be -2)
    operation.refresh_from_db()
    assert (operation.status, operation.result, calls) == ("succeeded", {"ok": True}, [1])


def _budget_wait(seconds: int = 7) -> Auth0RateLimited:
    waiting = Auth0RateLimited("Waiting for the portal's share", status=None, retry_after=seconds)
    waiting.by_budget = True
    return waiting


def test_rate_limit_waits_go_on_past_celerys_own_retry_count(operation, retries) -> None:
    """Celery refuses a task's fourth retry unless told otherwise (its default max_retries, 3): a queue
    that waits for the budget five times in a row must still get its turn, not stall until the sweeper."""
    OUTCOMES.extend([_budget_wait(), Auth0RateLimited("Too Many Requests", retry_after=1), _budget_wait(),
                     _budget_wait(), _budget_wait(), {"ok": True}])
    scripted.apply(args=[str(operation.id)])
    assert len(retries) == 5 and OUTCOMES == []
    operation.refresh_from_db()
    assert (operation.status, operation.attempts) == ("succeeded", 1)


def test_waits_for_the_rate_limit_leave_the_retries_of_passing_faults_intact(operation, retries) -> None:
    """An operation that waited long for the budget still has its retries for Auth0's passing faults."""
    Operation.objects.filter(pk=operation.pk).update(attempts=MAX_TRANSIENT_ATTEMPTS - 2)
    OUTCOMES.extend([_budget_wait(), _budget_wait(), Auth0Transient("Service Unavailable", status=503),
                     {"ok": True}])
    scripted.apply(args=[str(operation.id)])
    operation.refresh_from_db()
    assert (operation.status, operation.attempts) == ("succeeded", MAX_TRANSIENT_ATTEMPTS)


def test_backoff_is_capped_by_the_setting(settings) -> None:
    settings.OPERATIONS_BACKOFF_MAX_SECONDS = 3
    assert all(1 <= backoff_seconds(attempt) <= 3 for attempt in (1, 5, 29, 500))


def test_a_task_that_is_no_operation_waits_for_the_rate_limit_past_celerys_retry_count() -> None:
    OUTCOMES[:] = [_budget_wait(1) for _ in range(5)] + [{"ok": True}]
    assert scripted_plain.apply().get() == {"ok": True}


def test_transient_failure_is_retried_with_backoff(operation, retries) -> None:
    OUTCOMES.extend([Auth0Transient("Service Unavailable", status=503), {"ok": True}])
    scripted.apply(args=[str(operation.id)])
    [(retry, released)] = retries
    assert 1 <= retry.when <= 2 and released.status == "pending"
    operation.refresh_from_db()
    assert (operation.status, operation.attempts) == ("succeeded", 2)


def test_transient_failure_gives_up_after_the_last_attempt(operation, retries) -> None:
    Operation.objects.filter(pk=operation.pk).update(attempts=MAX_TRANSIENT_ATTEMPTS - 1)
    OUTCOMES.append(Auth0Transient("Service Unavailable", status=503))
    scripted.apply(args=[str(operation.id)])
    operation.refresh_from_db()
    assert operation.status == "failed" and f"gave up after {MAX_TRANSIENT_ATTEMPTS} attempts" in operation.last_error
    assert retries == []


def test_permanent_failure_keeps_auth0s_message(operation) -> None:
    OUTCOMES.append(Auth0Permanent("PasswordStrengthError: Password is too weak", status=400))
    scripted.apply(args=[str(operation.id)])
    operation.refresh_from_db()
    assert operation.status == "failed" and operation.last_error == "PasswordStrengthError: Password is too weak"
    assert AuditEvent.objects.filter(operation=operation, action="test_kind.failed").exists()


def test_sweeper_resends_lost_operations_only(operation, published_tasks) -> None:
    old = timezone.now() - timedelta(hours=1)
    operation_create(kind="test_kind", actor=None, task_name=scripted.name)  # pending, but not for long
    done = operation_create(kind="test_kind", actor=None, task_name=scripted.name)
    Operation.objects.filter(pk=done.pk).update(status="succeeded", task_name=scripted.name, updated_at=old)
    dead = operation_create(kind="test_kind", actor=None, task_name=scripted.name)
    Operation.objects.filter(pk=dead.pk).update(status="running", task_name=scripted.name, started_at=old)
    Operation.objects.filter(pk=operation.pk).update(updated_at=old)

    assert operations_sweep() == 2
    assert published_tasks == [scripted.name, scripted.name]
    # Not sent again on the next sweep: the grace period starts over.
    assert operations_sweep() == 0


# -- what ends an operation and what is retried ----------------------------------------------------------
@pytest.mark.parametrize(
    ("fault", "shown"),
    [
        (OperationalError("database is locked"), "The portal's database was unavailable (OperationalError: "
                                                  "database is locked)"),
        (InterfaceError("connection already closed"), "The portal's database was unavailable (InterfaceError: "
                                                      "connection already closed)"),
        (SoftTimeLimitExceeded(), "Took longer than the 60s time limit"),
        (ConnectionResetError(104, "Connection reset by peer"), "Network error (ConnectionResetError: "),
        (httpx.ConnectError("All connection attempts failed"), "Network error (ConnectError: "),
        (redis.exceptions.ConnectionError("Error 111 connecting"), "Network error (ConnectionError: "),
        (Auth0Transient("Service Unavailable", status=503), "Auth0 unavailable ([503] Service Unavailable)"),
    ],
    ids=["database-locked", "database-connection-lost", "soft-time-limit", "socket-reset", "httpx-connect",
         "redis-connection", "auth0-5xx"],
)
def test_passing_faults_are_retried_with_backoff(operation, retries, fault, shown) -> None:
    OUTCOMES.extend([fault, {"ok": True}])
    scripted.apply(args=[str(operation.id)])
    [(retry, released)] = retries
    assert released.status == "pending" and released.last_error.startswith(shown), released.last_error
    assert "retrying in" in released.last_error and 1 <= retry.when <= 2
    operation.refresh_from_db()
    assert (operation.status, operation.attempts, operation.last_error) == ("succeeded", 2, "")


def test_an_unforeseen_error_is_retried_without_its_text_on_the_page(operation, retries) -> None:
    OUTCOMES.extend([KeyError("secret-ish detail"), {"ok": True}])
    scripted.apply(args=[str(operation.id)])
    [(retry, released)] = retries
    assert released.last_error.startswith("Unexpected error (KeyError); retrying in")
    assert "secret-ish" not in released.last_error
    operation.refresh_from_db()
    assert (operation.status, operation.attempts) == ("succeeded", 2)


def test_an_unforeseen_error_gives_up_after_the_last_attempt(operation, retries) -> None:
    Operation.objects.filter(pk=operation.pk).update(attempts=MAX_TRANSIENT_ATTEMPTS - 1)
    OUTCOMES.append(KeyError("again"))
    scripted.apply(args=[str(operation.id)])
    operation.refresh_from_db()
    assert operation.status == "failed" and retries == []
    assert operation.last_error == f"Unexpected error (KeyError); gave up after {MAX_TRANSIENT_ATTEMPTS} attempts"


@pytest.mark.parametrize(
    ("fault", "shown"),
    [
        (ValidationError("An organization keeps at least one admin: appoint another admin first."),
         "An organization keeps at least one admin: appoint another admin first."),
        (PermissionDenied("You cannot grant a role above your own."), "You cannot grant a role above your own."),
        (PermanentFault("The shared connection “x” does not exist in the tenant."),
         "The shared connection “x” does not exist in the tenant."),
        (Auth0Unauthorized("Auth0 refused the portal's Management API token", status=401),
         "Auth0 refused the portal's Management API token"),
        (Operation.DoesNotExist("Operation matching query does not exist."),
         "What this acts on no longer exists (Operation matching query does not exist.)"),
    ],
    ids=["rule-broken", "not-allowed", "permanent-fault", "credentials-refused", "object-gone"],
)
def test_known_permanent_failures_end_the_operation_at_once(operation, retries, fault, shown) -> None:
    OUTCOMES.append(fault)
    scripted.apply(args=[str(operation.id)])
    operation.refresh_from_db()
    assert (operation.status, operation.attempts, operation.last_error) == ("failed", 1, shown)
    assert retries == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="terminating a live connection needs a database server (CI's PostgreSQL pass runs it)")
def test_a_database_connection_killed_mid_operation_is_retried_on_a_new_one(retries) -> None:
    """The server drops the worker's connection while the work runs: the outcome is still recorded
    (on a new connection) and the work is retried, not failed for good."""
    operation = operation_create(kind="test_kind", actor=None, task_name=scripted.name)
    OUTCOMES.clear()

    def kill_own_connection(op: Operation) -> dict:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return {}

    OUTCOMES.extend([kill_own_connection, {"ok": True}])
    scripted.apply(args=[str(operation.id)])
    [(retry, released)] = retries
    assert released.last_error.startswith("The portal's database was unavailable"), released.last_error
    operation.refresh_from_db()
    assert (operation.status, operation.attempts) == ("succeeded", 2)


# -- one target, one operation at a time, in the order asked -----------------------------------------------
def _on_target(target: str) -> Operation:
    return operation_create(kind="test_kind", actor=None, target=target, task_name=scripted.name)


def test_a_later_operation_on_the_same_target_waits_for_the_earlier_one(
    django_capture_on_commit_callbacks, published_tasks
) -> None:
    """Retries and redeliveries bring messages in any order: the edit asked for last must be the one that
    stays, so a later operation on the same user runs only once the earlier one has finished."""
    OUTCOMES.clear()
    first, second = _on_target("auth0|same"), _on_target("auth0|same")
    scripted.apply(args=[str(second.id)])  # its message came first
    second.refresh_from_db()
    assert (second.status, second.attempts, second.last_error) == ("pending", 0, WAITING_FOR_EARLIER)
    OUTCOMES.append({"first": True})
    with django_capture_on_commit_callbacks(execute=True):
        scripted.apply(args=[str(first.id)])
    # The earlier one, finished, sends the one waiting behind it.
    assert published_tasks == [scripted.name]
    OUTCOMES.append({"second": True})
    scripted.apply(args=[str(second.id)])
    second.refresh_from_db()
    assert (second.status, second.result) == ("succeeded", {"second": True}) and OUTCOMES == []


def test_a_failed_earlier_operation_lets_the_next_one_run(django_capture_on_commit_callbacks, published_tasks) -> None:
    OUTCOMES[:] = [PermanentFault("No such user.")]
    first, second = _on_target("auth0|gone"), _on_target("auth0|gone")
    with django_capture_on_commit_callbacks(execute=True):
        scripted.apply(args=[str(first.id)])
    assert published_tasks == [scripted.name]
    OUTCOMES.append({"ok": True})
    scripted.apply(args=[str(second.id)])
    second.refresh_from_db()
    assert second.status == "succeeded"


def test_the_sweeper_sends_the_head_of_a_line_not_those_waiting_behind_it(published_tasks) -> None:
    """A later operation waiting for an earlier one on its target is not lost: the earlier one sends it
    when it finishes. Only if that message is lost too does the sweeper send it."""
    first, second = _on_target("auth0|line"), _on_target("auth0|line")
    old = timezone.now() - timedelta(hours=1)
    Operation.objects.filter(pk__in=[first.pk, second.pk]).update(updated_at=old)
    assert operations_sweep() == 1
    assert list(Operation.objects.filter(next_attempt_at__isnull=False).values_list("pk", flat=True)) == [first.pk]
    Operation.objects.filter(pk=first.pk).update(status="succeeded")  # and the message it sent was lost
    assert operations_sweep(now=timezone.now() + timedelta(hours=1)) == 1
    assert published_tasks == [scripted.name, scripted.name]


def test_operations_on_other_targets_do_not_wait() -> None:
    OUTCOMES[:] = [{"ok": True}, {"ok": True}]
    _on_target("auth0|one")
    others = [_on_target("auth0|two"), operation_create(kind="test_kind", actor=None, task_name=scripted.name)]
    for other in others:  # another target, and an operation with none
        scripted.apply(args=[str(other.id)])
        other.refresh_from_db()
        assert other.status == "succeeded"


def test_every_operation_kind_has_a_registered_task() -> None:
    """Services send tasks by name: a kind without a task, or a misspelt name, would queue into nothing. Each
    package registers its kinds' tasks when Django starts (its AppConfig.ready imports its tasks)."""
    app.loader.import_default_modules()
    registered = operation_tasks()
    assert set(registered) == set(OperationKind.values)
    missing = {kind: name for kind, name in registered.items() if name not in app.tasks}
    assert not missing, missing


def test_a_kind_has_one_task_and_an_unregistered_kind_is_named() -> None:
    kind = OperationKind.USER_INVITE
    operation_task_register(kind, operation_task_name(kind))  # the same again: nothing changes
    with pytest.raises(ImproperlyConfigured, match="user_invite.* are carried out by users.tasks.user_invite"):
        operation_task_register(kind, "users.tasks.something_else")
    with pytest.raises(ImproperlyConfigured, match="'no_such_kind' is not an operation kind"):
        operation_task_register("no_such_kind", "users.tasks.user_invite")
    with pytest.raises(ImproperlyConfigured, match="No task carries out operations of kind 'no_such_kind'"):
        operation_task_name("no_such_kind")
    assert operation_tasks()[kind] == "users.tasks.user_invite"


def test_a_run_stores_its_refusal_in_english_whatever_language_it_was_started_in(operation) -> None:
    from django.utils import translation
    from django.utils.translation import gettext

    # A refusal built when the run makes it (as the services' checks are), in a German request's thread.
    OUTCOMES.append(lambda _op: (_ for _ in ()).throw(ValidationError(gettext("Choose one of the languages offered."))))
    with translation.override("de"):
        scripted.apply(args=[str(operation.id)])
        assert translation.get_language() == "de"  # the request's language is back afterwards
    operation.refresh_from_db()
    assert operation.status == "failed" and "Choose one of the languages offered." in operation.last_error
