"""A sync worker for ``bench/directory.py``: runs ``manage.py directory_sync --full`` in this process and
prints, as JSON, how long it took and how much this process's memory grew while it ran.

    python -m bench.directory_worker   (with the bench's environment: settings, database, tenant)
"""

from __future__ import annotations

import io
import json
import resource
import time

from bench.common import django_setup


def rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def main() -> None:
    django_setup("bench.settings")
    # Everything the sync imports is loaded before the baseline, so growth is the sync's own.
    from django.core.management import call_command

    import users.directory.sync  # noqa: F401
    import users.tasks  # noqa: F401
    from users.models import SyncRun

    before = rss_kib()
    started = time.perf_counter()
    call_command("directory_sync", "--full", stdout=io.StringIO(), stderr=io.StringIO())
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    run = SyncRun.objects.filter(kind="full").first()
    print(json.dumps({"seconds": seconds, "users": run.users_seen, "rss_before_kib": before, "peak_kib": peak,
                      "status": run.status, "error": run.last_error}))


if __name__ == "__main__":
    main()
