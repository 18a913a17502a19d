"""The portal's operation machinery as real processes, for the reliability tests and bench/operations.py.

A :class:`Cluster` is: a Redis server of its own (the broker, the shared Management API budget and the
cache; ``--save '' --appendonly no``, so a restart loses every message it held, as a crashed broker
does), a database of its own (PostgreSQL when DATABASE_URL names a server, else a SQLite file), an
emulator, two or more Celery worker processes as the Procfile runs them, and a *driver*: a Django
process (``python -m tests.support.operations_driver``) that plays the web process and beat, asking for
operations through the services, running the sweeper, and reporting what became of them. The test or
benchmark kills and restarts workers and the broker from outside, as an operator's bad day would.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import redis

from tests.support.databases import scratch_database
from tests.support.processes import REPO, EmulatorProcess, free_port

CELERY = str(Path(sys.executable).with_name("celery"))


def redis_server_binary() -> str:
    """Debian's redis-server (``apt-get install redis-server``); PATH first, then where Debian puts it."""
    for candidate in (*os.environ.get("PATH", "").split(os.pathsep), "/usr/bin", "/usr/local/bin"):
        path = Path(candidate) / "redis-server"
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    raise RuntimeError("redis-server is missing: install Debian's redis-server (apt-get install redis-server), "
                       "or put a redis-server binary on PATH")


