"""Helpers every benchmark shares: the output convention and the environment it runs in.

Convention: ``python bench/<name>.py [options]`` prints a readable table, then as its very last line a
machine-readable summary ``key=value key=value …`` (ratios against a baseline measured in the same run,
counts, peak memory). Timings are compared only within one run: the machines are shared and noisy.
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def django_setup(settings_module: str = "config.settings.test") -> None:
    """Set Django up for a benchmark: PostgreSQL when DATABASE_URL is set, SQLite otherwise."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    import django

    django.setup()


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far (Linux reports ru_maxrss in KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def table_print(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[str(h) for h in headers], *[[_fmt(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        print("  ".join(c.rjust(w) if n else c.ljust(w) for c, w in zip(row, widths, strict=True)))
        if n == 0:
            print("  ".join("-" * w for w in widths))


def summary_print(**values: object) -> None:
    """The last line of every benchmark's output."""
    print(" ".join(f"{k}={_fmt(v)}" for k, v in values.items()), flush=True)


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


def session_for(user_id: str) -> str:
    """A signed-in session key of the portal user ``user_id`` (made for them if need be), for a benchmark's
    requests: in a process where Django is set up with the database the portal serves."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from portal.models import User

    user, _ = User.objects.get_or_create(auth0_user_id=user_id, defaults={"email": f"{user_id}@bench.test"})
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "allauth.account.auth_backends.AuthenticationBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def pages_time(clients: dict[str, httpx.Client], pages: dict[str, tuple[str, str]], rounds: int,
               check: Callable[[str, httpx.Response], str]) -> dict[str, list[float]]:
    """Milliseconds of each page (name: (whose client, URL)), requested in turn round after round so noise
    falls on all alike; five rounds more first, untimed, warm the caches. ``check(name, response)`` says
    what is wrong with an answer ("" when nothing), which stops the run."""
    times: dict[str, list[float]] = {name: [] for name in pages}
    for round_number in range(rounds + 5):
        for name, (who, url) in pages.items():
            started = time.perf_counter()
            response = clients[who].get(url)
            elapsed = time.perf_counter() - started
            if response.status_code != 200 or (problem := check(name, response)):
                raise RuntimeError(f"{url} answered {response.status_code}: "
                                   f"{problem if response.status_code == 200 else response.text[:500]}")
            if round_number >= 5:
                times[name].append(elapsed * 1000)
    return times


def signed_in_pages_time(base: str, sessions: dict[str, str], pages: dict[str, tuple[str, str]], rounds: int,
                         check: Callable[[str, httpx.Response], str]) -> dict[str, list[float]]:
    """``pages_time`` with a client signed in by each of ``sessions`` (who: session key)."""
    clients = {who: httpx.Client(base_url=base, cookies={"sessionid": key}, timeout=120)
               for who, key in sessions.items()}
    try:
        return pages_time(clients, pages, rounds, check)
    finally:
        for client in clients.values():
            client.close()


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def ratios_print(times: dict[str, list[float]], what: str) -> tuple[float, dict[str, float]]:
    """A table of each timed ``what``'s p50 and p95, and their ratios to the baseline's (``times["baseline"]``);
    returns the baseline's p95 and every other p95 ratio."""
    base_p50, base_p95 = percentile(times["baseline"], 50), percentile(times["baseline"], 95)
    rows, ratios = [], {}
    for name, values in times.items():
        p50, p95 = percentile(values, 50), percentile(values, 95)
        ratios[name] = p95 / base_p95
        rows.append([name, p50, p95, p50 / base_p50, ratios[name]])
    table_print([what, "p50 ms", "p95 ms", "p50 ratio", "p95 ratio"], rows)
    del ratios["baseline"]
    return base_p95, ratios


def run_end(processes: Sequence[subprocess.Popen], workdir: Path) -> None:
    """Ask every process of the run to end, wait for each, then remove the run's directory."""
    for proc in processes:
        proc.terminate()
    for proc in processes:
        proc.wait(timeout=30)
    shutil.rmtree(workdir, ignore_errors=True)
