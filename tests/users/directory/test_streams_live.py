"""Pushed changes end to end: the emulator's event stream and log stream POST to the live portal's
/hooks/auth0, a real Celery worker (in a thread, on the test broker) runs the refreshes, and users
created, changed and deleted outside the portal appear, change and disappear in the mirror within seconds."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection

from auth0_gateway import Auth0Gateway, gateway_reset
from portal.celery import app
from tests.users.sync_support import SHARED, demo_organizations
from users.models import DirectoryUser, Membership
from users.tasks import directory_streams_register

pytestmark = [
    pytest.mark.django_db(transaction=True), pytest.mark.processes,
    # Three threads (the test, the live server, the worker) write at once: SQLite's shared in-memory test
    # database locks whole tables against that. The embedded mode (a file database, separate processes)
    # gets the same push end to end in tests/processes/test_run_command.py.
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs a database server (CI's PostgreSQL pass)"),
]
WITHIN_SECONDS = 20


@pytest.fixture
def pushing_tenant(emulator_factory, settings) -> Iterator:
    """An emulator of its own (it may push to plain http on this machine), the portal pointed at it."""
    emulator = emulator_factory("--seed", "demo", "--no-rate-limits", "--allow-http-destinations",
                                "--log-batch-seconds", "0.2", "--delivery-backoff", "0.2")
    settings.AUTH0_DOMAIN, settings.AUTH0_BASE_URL = emulator.domain, emulator.url
    settings.AUTH0_MGMT_AUDIENCE = f"{emulator.url}/api/v2/"
    gateway_reset()
    yield emulator
    gateway_reset()


@pytest.fixture
def worker() -> Iterator[None]:
    """A real worker consuming the portal's queues; what earlier tests left on the broker is dropped."""
    app.control.purge()
    with start_worker(app, perform_ping_check=False, queues=["default", "auth0-management"], pool="solo"):
        yield


def eventually(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WITHIN_SECONDS
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"not within {WITHIN_SECONDS}s: {what}")


def _orgs_of(user_id: str) -> set[str]:
    return set(Membership.objects.filter(user__user_id=user_id).values_list("organization__slug", flat=True))


@pytest.mark.parametrize("kind", ["event", "log"])
def test_changes_outside_the_portal_reach_the_mirror_within_seconds(pushing_tenant, live_server, worker,
                                                                    kind: str) -> None:
    tenant = demo_organizations()
    registered = directory_streams_register.apply(args=[f"{live_server.url}/hooks/auth0", kind]).get()
    assert registered["kind"] == kind
    # Someone else's Management API client: the portal's own calls are written through, not pushed back.
    auth0 = Auth0Gateway(base_url=pushing_tenant.url, domain=pushing_tenant.domain, client_id="tenant-admin-dev",
                         client_secret="tenant-admin-dev-secret")
    email = f"pushed-{uuid.uuid4().hex[:8]}@initech.test"

    created = auth0.user_create(connection=SHARED, email=email, password="Very-l0ng-passw0rd!",
                                name="Pia Pushed", app_metadata={"organizations": ["initech"]})
    user_id = created["user_id"]
    eventually(lambda: DirectoryUser.objects.filter(user_id=user_id, name="Pia Pushed").exists(), "created")
    assert _orgs_of(user_id) == {"initech"}

    auth0.user_update(user_id=user_id, name="Pia Renamed", blocked=True)
    eventually(lambda: DirectoryUser.objects.filter(user_id=user_id, name="Pia Renamed", blocked=True).exists(),
               "changed")

    if kind == "event":  # Auth0 Organization membership has events of its own
        auth0.organization_members_add(organization_id=tenant["globex"].auth0_organization_id, user_ids=[user_id])
        eventually(lambda: _orgs_of(user_id) == {"initech", "globex"}, "added to Globex")
        auth0.organization_members_remove(organization_id=tenant["globex"].auth0_organization_id,
                                          user_ids=[user_id])
        eventually(lambda: _orgs_of(user_id) == {"initech"}, "removed from Globex")

    auth0.user_delete(user_id=user_id)
    eventually(lambda: not DirectoryUser.objects.filter(user_id=user_id).exists(), "deleted")
    auth0.close()
