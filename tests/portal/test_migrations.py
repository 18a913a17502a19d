"""Migrations that change data: portal 0013 (one unfinished invitation per organization and email, a unique
index) ends the duplicates an earlier race left on their way, keeping every row, and onboarding 0002 records the
outcome of their bulk rows. Run against the migrations themselves, from the state before them."""

from __future__ import annotations

import uuid

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("portal", "0012_quota_count"), ("onboarding", "0001_initial")]
AFTER = [("portal", "0013_one_unfinished_invitation"), ("onboarding", "0002_rows_of_ended_duplicate_invitations")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _with_their_ancestors(targets):
    """``targets`` and, for every other app they depend on, its latest migration they knew: so that an app's
    later migrations (a NOT NULL column added since) are undone too and its tables match the models of then."""
    graph = MigrationExecutor(connection).loader.graph
    known = {node for target in targets for node in graph.forwards_plan(target)}
    apps = {app for app, _ in targets}
    latest: dict[str, str] = {}
    for app, name in known:
        if app not in apps and app in {"organizations", "portal", "onboarding", "users"}:
            latest[app] = max(latest.get(app, name), name)
    return [*targets, *latest.items()]


@pytest.fixture
def before_the_index():
    """The database as it was before the index; brought back to the latest migrations afterwards."""
    apps = _migrate(_with_their_ancestors(BEFORE))
    yield apps
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_duplicate_unfinished_invitations_are_ended_and_nothing_is_deleted(before_the_index) -> None:
    apps = before_the_index
    Organization = apps.get_model("organizations", "Organization")
    Operation = apps.get_model("portal", "Operation")
    BulkJob, BulkRow = apps.get_model("onboarding", "BulkJob"), apps.get_model("onboarding", "BulkRow")
    acme = Organization.objects.create(slug="acme", display_name="Acme", membership_mode="isolated_connection",
                                       connection_name="acme-users")
    beta = Organization.objects.create(slug="beta", display_name="Beta", membership_mode="isolated_connection",
                                       connection_name="beta-users")
    now = timezone.now()

    def invitation(organization, target: str, status: str, minutes_ago: int, key: str = ""):
        operation = Operation.objects.create(kind="user_invite", organization=organization, target=target,
                                             status=status, idempotency_key=key or f"user_invite:{uuid.uuid4()}",
                                             task_name="users.tasks.user_invite")
        Operation.objects.filter(pk=operation.pk).update(created_at=now - timezone.timedelta(minutes=minutes_ago))
        return operation

    # Ada: three on their way in Acme (the later one running: it is kept), one done, one in Beta (its own).
    first = invitation(acme, "ada@acme.test", "pending", 30)
    running = invitation(acme, "ada@acme.test", "running", 20)
    job = BulkJob.objects.create(organization=acme, actor_user_id="auth0|boss", status="running")
    from_bulk = invitation(acme, "ADA@acme.test", "pending", 10, key=f"bulk:{job.pk}:2")
    row = BulkRow.objects.create(job=job, line=2, email="ada@acme.test", action="invite", operation=from_bulk,
                                 outcome="queued")
    done = invitation(acme, "ada@acme.test", "succeeded", 40)
    elsewhere = invitation(beta, "ada@acme.test", "pending", 5)
    # Bob: one alone, left as it is.
    bob = invitation(acme, "bob@acme.test", "pending", 5)

    apps = _migrate(AFTER)
    Operation = apps.get_model("portal", "Operation")
    statuses = dict(Operation.objects.values_list("pk", "status"))
    assert len(statuses) == 6  # nothing deleted
    assert {pk: statuses[pk] for pk in (first.pk, running.pk, from_bulk.pk, done.pk, elsewhere.pk, bob.pk)} == {
        first.pk: "failed", running.pk: "running", from_bulk.pk: "failed", done.pk: "succeeded",
        elsewhere.pk: "pending", bob.pk: "pending"}
    ended = Operation.objects.get(pk=first.pk)
    assert ended.last_error.startswith("Another invitation to ada@acme.test was already on its way (asked for at ")
    assert ended.finished_at is not None
    events = apps.get_model("portal", "AuditEvent").objects.filter(action="user_invite.failed")
    assert sorted(events.values_list("operation_id", flat=True)) == sorted([first.pk, from_bulk.pk])
    row = apps.get_model("onboarding", "BulkRow").objects.get(pk=row.pk)
    assert (row.outcome, row.outcome_message) == ("failed", Operation.objects.get(pk=from_bulk.pk).last_error)
    assert row.finished_at is not None
    # The index now holds: a second unfinished invitation to Ada in Acme, in any case, is refused.
    with pytest.raises(IntegrityError), transaction.atomic():
        Operation.objects.create(kind="user_invite", organization_id=acme.pk, target="Ada@Acme.test",
                                 idempotency_key="another", task_name="users.tasks.user_invite")
