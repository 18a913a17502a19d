"""Each benchmark in bench/ runs at a small scale and ends with its machine-readable summary line.

Full-scale runs are for people measuring (their numbers go in the issue notes); this only keeps the
scripts working. Nothing here looks at the numbers: machines running the suite are shared and noisy.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support.processes import REPO

pytestmark = pytest.mark.processes

SMOKE_RUNS = {
    "emulator_throughput.py": ["--users", "300", "--seconds", "1", "--clients", "2"],
    "directory.py": ["--users", "2000", "--orgs", "6", "--rounds", "5"],
    "operations.py": ["--invites", "30", "--write-limit", "600", "--write-burst", "5"],
    "api.py": ["--users", "1000", "--orgs", "4", "--rounds", "5", "--validations", "50"],
    "history.py": ["--operations", "3000", "--events", "3000", "--orgs", "6", "--rounds", "5"],
    "bulk.py": ["--rows", "40", "--limit", "read_users=10/6000", "--limit", "write_users=10/6000", "--limit",
                "other=10/6000"],
}


def test_every_benchmark_has_a_smoke_run() -> None:
    """A benchmark is a script that prints the summary line; the rest of bench/ supports them."""
    scripts = {p.name for p in (REPO / "bench").glob("*.py") if "summary_print(" in p.read_text()
               and p.name != "common.py"}
    assert scripts == set(SMOKE_RUNS)


@pytest.mark.parametrize("script", sorted(SMOKE_RUNS))
def test_benchmark_runs_small_and_prints_its_summary(script: str) -> None:
    result = subprocess.run([sys.executable, str(REPO / "bench" / script), *SMOKE_RUNS[script]], cwd=REPO,
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    summary = result.stdout.strip().splitlines()[-1]
    pairs = dict(item.split("=", 1) for item in summary.split())
    assert pairs and all(key and value for key, value in pairs.items()), summary
    assert pairs.get("errors", "0") == "0", summary
