"""Start the product's real processes for tests, and wait for them to answer."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_http(url: str, timeout: float = 30.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - test URL on loopback
                if resp.status < 500:
                    return
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                return
            last = exc
        except OSError as exc:
            last = exc
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout}s: {last}")


class EmulatorProcess:
    """``python -m auth0_emulator`` on a free port with its own data file."""

    def __init__(self, data_dir: Path, *args: str) -> None:
        self.data_dir = data_dir
        self.options = args
        self.proc: subprocess.Popen | None = None
        self._port_take(free_port())

    def _port_take(self, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.domain = f"127.0.0.1:{port}"
        self.data_file = self.data_dir / f"emulator-{port}.sqlite3"
        self.log_file = self.data_dir / f"emulator-{port}.log"
        self.args = ["--port", str(port), "--data", str(self.data_file), *self.options]

    def start(self, timeout: float = 60.0) -> EmulatorProcess:
        """Start (or restart, on the same port and data file) and wait until this process answers.

        A free port can be taken by another process between ``free_port()`` and the emulator's bind;
        that process would then answer in its place. Only uvicorn's "running on" line in our own log
        proves the port is ours; a first start that lost the race moves to another free port."""
        restart = self.proc is not None
        for _ in range(3):
            log = open(self.log_file, "ab")  # noqa: SIM115 - lives as long as the process
            offset = log.tell()
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "auth0_emulator", *self.args],
                cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env=self._environment(),
            )
            if self._bound(offset, timeout):
                try:
                    wait_for_http(f"{self.url}/.well-known/openid-configuration", timeout, self.proc)
                    return self
                except Exception:
                    self.stop()
                    break
            self.stop()
            if restart or "address already in use" not in self.log()[offset:]:
                break
            self._port_take(free_port())
        raise RuntimeError(f"emulator did not start:\n{self.log()[-4000:]}")

    @staticmethod
    def _environment() -> dict[str, str]:
        """This process's environment without the emulator's own variables (``EMULATOR_*``, which
        ``dev.py up`` sets): a test's emulator is what its options say, nothing more."""
        env = {name: value for name, value in os.environ.items() if not name.startswith("EMULATOR_")}
        return {**env, "PYTHONUNBUFFERED": "1"}

    def _bound(self, offset: int, timeout: float) -> bool:
        """Whether this process logged that it listens on its port (False once it has exited)."""
        running = f"Uvicorn running on http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if running in self.log()[offset:]:
                return True
            if self.proc is None or self.proc.poll() is not None:
                return False
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def log(self) -> str:
        return self.log_file.read_text() if self.log_file.exists() else ""
