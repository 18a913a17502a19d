"""Bulk onboarding at scale: a CSV of new people (default 10,000 rows) uploaded, checked and run against a tenant
with Auth0's rate limits. How fast is the dry run, does the run use the tenant's binding limit to the full, and
how much memory do the processes take?

Starts an operations cluster (tests/support/operations_cluster.py): an emulator with the tenant's rate limits
(default Auth0 Essentials' published figures for every group, ``--limit group=burst/per_minute`` to change
one), a Redis server of its own as the broker and the shared Management API budget, a database of its own
(PostgreSQL when DATABASE_URL names a server, else SQLite), two or more Celery worker processes, and a driver
that plays beat (both sweepers, every minute as in production). The portal's AUTH0_RATE_LIMITS are the
tenant's, as an operator sets them to their plan's. The organization is the demo's Acme (its own connection)
with a metadata schema of two fields; every row invites someone new with names and both fields set.

1. Dry run: the file POSTed as multipart to the REST API (``POST /api/v1/organizations/<slug>/bulk-jobs/``,
   field ``file``) served by a real web process (gunicorn, one worker, one thread), by the emulator's tool
   client registered for the organization; the check runs on a worker. Rows per second: the rows over the
   time from the upload's start to the job checked. (``--upload process``, or a portal without that
   endpoint: the upload's service, ``onboarding.services.bulk_job_create``, which the page's and the API's
   views call, runs on the file streamed from disk in a process of its own instead of a web server.)
2. Run: the job confirmed, its rows sent a window at a time by the workers. By design each invitation of
   someone new makes one Management API call in each of three groups: Read Users (users-by-email), Write
   Users (the user's create) and the rest ("other": the password-change ticket); for an organization that
   uses Auth0 Organizations also Organization Members Write (a new account is in no Auth0 Organization, so
   its organizations are not read). With Essentials' figures the limit that allows the fewest invitations a
   minute is "other" (150 a minute: the tickets).
   The group that binds is reported as measured too (the one whose accepted calls came closest to its
   limit: a call made more often than the design says, say a read a retried run made again, counts). The
   throughput ratio is the calls the tenant accepted in that group over the most it would have accepted in
   the run's time (its burst plus its rate times the time from the job's start to its end): target at least
   0.9; it cannot go above 1 (the excess is refused with 429s, which are counted). Read Users calls per
   invitation (rows done), against the design's: target at most 1.2 times the design's (a run that waits
   for its budget is run again from the top, and must not make its reads again: issue 19).
   ``--run-minutes``: the job is cancelled after that long (its rows under way finish) and that stretch is
   measured, a sample of a run too long to wait for.
3. Afterwards, with the tenant's faults and limits off, every row is checked: not done (and not cancelled
   by a sample's end), failed or duplicated (more than one operation, user, ticket or email) must all be 0.

Peak memory: the web process's (the gunicorn processes' largest VmHWM; or the upload process's peak RSS),
and each worker process's (main and pool children, the kernel's VmHWM read before they stop).

    python bench/bulk.py [--rows 10000] [--workers 2] [--concurrency 2] [--limit other=10/150 ...]
                         [--organization acme] [--upload api|process] [--run-minutes M]
"""

from __future__ import annotations

import argparse
import csv
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import summary_print, table_print  # noqa: E402
from tests.support.operations_cluster import Cluster, Driver  # noqa: E402
from tests.support.processes import REPO, free_port, wait_for_http  # noqa: E402

TOOL_ID, TOOL_SECRET = "portal-tool-dev", "portal-tool-dev-secret"  # the emulator's seeded tool client
AUDIENCE = "https://portal.local/api/"  # the emulator's and the portal's default PORTAL_API_AUDIENCE

# Auth0 Essentials' published limits (the emulator's defaults): group -> (burst, per minute).
ESSENTIALS = {"read_users": (40, 500), "write_users": (20, 200), "read_logs": (10, 100),
              "org_members_read": (40, 500), "org_members_write": (20, 200), "other": (10, 150)}
# Management API calls one invitation of someone new makes, per group, by the organization's membership mode.
CALLS_PER_INVITE = {
    "isolated_connection": {"read_users": 1, "write_users": 1, "other": 1},
    "shared_connection": {"read_users": 1, "write_users": 1, "other": 1},
    "auth0_organization": {"read_users": 1, "write_users": 1, "org_members_write": 1, "other": 1},
}
MODES = {"acme": "isolated_connection", "initech": "shared_connection", "globex": "auth0_organization"}


