"""The user directory at scale: a full sync through the real tasks, then the list pages an admin uses.

Builds a synthetic tenant in the emulator (default 100,000 users over 100 organizations, one of them,
org0000, holding 30,000), creates the matching organizations in a database of its own (PostgreSQL when
DATABASE_URL names a server, else SQLite), and syncs it fully with ``manage.py directory_sync --full`` in
a worker process of its own, whose memory growth it reports. The same sync at a quarter of the size
shows that memory does not grow with the tenant.

Then one gunicorn process (one worker, one thread) serves the portal, and each page below is requested
in turn, round after round, so noise falls on all of them alike:

- baseline: ``/bench/baseline/``, the cheapest authenticated page (base layout, session, principal);
- list: the big organization's admin opening its user list;
- search: a free-text search there; filtered: a search with filters and a sort; last: its last page;
- company: a company admin's search across every organization;
- role: the big organization's list filtered by an application role a fifth of its users hold (which the
  organization may grant), searched.

Each page's p50 and p95 are printed as ratios to the baseline's (target: every p95 at most 3x).

    python bench/directory.py [--users 100000] [--orgs 100] [--big-org 30000] [--rounds 200]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from auth0_emulator.seed import SYNTHETIC_HELD_ROLE, demo_role_id  # noqa: E402
from bench.common import REPO, ratios_print, run_end, signed_in_pages_time, summary_print, table_print  # noqa: E402
from tests.support.databases import scratch_database  # noqa: E402
from tests.support.processes import free_port, wait_for_http  # noqa: E402

PYTHON = sys.executable
# The role the synthetic tenant gives a fifth of org0000's users (auth0_emulator.seed.synthetic_roles_of).
HELD_ROLE_ID = demo_role_id(SYNTHETIC_HELD_ROLE)
MB = 1024


def _emulator_start(workdir: Path, users: int, orgs: int, big_org: int) -> tuple[subprocess.Popen, str, float]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(workdir / f"emulator-{users}.log", "wb")  # noqa: SIM115 - lives as long as the process
    started = time.perf_counter()
    proc = subprocess.Popen(
        [PYTHON, "-m", "auth0_emulator", "--port", str(port), "--data", str(workdir / f"tenant-{users}.sqlite3"),
         "--seed", "synthetic", "--users", str(users), "--orgs", str(orgs), "--big-org-users", str(big_org),
         "--no-rate-limits"],
        cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
    )
    wait_for_http(f"{url}/.well-known/openid-configuration", timeout=1800, proc=proc)
    return proc, url, time.perf_counter() - started


def _env(database_url: str, workdir: Path, emulator_url: str, secret_key: str) -> dict[str, str]:
    domain = urlsplit(emulator_url).netloc
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": "memory://", "PORTAL_VAR_DIR": str(workdir / "var"), "SECRET_KEY": secret_key,
            "AUTH0_DOMAIN": domain, "AUTH0_BASE_URL": emulator_url, "AUTH0_MGMT_AUDIENCE": f"{emulator_url}/api/v2/",
            "CACHE_URL": "locmemcache://", "PYTHONUNBUFFERED": "1", "LOG_LEVEL": "WARNING"}


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([PYTHON, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True,
                            check=False)
    if result.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def _setup_portal(env: dict[str, str], orgs: int) -> dict[str, str]:
    """Organizations matching the synthetic tenant (found through the gateway), an admin of the big one,
    a company admin, and a signed-in session for each; returns the session keys."""
    script = f"""
import json
from bench.common import session_for
from organizations.models import CompanyAdmin, MembershipMode, Organization, OrganizationRole
from auth0_gateway import gateway

auth0 = gateway()
isolated = {{c["name"]: c["id"] for c in auth0.connections_list()}}
shared = isolated["Username-Password-Authentication"]
for i in range({orgs}):
    slug = f"org{{i:04d}}"
    if f"{{slug}}-users" in isolated:
        mode, connection, connection_id, org_id = (MembershipMode.ISOLATED_CONNECTION, f"{{slug}}-users",
                                                   isolated[f"{{slug}}-users"], "")
    else:
        try:
            org_id = auth0.organization_get_by_name(name=slug)["id"]
            mode = MembershipMode.AUTH0_ORGANIZATION
        except Exception:
            org_id, mode = "", MembershipMode.SHARED_CONNECTION
        connection, connection_id = "Username-Password-Authentication", shared
    Organization.objects.update_or_create(slug=slug, defaults=dict(
        display_name=f"Org {{i:04d}}", membership_mode=mode, connection_name=connection,
        auth0_connection_id=connection_id, auth0_organization_id=org_id))

OrganizationRole.objects.get_or_create(organization=Organization.objects.get(slug="org0000"),
                                       user_id="bench|org-admin", defaults={{"role": "admin"}})
# The tenant's roles read, and the one a fifth of org0000's users hold made grantable there: the role filter.
from app_roles.catalog import tenant_roles_refresh
from app_roles.models import GrantableRole
tenant_roles_refresh()
GrantableRole.objects.get_or_create(organization=Organization.objects.get(slug="org0000"), role_id={HELD_ROLE_ID!r},
                                    defaults={{"label": "Editor"}})
