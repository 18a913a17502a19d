"""Keeping the directory in step with Auth0: full and delta sync runs, and their schedule.

A run is a ``SyncRun`` row advanced one step at a time by a Celery task (``users.tasks.directory_sync``)
or, on demand, by ``manage.py directory_sync``; each step saves where it got to, so a run survives a
worker restart and a lost message (the scheduler sends it again). Steps:

- **full**: ask Auth0 for a users export, wait for the job, stream its rows into the mirror in batches
  (constant memory), then replace each Auth0 Organization's members from the members API, then read who holds
  which application role (``app_roles.sync``), then remove users the export did not list and nothing else has
  written since the export began, then recount the directory's counts (``users.directory.counts``) and put
  right any drift.
- **delta**: read every user whose ``updated_at`` lies in the window since the last run (with an overlap
  for Auth0's search lag) through users search, sorted by ``updated_at``; a window holding 1,000 or
  more users (more than search will page through) is split in two until each half fits, so no change is
  skipped.

Pushed events (``users.directory.streams``) bring single changes within seconds; the delta sync is the safety net
and the full sync the reconcile that also sees deletions.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from app_roles.sync import app_roles_sync
from auth0_gateway import SEARCH_RESULT_LIMIT, Auth0User, gateway
from organizations.membership import membership_of, modes_in_auth0_organizations
from organizations.models import Organization
from portal.celery import app
from portal.faults import PermanentFault
from portal.operations import MAX_TRANSIENT_ATTEMPTS, backoff_seconds, failure_classify
from users.directory.counts import directory_counts_check
from users.directory.mirror import (
    Organizations,
    UpsertCounts,
    auth0_time,
    directory_users_delete,
    directory_users_upsert,
    organization_members_replace,
)
from users.directory.refresh import directory_user_refresh_request
from users.models import DirectoryUser, StreamEvent, SyncRun

log = logging.getLogger(__name__)

SYNC_TASK = "users.tasks.directory_sync"
BATCH = 1000
PER_PAGE = 100
# A delta step reads at most this many pages before saving its place and handing over to the next step.
PAGES_PER_STEP = 20
# A step that has not moved for this long died with its worker: the scheduler sends it again.
STALE_STEP = dt.timedelta(minutes=10)
EXPORT_FIELDS = [
    "user_id", "email", "email_verified", "name", "given_name", "family_name", "nickname", "picture",
    "identities", "blocked", "logins_count", "last_login", "last_ip", "created_at", "updated_at",
    "user_metadata", "app_metadata",
]


def _iso(moment: dt.datetime) -> str:
    """A moment as Auth0 writes (and searches) it: UTC with milliseconds."""
    moment = moment.astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# -- starting runs ------------------------------------------------------------------------------------
def sync_run_running(*, kind: str, organization: Organization | None = None) -> SyncRun | None:
    return SyncRun.objects.filter(kind=kind, organization=organization, status=SyncRun.Status.RUNNING).first()


def sync_run_start(*, kind: str, organization: Organization | None = None, queue: bool = True) -> SyncRun:
    """Start a run (or return the one of the same kind already running) and, with ``queue``, send its
    first step to a worker once the transaction commits."""
    if kind not in SyncRun.Kind.values:
        raise ValueError(f"unknown sync kind {kind!r}")
    if kind == SyncRun.Kind.DELTA and organization is not None:
        raise ValueError("a delta sync covers the whole tenant")
    with transaction.atomic():
        running = sync_run_running(kind=kind, organization=organization)
        if running is not None:
            return running
        run = SyncRun.objects.create(kind=kind, organization=organization, state={"step": "start"})
        if queue:
            _send(run)
    return run


def _send(run: SyncRun, countdown: float = 0) -> None:
    run_id = run.pk
    transaction.on_commit(lambda: app.send_task(SYNC_TASK, args=[run_id], countdown=countdown))


# -- advancing runs -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    """What happened in one step: seconds to wait before the next one, or None when the run is over
    (or, ``held``, when someone else is advancing it: they go on, this caller stops)."""

    wait: float | None
    held: bool = False


# Whoever advances a run holds its lease, so a worker and `manage.py directory_sync` (or a message sent
# twice) never run the same step at once; a long step renews it, a dead one lets it lapse.
LEASE_SECONDS = 600


def _lease_key(run_id: int) -> str:
    return f"directory:sync-lease:{run_id}"


def _lease_renew(run: SyncRun) -> None:
    cache.touch(_lease_key(run.pk), LEASE_SECONDS)


def sync_run_advance(*, run_id: int) -> Step:
    """Do the next step of a run and save where it got to. Failures are classified as the operation
    runner does: a passing one is retried later (the run stays running), a permanent one ends the run.
    A run whose lease someone else holds is left to them."""
    run = SyncRun.objects.get(pk=run_id)
    if run.status != SyncRun.Status.RUNNING:
        return Step(None)
    if not cache.add(_lease_key(run_id), True, timeout=LEASE_SECONDS):
        return Step(None, held=True)
    try:
        step = run.state.get("step", "start")
        try:
            wait = _full_step(run, step) if run.kind == SyncRun.Kind.FULL else _delta_step(run, step)
        except Exception as exc:
            return _failure_record(run, exc)
        if run.attempts or run.last_error:
            SyncRun.objects.filter(pk=run.pk).update(attempts=0, last_error="")
        return Step(wait)
    finally:
        cache.delete(_lease_key(run_id))


def _failure_record(run: SyncRun, exc: Exception) -> Step:
    failure = failure_classify(exc)
    attempts = run.attempts + 1
    if failure.unexpected:
        log.exception("directory sync %s failed unexpectedly", run.pk)
    if not failure.retry or (not failure.unlimited and attempts >= MAX_TRANSIENT_ATTEMPTS):
        message = failure.message if not failure.retry else f"{failure.message}; gave up after {attempts} attempts"
        _run_finish(run, status=SyncRun.Status.FAILED, error=message)
        return Step(None)
    wait = failure.delay if failure.delay is not None else backoff_seconds(attempts)
    SyncRun.objects.filter(pk=run.pk).update(attempts=attempts, last_error=f"{failure.message}; retrying",
                                             updated_at=timezone.now())
    return Step(wait)


def _state_save(run: SyncRun, **changes) -> None:
    run.state = {**run.state, **changes}
    run.save(update_fields=["state", "updated_at"])


def _counts_add(run: SyncRun, counts: UpsertCounts, *, deleted: int = 0) -> None:
    SyncRun.objects.filter(pk=run.pk).update(
        users_seen=F("users_seen") + counts.seen, users_written=F("users_written") + counts.written,
        memberships_added=F("memberships_added") + counts.memberships_added,
        memberships_removed=F("memberships_removed") + counts.memberships_removed,
        users_deleted=F("users_deleted") + deleted, updated_at=timezone.now(),
    )
    _lease_renew(run)
    run.refresh_from_db(fields=["users_seen", "users_written", "users_deleted", "memberships_added",
                                "memberships_removed", "updated_at"])


def _run_finish(run: SyncRun, *, status: str, error: str = "") -> None:
    SyncRun.objects.filter(pk=run.pk).update(status=status, last_error=error, finished_at=timezone.now(),
                                             updated_at=timezone.now())
    run.refresh_from_db()


# -- full sync ----------------------------------------------------------------------------------------
def _export_connection_id(organization: Organization | None) -> str | None:
    """An organization-scoped full sync exports its connection's users only."""
    if organization is None or membership_of(organization).in_auth0_organizations:
        return None
    if not organization.auth0_connection_id:
        raise PermanentFault(f"{organization.display_name} is not connected to Auth0 yet.")
    return organization.auth0_connection_id