def _limits(overrides: list[str]) -> dict[str, tuple[int, int]]:
    limits = dict(ESSENTIALS)
    for item in overrides:
        group, _, value = item.partition("=")
        burst, _, per_minute = value.partition("/")
        if group not in limits or not burst.isdigit() or not per_minute.isdigit():
            raise SystemExit(f"--limit {item!r}: give group=burst/per_minute, group one of {', '.join(limits)}")
        limits[group] = (int(burst), int(per_minute))
    return limits


def _file(path: Path, rows: int, slug: str) -> int:
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["email", "given_name", "family_name", "department", "seats"])
        for n in range(rows):
            writer.writerow([f"bulk-{n:06d}@{slug}.test", f"Given{n}", f"Family{n}", f"dept-{n % 17}", n % 90 + 1])
    return path.stat().st_size


def _peak_rss_mb(process_group: int) -> list[float]:
    """VmHWM (peak resident memory) of every live process in the group, in MB."""
    peaks = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) != process_group:
                continue
            status = (stat.parent / "status").read_text()
        except (OSError, IndexError, ValueError):
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) / 1024)
    return peaks


def _api_upload(cluster: Cluster, workdir: Path, slug: str, path: Path) -> dict | None:
    """The upload through a real web process: gunicorn (one worker, one thread) serving the portal, the file
    POSTed as multipart to the REST API (``POST /api/v1/organizations/<slug>/bulk-jobs/``, field ``file``) by
    the emulator's tool client registered for the organization. None when this portal has no such endpoint."""
    register = subprocess.run(
        [sys.executable, "manage.py", "api_client_register", TOOL_ID, "--name", "Bench tool", "--organization", slug,
         "--permission", "users:read", "--permission", "users:write"],
        cwd=REPO, env=cluster.env, capture_output=True, text=True, check=False)
    if register.returncode:
        raise RuntimeError(f"api_client_register failed:\n{register.stdout}\n{register.stderr}")
    port = free_port()
    with open(workdir / "gunicorn.log", "ab") as log:
        server = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "--bind", f"127.0.0.1:{port}", "--workers", "1",
             "--threads", "1", "--timeout", "600", "config.wsgi"],
            cwd=REPO, env={**cluster.env, "WEB_CONCURRENCY": "1"}, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for_http(f"{base}/healthz", timeout=120, proc=server)
        token = httpx.post(f"{cluster.emulator.url}/oauth/token", data={
            "grant_type": "client_credentials", "client_id": TOOL_ID, "client_secret": TOOL_SECRET,
            "audience": AUDIENCE}, timeout=30).raise_for_status().json()["access_token"]
        url = f"{base}/api/v1/organizations/{slug}/bulk-jobs/"
        headers = {"Authorization": f"Bearer {token}"}
        # One cheap call first, so that the process's first-request costs are not the upload's.
        httpx.get(url, headers=headers, timeout=60)
        started = time.time()
        with open(path, "rb") as file:
            response = httpx.post(url, headers=headers, files={"file": (path.name, file, "text/csv")}, timeout=600)
        seconds = time.time() - started
        if response.status_code in (404, 405):
            return None
        if response.status_code != 202:
            raise RuntimeError(f"the upload answered {response.status_code}: {response.text[:2000]}")
        return {"job": response.json()["id"], "seconds": seconds, "started": started, "via": "api",
                "peak_rss_mb": max(_peak_rss_mb(server.pid), default=0.0)}
    finally:
        server.terminate()
        server.wait(30)


def _process_upload(cluster: Cluster, workdir: Path, slug: str, path: Path) -> dict:
    """The upload's service in a process of its own, the file streamed from disk (no web server)."""
    web = Driver(cluster.env, workdir)
    try:
        web.call("bulk_ready")  # Django set up: what follows is the upload alone
        started = time.time()
        return {**web.call("bulk_upload", slug=slug, path=str(path)), "started": started, "via": "process"}
    finally:
        web.stop()


