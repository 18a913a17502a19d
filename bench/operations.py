"""Invitations at the pace of the tenant's Write Users limit: does the shared budget use it all, and no more?

Starts an operations cluster (tests/support/operations_cluster.py): an emulator whose Write Users limit is
set (``--write-limit`` per minute, ``--write-burst``; every other group far above what the run needs, so
Write Users is what binds), a Redis server of its own as the broker and the shared budget, a database of
its own (PostgreSQL when DATABASE_URL names a server, else SQLite), two or more Celery worker processes,
and a driver that asks for the invitations through the service the invite page calls, spread over the
demo's three organizations (isolated connection, shared connection, Auth0 Organization). The portal's
AUTH0_RATE_LIMITS are the emulator's, as an operator sets them to their plan's.

Every invitation creates one user, one Write Users call. The throughput ratio is the Write Users calls the
tenant accepted over the most it would have accepted in the run's time (its burst plus its rate times
the time from the first invitation asked for to the last one done): 1.0 is the limit used to the full,
and it cannot go above (the tenant refuses the excess with 429, which are counted: the portal should earn
none, its budget being the tenant's). Then, with the tenant's faults and limits off, every invitation is
checked: lost (not finished), failed, duplicated (more than one user, ticket or email) must all be 0.

    python bench/operations.py [--invites 2000] [--workers 2] [--concurrency 2] [--write-limit 200]
                               [--write-burst 20] [--fault-rate 0]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import summary_print, table_print  # noqa: E402
from tests.support.operations_cluster import Cluster  # noqa: E402

GROUPS = ("read_users", "write_users", "read_logs", "org_members_read", "org_members_write", "other")
# Far above what the run needs: only Write Users binds.
AMPLE = "1000/60000"


def _limits(write_burst: int, write_limit: int) -> dict[str, str]:
    return {group: (f"{write_burst}/{write_limit}" if group == "write_users" else AMPLE) for group in GROUPS}


def _duplicated(op: dict) -> bool:
    users = op.get("users", [])
    return len(users) != 1 or users[0]["tickets"] > 1 or op.get("emails", 0) > 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invites", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes (two or more)")
    parser.add_argument("--concurrency", type=int, default=2, help="pool processes of each worker")
    parser.add_argument("--write-limit", type=int, default=200,
                        help="the tenant's Write Users limit, calls per minute (Auth0 Essentials: 200)")
    parser.add_argument("--write-burst", type=int, default=20, help="the tenant's Write Users burst")
    parser.add_argument("--fault-rate", type=float, default=0.0,
                        help="share of Management API calls the tenant fails with 500 or 503")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds to wait for the invitations (default: three times the limit's pace)")
    args = parser.parse_args()
    if args.workers < 2:
        parser.error("--workers must be 2 or more: the budget is shared by worker processes")
    limits = _limits(args.write_burst, args.write_limit)
    per_second = args.write_limit / 60
    timeout = args.timeout or 120 + 3 * args.invites / per_second
    workdir = Path(tempfile.mkdtemp(prefix="bench-operations-"))
    try:
        emulator_args = [arg for group, limit in limits.items() for arg in ("--rate-limit", f"{group}={limit}")]
        with Cluster(workdir, emulator_args=emulator_args, workers=args.workers, concurrency=args.concurrency,
                     portal_rate_limits=", ".join(f"{group}={limit}" for group, limit in limits.items()),
                     settings={}) as cluster:
            cluster.organizations = cluster.driver.call("setup")
            cluster.emulator_controls(fault_rate=args.fault_rate, fault_status=[500, 503])
            before = cluster.emulator_stats()
            asked = cluster.driver.call("invite", prefix="bench", count=args.invites)
            waited = cluster.driver.call("wait", operations=asked["operations"], timeout=timeout)
            cluster.emulator_controls(fault_rate=0.0, rate_limits_enabled=False)
            after = cluster.emulator_stats()
            operations = cluster.driver.call("report", operations=asked["operations"])["operations"]
            vendor = cluster.vendor
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    def spent(group: str, outcome: str) -> int:
        return after.get(group, {}).get(outcome, 0) - before.get(group, {}).get(outcome, 0)

    finished = [op for op in operations if op["finished_at"] is not None]
    started = min(op["created_at"] for op in operations)
    elapsed = max(op["finished_at"] for op in finished) - started if finished else float("nan")
    # Calls that took a token from the tenant's bucket: served, and failed by an injected fault (the
    # tenant's limiter counts those before the fault).
    writes = spent("write_users", "served") + spent("write_users", "faults")
    capacity = args.write_burst + per_second * elapsed
    rate_limited = sum(spent(group, "rate_limited") for group in after)
    lost = len(asked["operations"]) - len(finished) + len(asked["errors"])
    failed = sum(op["status"] == "failed" for op in operations)
    duplicated = sum(_duplicated(op) for op in operations if op["status"] == "succeeded")
    invites_per_minute = len([op for op in finished if op["status"] == "succeeded"]) / elapsed * 60
    ratio = writes / capacity

    print(f"database: {vendor}; {args.invites:,} invitations over three organizations; {args.workers} workers x "
          f"{args.concurrency} processes; the tenant's Write Users limit {args.write_limit}/min, burst "
          f"{args.write_burst}; faults {args.fault_rate:.0%}\n")
    table_print(
        ["elapsed s", "invites/min", "writes accepted", "most acceptable", "ratio", "429s", "re-sent", "lost",
         "failed", "duplicated"],
        [[elapsed, invites_per_minute, writes, capacity, ratio, rate_limited, waited["swept"], lost, failed,
          duplicated]],
    )
    print("\nelapsed: from the first invitation asked for to the last done; writes accepted: Write Users calls the "
          "tenant took;\nmost acceptable: its burst plus its rate times the elapsed time; ratio: the two's quotient; "
          "429s: from every group;\nre-sent: by the sweeper; duplicated: more than one user, ticket or email")
    print()
    summary_print(
        invites=args.invites, workers=args.workers, concurrency=args.concurrency, database=vendor,
        write_limit_per_min=args.write_limit, write_burst=args.write_burst, fault_rate=args.fault_rate,
        elapsed_s=elapsed, invites_per_min=invites_per_minute, throughput_ratio=ratio, rate_limited_429=rate_limited,
        lost=lost, failed=failed, duplicated=duplicated, errors=lost + failed + duplicated,
        target_met=0.9 <= ratio <= 1.0 and rate_limited == 0 and lost + failed + duplicated == 0,
    )


if __name__ == "__main__":
    main()
