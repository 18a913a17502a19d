"""Throughput of the emulator's Management API on a synthetic tenant.

Starts ``python -m auth0_emulator --seed synthetic --users N --no-rate-limits`` as a subprocess, then
drives GET /users/{id} and GET /users (typical portal queries) over HTTP from a few concurrent
clients for a fixed time each. Ratios are against Auth0's default Read Users limit (500 per minute):
``get_ratio`` of 5 means the emulator serves five times what a real tenant would let the portal send.

    python bench/emulator_throughput.py [--users 10000] [--orgs 200] [--clients 4] [--seconds 5]
"""

from __future__ import annotations

import argparse
import itertools
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import REPO, summary_print, table_print  # noqa: E402
from tests.support.processes import free_port, wait_for_http  # noqa: E402

READ_USERS_PER_SECOND = 500 / 60  # Auth0's default Read Users limit


def emulator_start(data: Path, users: int, orgs: int) -> tuple[subprocess.Popen, str, float]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(data.with_suffix(".log"), "wb")  # noqa: SIM115 - lives as long as the process
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "auth0_emulator", "--port", str(port), "--data", str(data), "--seed", "synthetic",
         "--users", str(users), "--orgs", str(orgs), "--no-rate-limits"],
        cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
    )
    wait_for_http(f"{url}/.well-known/openid-configuration", timeout=300, proc=proc)
    return proc, url, time.perf_counter() - started


def token_get(url: str) -> str:
    r = httpx.post(f"{url}/oauth/token", data={
        "grant_type": "client_credentials", "client_id": "portal-m2m-dev",
        "client_secret": "portal-m2m-dev-secret", "audience": f"{url}/api/v2/"})
    r.raise_for_status()
    return r.json()["access_token"]


def drive(url: str, token: str, requests: list[tuple[str, dict]], clients: int, seconds: float) -> tuple[float, int]:
    """Requests per second sustained by ``clients`` threads cycling through ``requests``; errors counted."""
    stop = time.perf_counter() + seconds
    counts = [0] * clients
    errors = [0] * clients

    def worker(n: int) -> None:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
            for path, params in itertools.islice(itertools.cycle(requests), n, None):
                if time.perf_counter() >= stop:
                    return
                r = http.get(path, params=params)
                counts[n] += 1
                if r.status_code != 200:
                    errors[n] += 1

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / (time.perf_counter() - began), sum(errors)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--users", type=int, default=10000)
    p.add_argument("--orgs", type=int, default=200)
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--seconds", type=float, default=5.0)
    a = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="emulator-bench-") as tmp:
        proc, url, startup = emulator_start(Path(tmp) / "tenant.sqlite3", a.users, a.orgs)
        try:
            token = token_get(url)
            with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as http:
                sample = http.get("/api/v2/users", params={"per_page": 100, "fields": "user_id,email"}).json()
            ids = [u["user_id"] for u in sample]
            # Typical portal reads: an org's isolated connection, a shared-connection org, an Auth0
            # Organization's members via search, one email, and the unfiltered first page.
            queries = [
                {"q": 'identities.connection:"org0000-users"'},
                {"q": 'app_metadata.organizations:"org0001"'},
                {"q": f'email:"{sample[7]["email"]}"'},
                {"q": 'identities.connection:"org0003-users" AND email:user0*'},
                {},
            ]
            list_requests = [("/api/v2/users", {**q, "per_page": 50, "include_totals": "true"}) for q in queries]
            get_requests = [(f"/api/v2/users/{uid}", {}) for uid in ids]
            drive(url, token, get_requests[:10], 1, 0.5)  # warm-up
            get_rps, get_errors = drive(url, token, get_requests, a.clients, a.seconds)
            list_rps, list_errors = drive(url, token, list_requests, a.clients, a.seconds)
        finally:
            proc.terminate()
            proc.wait(10)
    rows = [
        ("GET /users/{id}", round(get_rps, 1), round(get_rps / READ_USERS_PER_SECOND, 2), get_errors),
        ("GET /users?q=…", round(list_rps, 1), round(list_rps / READ_USERS_PER_SECOND, 2), list_errors),
    ]
    print(f"synthetic tenant: {a.users} users, {a.orgs} orgs; generated and served after {startup:.1f}s")
    print(f"{a.clients} concurrent clients, {a.seconds:.0f}s per endpoint; ratio = rps / (500/60)\n")
    table_print(["endpoint", "requests/s", "ratio vs Read Users limit", "errors"], rows)
    summary_print(users=a.users, startup_s=round(startup, 2), get_rps=round(get_rps, 1),
                  list_rps=round(list_rps, 1), get_ratio=round(get_rps / READ_USERS_PER_SECOND, 2),
                  list_ratio=round(list_rps / READ_USERS_PER_SECOND, 2), errors=get_errors + list_errors)


if __name__ == "__main__":
    main()
