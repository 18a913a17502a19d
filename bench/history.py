"""The operations and audit pages over a huge trail: the last page costs what the first does.

Builds a database of its own (PostgreSQL when DATABASE_URL names a server, else SQLite) holding a trail
written by the database itself (``bench/history_seed.py``; default 1,000,000 operations and 1,000,000 audit
events over 100 organizations, 30% of each in org0000), an admin of org0000 and a company admin.

Then one gunicorn process (one worker, one thread) serves the portal, and each page below is requested
in turn, round after round, so noise falls on all of them alike:

- baseline: ``/bench/baseline/``, the cheapest authenticated page (base layout, session, principal);
- for the org0000 admin (``/o/org0000/operations/``, ``/o/org0000/audit/``) and the company admin
  (``/operations/``, ``/audit/``): the first page, a page halfway down (a cursor as the page makes
  them) and the last page (the Last link, ``page=last``).

Each page's p50 and p95 are printed as ratios to the baseline's (target: every p95 at most 3x).

    python bench/history.py [--operations 1000000] [--events 1000000] [--orgs 100] [--big-share 0.3]
                            [--rounds 200]
"""

from __future__ import annotations

import argparse
import json
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ratios_print, run_end, signed_in_pages_time, summary_print  # noqa: E402
from bench.directory import PYTHON, _env, _manage, _serve  # noqa: E402
from tests.support.databases import scratch_database  # noqa: E402

# No Auth0 is reached: the pages read the database alone.
NO_AUTH0 = "http://127.0.0.1:9"
LISTS = {"operations": "operations/", "audit": "audit/"}
# What each row of a list's page has.
ROWS = {"operations": 'class="operation-row', "audit": '<td role="cell" class="audit-time">'}


def _seed(env: dict[str, str], args: argparse.Namespace) -> dict:
    result = subprocess.run(
        [PYTHON, "-m", "bench.history_seed", "--operations", str(args.operations), "--events", str(args.events),
         "--orgs", str(args.orgs), "--big-share", str(args.big_share)],
        cwd=Path(__file__).resolve().parents[1], env=env, capture_output=True, text=True, check=False)
    if result.returncode:
        raise RuntimeError(f"seeding the trail failed:\n{result.stdout}\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _pages(cursors: dict[str, str]) -> dict[str, tuple[str, str]]:
    """name: (whose session, URL)."""
    pages = {"baseline": ("org_admin", "/bench/baseline/")}
    for name, path in LISTS.items():
        for who, prefix, scope in (("org", "/o/org0000/", "org_admin"), ("all", "/", "company_admin")):
            url = f"{prefix}{path}"
            pages[f"{name}_{who}_first"] = (scope, url)
            pages[f"{name}_{who}_middle"] = (scope, f"{url}?{urlencode({'after': cursors[f'{name}_{who}']})}")
            pages[f"{name}_{who}_last"] = (scope, f"{url}?page=last")
    return pages


def _page_check(name: str, response: httpx.Response) -> str:
    """A page of rows, the one asked for (a cursor the page refused would show the first, with a message)."""
    if name == "baseline":
        return ""
    if ROWS[name.split("_", 1)[0]] not in response.text or 'role="alert"' in response.text:
        return f"no rows, or not the page asked for: {response.text[:2000]}"
    return ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--operations", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--orgs", type=int, default=100)
    parser.add_argument("--big-share", type=float, default=0.3, help="the share of the trail in org0000")
    parser.add_argument("--rounds", type=int, default=200, help="requests of each page")
    parser.add_argument("--keep-database", action="store_true",
                        help="keep the PostgreSQL database afterwards (its name is printed), to study query plans")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-history-"))
    processes: list[subprocess.Popen] = []
    try:
        with scratch_database(workdir, "bench_history", keep=args.keep_database) as (database_url, vendor):
            env = _env(database_url, workdir, NO_AUTH0, secrets.token_urlsafe(50))
            _manage(env, "migrate", "--verbosity", "0")
            seeded = _seed(env, args)
            server, base = _serve(env, workdir)
            processes.append(server)
            times = signed_in_pages_time(base, seeded["sessions"], _pages(seeded["cursors"]), args.rounds, _page_check)
    finally:
        run_end(processes, workdir)

    print(f"database: {vendor}; trail: {args.operations:,} operations and {args.events:,} audit events over "
          f"{args.orgs} organizations, {args.big_share:.0%} in org0000 (written in {seeded['seed_s']:.0f} s); "
          "baseline page: /bench/baseline/ (base layout, session, principal)\n")
    base_p95, ratios = ratios_print(times, "page")
    print()
    worst = max(ratios.values())
    summary_print(
        operations=args.operations, events=args.events, database=vendor, seed_s=seeded["seed_s"],
        baseline_p95_ms=base_p95, **{f"{name}_p95_ratio": ratio for name, ratio in ratios.items()},
        worst_p95_ratio=worst, target_met=worst <= 3,
    )


if __name__ == "__main__":
    main()
