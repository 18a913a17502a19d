"""The REST API at scale: a user search in the 30,000-user organization of the directory benchmark, through
the API, against the cheapest authenticated API call; and how many tokens one process validates locally.

Builds the directory benchmark's tenant and portal with its own functions (bench/directory.py: a synthetic
tenant in the emulator, default 100,000 users over 100 organizations with 30,000 in org0000, the matching
organizations, one full sync through the real tasks), registers the emulator's tool client for org0000
with ``manage.py api_client_register``, and takes a client-credentials token from the emulator.

Then one gunicorn process (one worker, one thread) serves the portal, and each call below is made in
turn, round after round, so noise falls on all of them alike:

- baseline: ``/bench/api-baseline/``, the cheapest authenticated API call (token validated locally, the
  client's registration read, permission and throttle checked, a tiny JSON answer);
- search: a free-text search of org0000's users (``?q=smith``), the API's user list;
- filtered: the same with filters and a sort; list: the first page with no search.

Each call's p50 and p95 are printed as ratios to the baseline's (target: the search's p95 at most 3x).
Finally a process of its own validates the same token again and again (signature, algorithm, issuer,
audience, times; the JWKS cached) and reports validations per second.

    python bench/api.py [--users 100000] [--orgs 100] [--big-org 30000] [--rounds 200] [--validations 5000]
"""

from __future__ import annotations

import argparse
import json
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import pages_time, ratios_print, run_end, summary_print  # noqa: E402
from bench.directory import (  # noqa: E402
    _emulator_start,
    _env,
    _manage,
    _serve,
    _setup_portal,
    _sync,
)
from tests.support.databases import scratch_database  # noqa: E402

TOOL_ID, TOOL_SECRET = "portal-tool-dev", "portal-tool-dev-secret"  # the emulator's seeded tool client
AUDIENCE = "https://portal.local/api/"  # the emulator's and the portal's default PORTAL_API_AUDIENCE
USERS = "/api/v1/organizations/org0000/users/"
CALLS = {
    "baseline": "/bench/api-baseline/",
    "search": f"{USERS}?q=smith",
    "filtered": f"{USERS}?q=smith&verified=yes&blocked=no&sort=-last_login&size=50",
    "list": USERS,
}
VALIDATE = """
import json, time
from api.auth.authentication import token_claims_validate
token, count = {token!r}, {count}
token_claims_validate(token)  # reads the JWKS once; what follows is local
started = time.perf_counter()
for _ in range(count):
    token_claims_validate(token)
print(json.dumps({{"seconds": time.perf_counter() - started}}))
"""


def _token(emulator_url: str) -> str:
    response = httpx.post(f"{emulator_url}/oauth/token", data={
        "grant_type": "client_credentials", "client_id": TOOL_ID, "client_secret": TOOL_SECRET, "audience": AUDIENCE,
    }, timeout=30)
    response.raise_for_status()
    return response.json()["access_token"]


def _call_check(name: str, response: httpx.Response) -> str:
    if name != "baseline" and not response.json()["results"]:
        return "no user found: a page of results is what is measured"
    return ""


def _measure(base: str, token: str, rounds: int) -> dict[str, list[float]]:
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
        return pages_time({"tool": client}, {name: ("tool", url) for name, url in CALLS.items()}, rounds,
                          _call_check)


def _validations_per_second(env: dict[str, str], token: str, count: int) -> float:
    measured = json.loads(_manage(env, "shell", "-c", VALIDATE.format(token=token, count=count))
                          .strip().splitlines()[-1])
    return count / measured["seconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--orgs", type=int, default=100)
    parser.add_argument("--big-org", type=int, default=None, help="users in org0000 (default 30%% of --users)")
    parser.add_argument("--rounds", type=int, default=200, help="requests of each call")
    parser.add_argument("--validations", type=int, default=5000, help="local token validations to time")
    args = parser.parse_args()
    big_org = args.big_org if args.big_org is not None else int(args.users * 0.3)
    workdir = Path(tempfile.mkdtemp(prefix="bench-api-"))
    processes: list[subprocess.Popen] = []
    try:
        with scratch_database(workdir, "bench_api") as (database_url, vendor):
            emulator, emulator_url, _ = _emulator_start(workdir, args.users, args.orgs, big_org)
            processes.append(emulator)
            # No throttle in the way: the budget per client is not what is measured.
            env = {**_env(database_url, workdir, emulator_url, secrets.token_urlsafe(50)),
                   "PORTAL_API_RATE": "100000000/min", "PORTAL_API_AUDIENCE": AUDIENCE}
            _manage(env, "migrate", "--verbosity", "0")
            _setup_portal(env, args.orgs)
            synced = _sync(env)
            _manage(env, "api_client_register", TOOL_ID, "--name", "Bench tool", "--organization", "org0000",
                    "--permission", "users:read", "--permission", "organizations:read")
            token = _token(emulator_url)
            server, base = _serve(env, workdir)
            processes.append(server)
            times = _measure(base, token, args.rounds)
            validations = _validations_per_second(env, token, args.validations)
    finally:
        run_end(processes, workdir)

    print(f"database: {vendor}; tenant: {args.users:,} users over {args.orgs} organizations, {big_org:,} in "
          f"org0000 (full sync {synced['seconds']:.0f} s); baseline: /bench/api-baseline/ (token, registration, "
          "permission, throttle)\n")
    base_p95, ratios = ratios_print(times, "call")
    print(f"\nlocal token validations: {validations:.0f}/s in one process ({args.validations} timed)\n")
    summary_print(
        users=args.users, big_org=big_org, database=vendor, baseline_p95_ms=base_p95,
        search_p95_ratio=ratios["search"], filtered_p95_ratio=ratios["filtered"], list_p95_ratio=ratios["list"],
        validations_per_s=validations, target_met=ratios["search"] <= 3,
    )


if __name__ == "__main__":
    main()