CompanyAdmin.objects.get_or_create(user_id="bench|company-admin")
print(json.dumps({{"org_admin": session_for("bench|org-admin"), "company_admin": session_for("bench|company-admin")}}))
"""
    return json.loads(_manage(env, "shell", "-c", script).strip().splitlines()[-1])


def _sync(env: dict[str, str]) -> dict:
    """A full sync in a worker process of its own; its time and memory growth."""
    result = subprocess.run([PYTHON, "-m", "bench.directory_worker"], cwd=REPO, env=env, capture_output=True,
                            text=True, check=False)
    if result.returncode:
        raise RuntimeError(f"the sync worker failed:\n{result.stdout}\n{result.stderr}")
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    if measured["status"] != "succeeded":
        raise RuntimeError(f"the full sync failed: {measured['error']}")
    measured["growth_mb"] = (measured["peak_kib"] - measured["rss_before_kib"]) / MB
    return measured


def _flush(env: dict[str, str]) -> None:
    """Empty the portal's database between the two tenants (the directory's counts with it: no count of
    people when there is nobody, the organizations' going with them)."""
    _manage(env, "shell", "-c", "from users.models import *; from organizations.models import *; "
                                "DirectoryUser.objects.all().delete(); Tombstone.objects.all().delete(); "
                                "DirectoryCounts.objects.all().delete(); "
                                "SyncRun.objects.all().delete(); Organization.objects.all().delete()")


def _serve(env: dict[str, str], workdir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    log = open(workdir / "gunicorn.log", "wb")  # noqa: SIM115 - lives as long as the process
    proc = subprocess.Popen(
        [str(Path(PYTHON).with_name("gunicorn")), "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "1",
         "--timeout", "120", "config.wsgi"],
        cwd=REPO, env={**env, "WEB_CONCURRENCY": "1"}, stdout=log, stderr=subprocess.STDOUT,
    )
    wait_for_http(f"http://127.0.0.1:{port}/healthz", timeout=120, proc=proc)
    return proc, f"http://127.0.0.1:{port}"


# The pages an admin uses, each name: (whose session, URL).
PAGES = {
    "baseline": ("org_admin", "/bench/baseline/"),
    "list": ("org_admin", "/o/org0000/users/"),
    "search": ("org_admin", "/o/org0000/users/?q=smith"),
    "filtered": ("org_admin", "/o/org0000/users/?q=smith&verified=yes&blocked=no&sort=-last_login&size=50"),
    "last": ("org_admin", "/o/org0000/users/?sort=name&page=last"),
    "company": ("company_admin", "/users/?q=garcia"),
    # The role filter: the holders of a role a fifth of org0000's users hold, searched.
    "role": ("org_admin", f"/o/org0000/users/?app_role={HELD_ROLE_ID}&q=smith"),
}


def _page_check(name: str, response: httpx.Response) -> str:
    if name == "baseline":
        return ""
    if 'id="user-total"' not in response.text:
        return response.text[:500]
    if '<tr role="row">' not in response.text.split("<tbody>", 1)[-1]:
        return "no user shown: a page of results is what is measured"
    if name == "role" and f'<option value="{HELD_ROLE_ID}" selected>' not in response.text:
        return "the role filter was refused: the list shown is not the filtered one"
    return ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--orgs", type=int, default=100)
    parser.add_argument("--big-org", type=int, default=None, help="users in org0000 (default 30%% of --users)")
    parser.add_argument("--rounds", type=int, default=200, help="requests of each page")
    parser.add_argument("--keep-database", action="store_true",
                        help="keep the PostgreSQL database afterwards (its name is printed), to study query plans")
    args = parser.parse_args()
    big_org = args.big_org if args.big_org is not None else int(args.users * 0.3)
    small = max(args.users // 4, 1000)
    workdir = Path(tempfile.mkdtemp(prefix="bench-directory-"))
    secret_key = secrets.token_urlsafe(50)
    processes: list[subprocess.Popen] = []
    try:
        with scratch_database(workdir, "bench_directory", keep=args.keep_database) as (database_url, vendor):
            results = {}
            for users in (small, args.users):
                share = int(big_org * users / args.users)
                emulator, emulator_url, seed_s = _emulator_start(workdir, users, args.orgs, share)
                processes.append(emulator)
                env = _env(database_url, workdir, emulator_url, secret_key)
                _manage(env, "migrate", "--verbosity", "0")
                if users == args.users and users != small:
                    _flush(env)
                sessions = _setup_portal(env, args.orgs)
                results[users] = {"seed_s": seed_s, **_sync(env)}
                if users != args.users:
                    emulator.terminate()
            server, base = _serve(env, workdir)
            processes.append(server)
            times = signed_in_pages_time(base, sessions, PAGES, args.rounds, _page_check)
    finally:
        run_end(processes, workdir)

    full = results[args.users]
    print(f"database: {vendor}; tenant: {args.users:,} users over {args.orgs} organizations, "
          f"{big_org:,} in org0000; baseline page: /bench/baseline/ (base layout, session, principal)\n")
    table_print(["tenant", "emulator start s", "full sync s", "users/s", "sync memory growth MB"], [
        [f"{n:,}", r["seed_s"], r["seconds"], r["users"] / r["seconds"], r["growth_mb"]] for n, r in results.items()
    ])
    print()
    base_p95, ratios = ratios_print(times, "page")
    print()
    worst = max(ratios.values())
    summary_print(
        users=args.users, database=vendor, sync_s=full["seconds"], users_per_s=full["users"] / full["seconds"],
        mem_growth_mb=full["growth_mb"], mem_growth_mb_small=results[small]["growth_mb"], small_users=small,
        baseline_p95_ms=base_p95, **{f"{name}_p95_ratio": ratio for name, ratio in ratios.items()},
        worst_p95_ratio=worst, target_met=worst <= 3 and full["growth_mb"] < 150,
    )


if __name__ == "__main__":
    main()