def _full_step(run: SyncRun, step: str) -> float | None:
    organization = run.organization
    auth0 = gateway()
    if step == "start":
        # An Auth0 Organization's users are its members: no export, the members step reads them.
        if organization is not None and membership_of(organization).in_auth0_organizations:
            _state_save(run, step="members", snapshot_at=_iso(timezone.now()))
            return 0
        job = auth0.users_export_start(connection_id=_export_connection_id(organization), fields=EXPORT_FIELDS)
        _state_save(run, step="export", job_id=job.id, snapshot_at=_iso(timezone.now()), polls=0)
        return 1.0
    if step == "export":
        job = auth0.job_get(job_id=run.state["job_id"])
        if job.status == "failed":
            raise PermanentFault(f"Auth0's users export failed: {job.status_details or 'no details given'}")
        if not job.finished or not job.location:
            polls = run.state.get("polls", 0) + 1
            _state_save(run, polls=polls)
            return min(2.0 * polls, 15.0)
        _import_export(run, location=job.location)
        _state_save(run, step="members")
        return 0
    if step == "members":
        _members_sync(run)
        _state_save(run, step="app_roles")
        return 0
    if step == "app_roles":
        # Who holds which application role: the tenant's roles, each one's holders, each Auth0 Organization's
        # member roles; saved as it goes, so a step that waits for the budget goes on where it stopped.
        app_roles_sync(organization=organization, progress=run.state.get("app_roles") or {},
                       save=lambda progress: _progress_save(run, progress))
        _state_save(run, step="reconcile")
        return 0
    if step == "reconcile":
        deleted = _reconcile(run)
        _counts_add(run, UpsertCounts(), deleted=deleted)
        _statistics_refresh()
        # The counts the writes keep are checked against a recount once a day, as the full sync ends; a drift
        # is put right, logged and kept in the run's state.
        drifts = directory_counts_check(fix=True)
        _state_save(run, counts_drifted=[str(drift) for drift in drifts])
        _run_finish(run, status=SyncRun.Status.SUCCEEDED)
        return None
    raise PermanentFault(f"Unknown step {step!r} of a full sync")