class RedisServer:
    """``redis-server`` on a free port of its own, keeping nothing on disk; restarted on the same port."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log_file = workdir / f"redis-{self.port}.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 20.0) -> RedisServer:
        with open(self.log_file, "ab") as log:
            self.proc = subprocess.Popen(
                [redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", str(self.workdir)],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.proc.returncode}:\n{self.log_file.read_text()}")
            try:
                if client.ping():
                    client.close()
                    return self
            except redis.exceptions.ConnectionError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(20)

    def restart(self, down_seconds: float = 1.0) -> None:
        """Stop (everything it held is lost), stay down a moment, start again on the same port."""
        self.stop()
        time.sleep(down_seconds)
        self.start()


class WorkerProcess:
    """A Celery worker as the Procfile starts it, in a process group of its own so that it can be
    killed whole (main process and pool children) as a machine that dies takes them all."""

    def __init__(self, name: str, env: dict[str, str], workdir: Path, concurrency: int) -> None:
        self.name = name
        self.env = env
        self.concurrency = concurrency
        self.log_file = workdir / f"worker-{name}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> WorkerProcess:
        with open(self.log_file, "ab") as log:
            log.write(f"\n--- started {time.strftime('%H:%M:%S')} ---\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                [CELERY, "--app", "portal", "worker", "--queues", "default,auth0-management", "--loglevel", "INFO",
                 "--concurrency", str(self.concurrency), "--hostname", f"{self.name}@operations-cluster",
                 "--without-mingle", "--without-gossip"],
                cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        return self

    def wait_ready(self, timeout: float = 90.0) -> None:
        started = self.log_file.read_text().rfind("--- started")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " ready." in self.log_file.read_text()[started:]:
                return
            if self.proc is None or self.proc.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"worker {self.name} did not become ready:\n{self.log()[-4000:]}")

    def kill(self) -> None:
        """SIGKILL to the worker and its pool children at once: nothing gets to finish or say goodbye."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(20)

    def stop(self) -> None:
        """A warm shutdown (SIGTERM: the tasks it holds are finished), else the whole group is killed."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        self.wait_stopped()

    def wait_stopped(self) -> None:
        if self.proc is None:
            return
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.kill()
        with contextlib.suppress(ProcessLookupError):  # pool children left behind by a dead parent
            os.killpg(self.proc.pid, signal.SIGKILL)

    def log(self) -> str:
        return self.log_file.read_text() if self.log_file.exists() else ""


class Driver:
    """The driver process: one JSON command per line on its stdin, one JSON answer per line on stdout."""

    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        self.log_file = workdir / "driver.log"
        with open(self.log_file, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tests.support.operations_driver"], cwd=REPO, env=env,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True, bufsize=1,
            )

    def call(self, command: str, **arguments: Any) -> Any:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"command": command, **arguments}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the driver died during {command!r}:\n{self.log_file.read_text()[-6000:]}")
        answer = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"the driver failed at {command!r}: {answer['error']}\n{answer.get('traceback', '')}")
        return answer["result"]

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(OSError, RuntimeError):
                self.call("quit")
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# How fast the machinery notices lost work, shortened from production's minutes so that a run takes
# seconds: a run holding its claim past the (shortened) hard time limit is dead, and an operation
# pending a few seconds past when it was due lost its message.
QUICK_RECOVERY = {
    "CELERY_TASK_SOFT_TIME_LIMIT": "4",
    "CELERY_TASK_TIME_LIMIT": "5",
    "AUTH0_MGMT_TIMEOUT": "3",
    "OPERATIONS_STALE_CLAIM_SECONDS": "10",
    "OPERATIONS_SWEEP_GRACE_SECONDS": "5",
    "OPERATIONS_BACKOFF_MAX_SECONDS": "2",
    # A bulk job's check that has not moved for this long is sent again by the bulk sweeper.
    "BULK_CHECK_STALE_SECONDS": "10",
}


class Cluster:
    """Everything above, started together (use as a context manager) and stopped in reverse order.

    ``emulator_args``: the emulator's rate limits and faults. ``portal_rate_limits``: the portal's
    AUTH0_RATE_LIMITS (the budget it believes the tenant has). ``settings``: further environment for
    the portal's processes (QUICK_RECOVERY by default)."""

    def __init__(self, workdir: Path, *, emulator_args: list[str], portal_rate_limits: str, workers: int = 2,
                 concurrency: int = 2, settings: dict[str, str] | None = None) -> None:
        self.workdir = workdir
        self.emulator_args = emulator_args
        self.portal_rate_limits = portal_rate_limits
        self.worker_count = workers
        self.concurrency = concurrency
        self.settings = QUICK_RECOVERY if settings is None else settings
        self.workers: list[WorkerProcess] = []
        # The driver's setup answer (each organization's mode and Auth0 ids), once the caller has run it.
        self.organizations: dict[str, dict[str, str]] = {}
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> Cluster:
        try:
            self._start()
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stack.close()

    def _start(self) -> None:
        self.emulator = EmulatorProcess(self.workdir, "--seed", "demo", "--test-controls", *self.emulator_args)
        self.emulator.start()
        self._stack.callback(self.emulator.stop)
        self.redis = RedisServer(self.workdir).start()
        self._stack.callback(self.redis.stop)
        self.database_url, self.vendor = self._stack.enter_context(scratch_database(self.workdir, "operations"))
        self.env = self._environment()
        # The workers and the driver start while the database is migrated (none reads it before the driver's
        # first command): the slowest steps of starting overlap.
        migrate = subprocess.Popen([sys.executable, "manage.py", "migrate", "--verbosity", "0"], cwd=REPO,
                                   env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.workers = [WorkerProcess(f"w{n + 1}", self.env, self.workdir, self.concurrency).start()
                        for n in range(self.worker_count)]
        self._stack.callback(self._workers_stop)
        self.driver = Driver(self.env, self.workdir)
        self._stack.callback(self.driver.stop)
        output, _ = migrate.communicate(timeout=600)
        if migrate.returncode:
            raise RuntimeError(f"migrate failed:\n{output}")
        for worker in self.workers:
            worker.wait_ready()

    def _environment(self) -> dict[str, str]:
        emulator = self.emulator.url
        env = {name: value for name, value in os.environ.items()
               if not name.startswith(("EMULATOR_", "AUTH0_", "CELERY_", "OPERATIONS_", "DJANGO_"))
               and name not in ("DATABASE_URL", "CACHE_URL", "EMAIL_URL")}
        return {**env, "DJANGO_SETTINGS_MODULE": "config.settings.embedded", "DEBUG": "0",
                "SECRET_KEY": secrets.token_urlsafe(40), "PORTAL_VAR_DIR": str(self.workdir / "var"),
                "DATABASE_URL": self.database_url, "CELERY_BROKER_URL": self.redis.url,
                "AUTH0_DOMAIN": self.emulator.domain, "AUTH0_BASE_URL": emulator,
                "AUTH0_MGMT_AUDIENCE": f"{emulator}/api/v2/", "AUTH0_RATE_LIMITS": self.portal_rate_limits,
                "CELERY_WORKER_CONCURRENCY": str(self.concurrency), "PYTHONUNBUFFERED": "1",
                "CLUSTER_EMULATOR_DATA": str(self.emulator.data_file), **self.settings}

    def _workers_stop(self) -> None:
        for worker in self.workers:  # all at once, then each waited for
            if worker.proc is not None and worker.proc.poll() is None:
                worker.proc.terminate()
        for worker in self.workers:
            worker.wait_stopped()

    def worker_kill_and_restart(self, index: int = 0, down_seconds: float = 1.0) -> None:
        worker = self.workers[index]
        worker.kill()
        time.sleep(down_seconds)
        worker.start().wait_ready()

    def emulator_controls(self, **controls: Any) -> dict:
        import httpx

        response = httpx.post(f"{self.emulator.url}/emulator/controls", json=controls, timeout=10)
        response.raise_for_status()
        return response.json()

    def emulator_stats(self) -> dict[str, dict[str, int]]:
        import httpx

        response = httpx.get(f"{self.emulator.url}/emulator/stats", timeout=10)
        response.raise_for_status()
        return response.json()["groups"]

    def logs(self) -> str:
        """The tail of every process's log, for a failure's message."""
        parts = [f"--- {w.name} ---\n{w.log()[-3000:]}" for w in self.workers]
        parts.append(f"--- driver ---\n{self.driver.log_file.read_text()[-3000:]}")
        return "\n".join(parts)
