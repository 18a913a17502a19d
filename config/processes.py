"""Run the Procfile's processes in one terminal (``dev.py up``), with honcho, and stop them gently.

honcho stops each process by signalling its whole process group, which reaches a Celery worker's pool
children before the worker itself: they die mid-task and the worker logs them as killed. Here each
process gets SIGTERM itself and shuts down its own children (the worker's warm shutdown finishes the
tasks it holds, gunicorn stops its workers); only a process still running after ``STOP_WAIT_SECONDS``
has its whole group killed.

    .venv/bin/python -m config.processes [Procfile]
"""

from __future__ import annotations

import errno
import os
import signal
import sys
from pathlib import Path

import honcho.manager
from honcho.compat import ProcessManager
from honcho.environ import parse_procfile
from honcho.manager import Manager

# Long enough for a worker to finish a Management API call (they time out after AUTH0_MGMT_TIMEOUT).
STOP_WAIT_SECONDS = 20


class _MainProcessFirst(ProcessManager):
    """SIGTERM to the process alone; SIGKILL (after the wait) still to its whole group."""

    def terminate(self, pid: int) -> None:
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ESRCH):
                raise


def main(argv: list[str]) -> int:
    procfile = parse_procfile(Path(argv[0] if argv else "Procfile").read_text())
    honcho.manager.KILL_WAIT = STOP_WAIT_SECONDS
    manager = Manager()
    manager._procmgr = _MainProcessFirst()  # honcho has no public hook for how it signals
    for name, command in procfile.processes.items():
        # exec: the signal reaches the program, not a shell waiting for it.
        manager.add_process(f"{name}.1", f"exec {command}", env=os.environ.copy())
    manager.loop()
    return manager.returncode or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