def _progress_save(run: SyncRun, progress: dict) -> None:
    _state_save(run, app_roles=progress)
    _lease_renew(run)


def _batches(rows: Iterator[Auth0User], size: int) -> Iterator[list[Auth0User]]:
    batch: list[Auth0User] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _import_export(run: SyncRun, *, location: str) -> None:
    """Stream the export into the mirror, a batch at a time (memory does not grow with the tenant)."""
    organizations = Organizations.load()
    for batch in _batches(gateway().users_export_rows(location=location), BATCH):
        _counts_add(run, directory_users_upsert(batch, organizations=organizations))


def _members_sync(run: SyncRun) -> None:
    """Auth0 Organization memberships, which users' own data does not carry, from the members API."""
    if run.organization is not None:
        targets = [run.organization] if membership_of(run.organization).in_auth0_organizations else []
    else:
        targets = list(Organization.objects.filter(membership_mode__in=modes_in_auth0_organizations())
                       .exclude(auth0_organization_id=""))
    auth0 = gateway()
    for organization in targets:
        members = auth0.organization_members(organization_id=organization.auth0_organization_id)
        added, removed = organization_members_replace(
            organization, (m["user_id"] for m in members), on_missing=_users_refresh_request)
        _counts_add(run, UpsertCounts(memberships_added=added, memberships_removed=removed))


def _users_refresh_request(user_ids: list[str]) -> None:
    for user_id in user_ids:
        directory_user_refresh_request(user_id)


def _reconcile(run: SyncRun) -> int:
    """Remove users the export did not list, unless something wrote them after the export began."""
    if run.organization is not None and membership_of(run.organization).in_auth0_organizations:
        return 0  # nothing was exported: members alone changed
    snapshot = auth0_time(run.state["snapshot_at"])
    unseen = DirectoryUser.objects.filter(synced_at__lt=snapshot)
    if run.organization is not None:
        unseen = unseen.filter(connection__iexact=run.organization.connection_name)
    deleted = 0
    while True:
        user_ids = list(unseen.values_list("user_id", flat=True)[:BATCH])
        if not user_ids:
            return deleted
        deleted += directory_users_delete(user_ids)


def _statistics_refresh() -> None:
    """After a full import PostgreSQL's planner should know the tables' new sizes (searches depend on
    it), and the visibility map should be set so counts read indexes alone (VACUUM; outside a
    transaction only, so inside one, as in tests, ANALYZE alone)."""
    if connection.vendor == "postgresql":
        statement = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        with connection.cursor() as cursor:
            cursor.execute(f"{statement} users_directoryuser, users_usersearch, users_membership, "
                           "app_roles_approlegrant")


