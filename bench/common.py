"""Helpers every benchmark shares: the output convention and the environment it runs in.

Convention: ``python bench/<name>.py [options]`` prints a readable table, then as its very last line a
machine-readable summary ``key=value key=value …`` (ratios against a baseline measured in the same run,
counts, peak memory). Timings are compared only within one run: the machines are shared and noisy.
"""

from __future__ import annotations

import os
import resource
import sys
from collections.abc import Sequence
from pathlib import Path

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
