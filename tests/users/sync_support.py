"""Running directory syncs in tests: the real task, in this process (``.apply()``), step after step."""

from __future__ import annotations

import time

from auth0_gateway import gateway
from organizations.models import MembershipMode, Organization
from users.directory.sync import sync_run_start
from users.models import SyncRun
from users.tasks import directory_sync

SHARED = "Username-Password-Authentication"


def sync_run(kind: str, organization: Organization | None = None, *, max_steps: int = 500) -> SyncRun:
    """Start a run and advance it until it ends, waiting (briefly) where a step asks to wait."""
    run = sync_run_start(kind=kind, organization=organization, queue=False)
    for _ in range(max_steps):
        wait = directory_sync.apply(args=[run.pk]).get()
        if wait is None:
            run.refresh_from_db()
            return run
        time.sleep(min(wait, 0.2))
    raise AssertionError(f"the {kind} sync did not finish in {max_steps} steps")


def demo_organizations() -> dict[str, Organization]:
    """The portal's side of the emulator's demo tenant (as `prepare --demo` would make it), linked."""
    auth0 = gateway()
    acme = auth0.connection_get_by_name(name="acme-users")
    shared = auth0.connection_get_by_name(name=SHARED)
    globex = auth0.organization_get_by_name(name="globex")
    return {
        "acme": Organization.objects.create(
            slug="acme", display_name="Acme", membership_mode=MembershipMode.ISOLATED_CONNECTION,
            connection_name="acme-users", auth0_connection_id=acme["id"]),
        "initech": Organization.objects.create(
            slug="initech", display_name="Initech", membership_mode=MembershipMode.SHARED_CONNECTION,
            connection_name=SHARED, auth0_connection_id=shared["id"]),
        "globex": Organization.objects.create(
            slug="globex", display_name="Globex", membership_mode=MembershipMode.AUTH0_ORGANIZATION,
            connection_name=SHARED, auth0_connection_id=shared["id"], auth0_organization_id=globex["id"]),
    }