# -- delta sync ---------------------------------------------------------------------------------------
def _delta_since() -> dt.datetime | None:
    """Where the window starts: the end of the last successful delta, else the start of the last
    successful full sync; None if there was neither (a full sync is needed first)."""
    last_delta = SyncRun.objects.filter(kind=SyncRun.Kind.DELTA, status=SyncRun.Status.SUCCEEDED).first()
    if last_delta and last_delta.state.get("until"):
        return auth0_time(last_delta.state["until"])
    last_full = SyncRun.objects.filter(kind=SyncRun.Kind.FULL, organization=None,
                                       status=SyncRun.Status.SUCCEEDED).first()
    if last_full and last_full.state.get("snapshot_at"):
        return auth0_time(last_full.state["snapshot_at"])
    return None


def _delta_step(run: SyncRun, step: str) -> float | None:
    if step == "start":
        since = _delta_since()
        if since is None:
            raise PermanentFault("No full sync has finished yet: a delta sync needs one to start from.")
        until = timezone.now()
        start = since - dt.timedelta(seconds=settings.DIRECTORY_DELTA_OVERLAP_SECONDS)
        _state_save(run, step="windows", until=_iso(until), windows=[[_iso(start), _iso(until), 0]])
        return 0
    if step == "windows":
        if _delta_read(run):
            _run_finish(run, status=SyncRun.Status.SUCCEEDED)
            return None
        return 0
    raise PermanentFault(f"Unknown step {step!r} of a delta sync")


def _window_query(start: str, end: str) -> str:
    return f"updated_at:[{start} TO {end}]"


def _window_split(start: str, end: str) -> list[list]:
    low, high = auth0_time(start), auth0_time(end)
    middle = low + (high - low) / 2
    if middle <= low:
        raise PermanentFault(f"More than {SEARCH_RESULT_LIMIT} users changed within one millisecond ({start}): "
                             "a full sync will pick them up.")
    return [[start, _iso(middle), 0], [_iso(middle), end, 0]]


def _delta_read(run: SyncRun) -> bool:
    """Read up to PAGES_PER_STEP pages of the windows still to read; True when none is left."""
    windows: list[list] = list(run.state.get("windows", []))
    organizations = Organizations.load()
    has_auth0_orgs = Organization.objects.filter(membership_mode__in=modes_in_auth0_organizations()).exists()
    auth0 = gateway()
    for _ in range(PAGES_PER_STEP):
        if not windows:
            _state_save(run, windows=[])
            return True
        start, end, page = windows[0]
        result = auth0.users_page(q=_window_query(start, end), page=page, per_page=PER_PAGE, sort="updated_at:1")
        if page == 0 and result.total >= SEARCH_RESULT_LIMIT:
            # More than search will page through: read each half instead.
            windows[0:1] = _window_split(start, end)
            _state_save(run, windows=windows, splits=run.state.get("splits", 0) + 1)
            continue
        new_ids = set()
        if has_auth0_orgs and result.users:
            known = set(DirectoryUser.objects.filter(user_id__in=[u["user_id"] for u in result.users])
                        .values_list("user_id", flat=True))
            new_ids = {u["user_id"] for u in result.users} - known
        # A user new to the mirror may already be in Auth0 Organizations; their JSON does not say.
        auth0_organization_ids = {
            user_id: [o["id"] for o in auth0.user_organizations(user_id=user_id)] for user_id in new_ids
        }
        _counts_add(run, directory_users_upsert(result.users, organizations=organizations,
                                                auth0_organization_ids=auth0_organization_ids))
        if len(result.users) < PER_PAGE or (page + 1) * PER_PAGE >= result.total:
            windows.pop(0)
        else:
            windows[0] = [start, end, page + 1]
        _state_save(run, windows=windows)
    return not windows


