"""One operations cluster (tests.support.operations_cluster) for the reliability tests of a run: an
emulator failing a fifth of Management API calls (500 or 503) and rate limits low enough that the portal,
told of far higher ones, earns 429s; two real worker processes on a Redis server of the tests' own."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support.operations_cluster import QUICK_RECOVERY, Cluster

# RELIABILITY_FULL=1: the full counts (500 invitations and 500 edits a scenario), for a person
# measuring; the default is a small batch that CI runs.
FULL = os.environ.get("RELIABILITY_FULL", "") not in ("", "0")
BATCH = 500 if FULL else 15
FAULT_RATE = 0.2
FAULT_STATUSES = [500, 503]
# Recovery shortened to seconds; at full counts, with room for a machine busy with a thousand operations
# (a queue that long is not lost after five seconds, and a loaded emulator may take a while to answer).
SETTINGS = QUICK_RECOVERY if not FULL else {
    **QUICK_RECOVERY, "CELERY_TASK_SOFT_TIME_LIMIT": "10", "CELERY_TASK_TIME_LIMIT": "12", "AUTH0_MGMT_TIMEOUT": "8",
    "OPERATIONS_STALE_CLAIM_SECONDS": "25", "OPERATIONS_SWEEP_GRACE_SECONDS": "30"}
GROUPS = ("read_users", "write_users", "read_logs", "org_members_read", "org_members_write", "other")
# The tenant's limits (group=burst/per-minute): a burst of two, ten calls a second, below what four worker
# processes ask for.
EMULATOR_LIMITS = [f"{group}=2/600" for group in GROUPS]
# What the portal is told: four times the tenant's, so its budget lets calls through that Auth0 refuses; and no
# margin (portal.ratelimit.limit_with_margin), which would only blur how far above the tenant's it is.
PORTAL_LIMITS = ", ".join(f"{group}=8/2400" for group in GROUPS)
PORTAL_SETTINGS = {**SETTINGS, "AUTH0_RATE_MARGIN_SECONDS": "0"}
# The first calls of each scenario are refused with 429 as if another application had just spent the tenant's
# limits (the emulator's ``rate_limit_refusals``): the 429s a scenario is about happen whatever the machine's
# speed. Beyond them the portal, told four times the tenant's limits, earns more whenever it is fast enough.
CONTENDED = 3


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    emulator_args = [arg for limit in EMULATOR_LIMITS for arg in ("--rate-limit", limit)]
    with Cluster(tmp_path_factory.mktemp("operations-cluster"), emulator_args=emulator_args,
                 portal_rate_limits=PORTAL_LIMITS, workers=2, concurrency=2, settings=PORTAL_SETTINGS) as started:
        started.organizations = started.driver.call("setup")
        yield started