def _duplicated(row: dict) -> bool:
    users = row.get("users", [])
    return (len(row["operations"]) != 1 or len(users) != 1 or users[0]["tickets"] > 1 or row.get("emails", 0) > 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes (two or more)")
    parser.add_argument("--concurrency", type=int, default=2, help="pool processes of each worker")
    parser.add_argument("--limit", action="append", default=[], metavar="GROUP=BURST/PER_MINUTE",
                        help="the tenant's limit of one group (default: Auth0 Essentials' for each)")
    parser.add_argument("--organization", choices=sorted(MODES), default="acme",
                        help="the demo organization the file is for (acme: its own connection; initech: the "
                             "shared connection; globex: an Auth0 Organization)")
    parser.add_argument("--upload", choices=("api", "process"), default="api",
                        help="api: POST the file to the REST API served by gunicorn (falls back to process when the "
                             "portal has no such endpoint); process: the upload's service in a process of its own")
    parser.add_argument("--run-minutes", type=float, default=None,
                        help="cancel the run after this long (its rows under way finish) and measure that stretch: "
                             "a sample of a run too long to wait for; default: run every row")
    parser.add_argument("--keep-logs", action="store_true",
                        help="keep the run's directory (the processes' logs) and print where it is")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds to wait for the run (default: three times the binding limit's pace)")
    args = parser.parse_args()
    if args.workers < 2:
        parser.error("--workers must be 2 or more: the budget is shared by worker processes")
    limits = _limits(args.limit)
    calls = CALLS_PER_INVITE[MODES[args.organization]]
    # The group whose limit allows the fewest invitations a minute.
    binding = min(calls, key=lambda group: limits[group][1] / calls[group])
    invites_per_minute_max = limits[binding][1] / calls[binding]
    timeout = args.timeout or 120 + 3 * args.rows / invites_per_minute_max * 60
    workdir = Path(tempfile.mkdtemp(prefix="bench-bulk-"))
    try:
        path = workdir / "bulk.csv"
        size = _file(path, args.rows, args.organization)
        emulator_args = [arg for group, (burst, rate) in limits.items()
                         for arg in ("--rate-limit", f"{group}={burst}/{rate}")]
        portal_limits = ", ".join(f"{group}={burst}/{rate}" for group, (burst, rate) in limits.items())
        with Cluster(workdir, emulator_args=emulator_args, workers=args.workers, concurrency=args.concurrency,
                     portal_rate_limits=portal_limits, settings={}) as cluster:
            driver = cluster.driver
            cluster.organizations = driver.call("setup")
            # The upload through a web process (or a process of its own), then the check on a worker.
            uploaded = None
            if args.upload == "api":
                uploaded = _api_upload(cluster, workdir, args.organization, path)
            if uploaded is None:
                uploaded = _process_upload(cluster, workdir, args.organization, path)
            upload_started = uploaded["started"]
            checked = driver.call("bulk_wait", job=uploaded["job"], statuses=["ready"], timeout=timeout,
                                  sweep_every=60)
            if checked["status"] != "ready":
                raise SystemExit(f"the check did not end: {checked}\n{cluster.logs()}")
            before = cluster.emulator_stats()
            planned = driver.call("bulk_start", job=uploaded["job"])["actions"]
            if args.run_minutes:
                sampled = driver.call("bulk_wait", job=uploaded["job"], statuses=["finished"],
                                      timeout=args.run_minutes * 60, sweep_every=60)
                if sampled["timed_out"]:
                    driver.call("bulk_cancel", job=uploaded["job"])
            waited = driver.call("bulk_wait", job=uploaded["job"], statuses=["finished", "cancelled"],
                                 timeout=timeout, sweep_every=60)
            after = cluster.emulator_stats()
            worker_peaks = [_peak_rss_mb(worker.proc.pid) for worker in cluster.workers]
            cluster.emulator_controls(fault_rate=0.0, rate_limits_enabled=False)
            report = driver.call("bulk_report", job=uploaded["job"])
            vendor = cluster.vendor
    finally:
        if args.keep_logs:
            print(f"logs kept in {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    def spent(group: str, outcome: str) -> int:
        return after.get(group, {}).get(outcome, 0) - before.get(group, {}).get(outcome, 0)

    cancelled_run = waited["status"] == "cancelled"
    dry_run_s = checked["checked_at"] - upload_started
    # From the upload's answer (the rows stored, the check queued) to the job checked.
    check_s = checked["checked_at"] - (upload_started + uploaded["seconds"])
    dry_rows_per_s = args.rows / dry_run_s
    finished = waited["finished_at"] is not None and not waited["timed_out"]
    elapsed = (waited["finished_at"] if finished else time.time()) - waited["started_at"]
    rows = report["rows"]
    done = sum(row["outcome"] == "done" for row in rows)
    cancelled = sum(row["outcome"] == "cancelled" for row in rows)
    utilisation = {}
    for group, (burst, rate) in limits.items():
        # Calls that took a token from the tenant's bucket: served, and failed by an injected fault.
        accepted = spent(group, "served") + spent(group, "faults")
        if accepted or group in calls:
            utilisation[group] = (accepted, burst + rate / 60 * elapsed)
    # The group that binds, as measured: the one whose accepted calls came closest to its limit (a call made
    # more often than the design says counts: the design's figure may be exceeded).
    measured = max(utilisation, key=lambda group: utilisation[group][0] / utilisation[group][1])
    accepted, capacity = utilisation[measured]
    ratio = accepted / capacity
    rate_limited = sum(spent(group, "rate_limited") for group in after)
    # Rows neither done nor, in a sampled run, cancelled before they were sent.
    not_done = len(rows) - done - cancelled
    failed = sum(row["outcome"] == "failed" for row in rows)
    duplicated = sum(_duplicated(row) for row in rows if row["outcome"] == "done")
    rows_per_minute = done / elapsed * 60
    # Read Users calls per invitation: what a run makes again when it waits for its budget shows here first.
    reads_per_invite = utilisation["read_users"][0] / max(done, 1)
    reads_per_invite_design = calls["read_users"]
    worker_all = [peak for peaks in worker_peaks for peak in peaks]

    print(f"database: {vendor}; {args.rows:,} rows ({size / 1e6:.1f} MB), all new people, for {args.organization} "
          f"({MODES[args.organization]}); {args.workers} workers x {args.concurrency} processes; the tenant's "
          f"limits (burst/min): {', '.join(f'{g} {b}/{r}' for g, (b, r) in limits.items() if g in calls)}\n")
    print(f"planned: {planned}" + (f"; the run cancelled after {args.run_minutes} minutes (a sample): "
                                   f"{done:,} rows done, {cancelled:,} not sent" if cancelled_run else ""))
    print("upload: " + ("POSTed to the REST API served by gunicorn (one worker, one thread); web peak: the gunicorn "
                        "processes' largest VmHWM" if uploaded["via"] == "api" else
                        "the upload's service in a process of its own (no web server); web peak: its peak RSS"))
    table_print(["dry run s", "upload s", "check s", "rows/s", "web peak MB"],
                [[dry_run_s, uploaded["seconds"], check_s, dry_rows_per_s, uploaded["peak_rss_mb"]]])
    print()
    table_print(["group", "calls/invite (design)", "calls/row (measured)", "limit/min", "accepted",
                 "most acceptable", "ratio"],
                [[g, calls.get(g, 0), a / max(done, 1), limits[g][1], a, c, a / c]
                 for g, (a, c) in utilisation.items()])
    print(f"\nbinding group: {measured} as measured; by the calls one invitation needs, {binding} (its limit "
          f"allows the fewest invitations a minute: {invites_per_minute_max:.0f})\n")
    table_print(["elapsed s", "rows/min", "ratio", "429s", "re-sent", "not done", "failed", "duplicated",
                 "worker peak MB (largest)", "worker peak MB (sum)"],
                [[elapsed, rows_per_minute, ratio, rate_limited, waited["swept"], not_done, failed, duplicated,
                  max(worker_all, default=0.0), sum(worker_all)]])
    print("\ndry run: from the upload's start to the job checked; elapsed: from the job's start to its end; "
          "accepted: calls the tenant took\n(served, or failed by a fault); most acceptable: the group's burst "
          "plus its rate times the elapsed time; re-sent: tasks sent again by\nthe sweepers; worker peak: each "
          "worker process's VmHWM (main and pool children)")
    print()
    summary_print(
        rows=args.rows, database=vendor, organization=args.organization, workers=args.workers,
        concurrency=args.concurrency, dry_run_rows_per_s=dry_rows_per_s, dry_run_s=dry_run_s, check_s=check_s,
        binding_group=measured, binding_group_by_design=binding, binding_limit_per_min=limits[measured][1],
        elapsed_s=elapsed,
        rows_per_min=rows_per_minute, rows_done=done, rows_cancelled=cancelled, throughput_ratio=ratio,
        rate_limited_429=rate_limited,
        upload_via=uploaded["via"], web_peak_rss_mb=round(uploaded["peak_rss_mb"], 1),
        worker_peak_rss_mb=round(max(worker_all, default=0.0), 1),
        worker_peak_rss_sum_mb=round(sum(worker_all), 1), not_done=not_done, failed=failed, duplicated=duplicated,
        errors=not_done + failed + duplicated,
        read_users_per_invite=reads_per_invite, read_users_per_invite_design=reads_per_invite_design,
        target_met=(finished and ratio >= 0.9 and reads_per_invite <= 1.2 * reads_per_invite_design
                    and not_done + failed + duplicated == 0),
    )


if __name__ == "__main__":
    main()