# -- the schedule ---------------------------------------------------------------------------------------
def sync_schedule(*, now: dt.datetime | None = None) -> list[str]:
    """What beat runs every minute: resend runs whose step died, start the delta and full syncs when
    they are due, forget old pushed-event ids. Returns what it did, for the log."""
    now = now or timezone.now()
    done: list[str] = []
    for run in SyncRun.objects.filter(status=SyncRun.Status.RUNNING, updated_at__lt=now - STALE_STEP):
        SyncRun.objects.filter(pk=run.pk).update(updated_at=now)
        _send(run)
        done.append(f"resent {run}")
    full_running = SyncRun.objects.filter(kind=SyncRun.Kind.FULL, organization=None,
                                          status=SyncRun.Status.RUNNING).exists()
    last_full = SyncRun.objects.filter(kind=SyncRun.Kind.FULL, organization=None).first()
    full_due = last_full is None or (
        last_full.status != SyncRun.Status.RUNNING
        and last_full.started_at < now - dt.timedelta(hours=settings.DIRECTORY_FULL_SYNC_HOURS)
    )
    if not full_running and full_due and Organization.objects.exists():
        done.append(f"started {sync_run_start(kind=SyncRun.Kind.FULL)}")
    elif not full_running and _delta_since() is not None:
        last_delta = SyncRun.objects.filter(kind=SyncRun.Kind.DELTA).first()
        interval = dt.timedelta(minutes=settings.DIRECTORY_DELTA_MINUTES)
        idle = last_delta is None or last_delta.status != SyncRun.Status.RUNNING
        if idle and (last_delta is None or last_delta.started_at < now - interval):
            done.append(f"started {sync_run_start(kind=SyncRun.Kind.DELTA)}")
    forgotten, _ = StreamEvent.objects.filter(received_at__lt=now - dt.timedelta(days=7)).delete()
    if forgotten:
        done.append(f"forgot {forgotten} pushed event ids")
    return done


# -- how fresh the mirror is ----------------------------------------------------------------------------
def sync_status() -> dict:
    """The last run of each kind, and whether the mirror is fresh enough (for /healthz and the status page)."""
    now = timezone.now()

    def last(kind: str, **filters) -> SyncRun | None:
        return SyncRun.objects.filter(Q(kind=kind), **filters).first()

    last_full_ok = last(SyncRun.Kind.FULL, organization=None, status=SyncRun.Status.SUCCEEDED)
    last_delta_ok = last(SyncRun.Kind.DELTA, status=SyncRun.Status.SUCCEEDED)

    def age(run: SyncRun | None) -> float | None:
        return round((now - run.finished_at).total_seconds(), 1) if run and run.finished_at else None

    full_age, delta_age = age(last_full_ok), age(last_delta_ok)
    full_limit = 2 * settings.DIRECTORY_FULL_SYNC_HOURS * 3600
    delta_limit = 3 * settings.DIRECTORY_DELTA_MINUTES * 60
    newest = min((a for a in (full_age, delta_age) if a is not None), default=None)
    return {
        "last_full_sync_seconds_ago": full_age,
        "last_delta_sync_seconds_ago": delta_age,
        "fresh": full_age is not None and full_age < full_limit and newest is not None and newest < delta_limit,
    }


def directory_metrics() -> Iterator:
    """The directory's freshness for /metrics (settings: PORTAL_METRICS_SOURCES): seconds since the mirror last
    learned of a change, by a finished sync (full or delta) or a pushed event, and the newest of those."""
    now = timezone.now()
    moments = {
        kind: SyncRun.objects.filter(kind=kind, status=SyncRun.Status.SUCCEEDED, organization=None)
        .order_by("-started_at").values_list("finished_at", flat=True).first()
        for kind in (SyncRun.Kind.FULL, SyncRun.Kind.DELTA)
    }
    moments["stream"] = StreamEvent.objects.order_by("-received_at").values_list("received_at", flat=True).first()
    by_source = GaugeMetricFamily("portal_directory_update_age_seconds", "Seconds since the directory last heard "
                                  "of the tenant, by source (full sync, delta sync, pushed event)", labels=["source"])
    for source, moment in moments.items():
        if moment is not None:
            by_source.add_metric([source], (now - moment).total_seconds())
    yield by_source
    known = [moment for moment in moments.values() if moment is not None]
    freshness = GaugeMetricFamily("portal_directory_freshness_seconds", "Seconds since the last sync or pushed "
                                  "event (absent before the first)")
    if known:
        freshness.add_metric([], (now - max(known)).total_seconds())
    yield freshness


def sync_health() -> dict:
    """The directory's part of /healthz (settings: PORTAL_HEALTH_REPORTS)."""
    return {"directory": sync_status()}
