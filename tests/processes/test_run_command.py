"""The README's run command brings up web, worker, beat and the emulator on embedded defaults."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import httpx
import pytest

from auth0_gateway import Auth0Gateway
from tests.support.processes import REPO, free_port, wait_for_http

pytestmark = pytest.mark.processes


def _embedded_env(var_dir: Path, web_port: int, emulator_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update({
        "PORTAL_VAR_DIR": str(var_dir),
        "PORTAL_BIND": f"127.0.0.1:{web_port}",
        "PORTAL_HEARTBEAT_SECONDS": "1",
        "EMULATOR_PORT": str(emulator_port),
        "EMULATOR_DATA": str(var_dir / "auth0-emulator.sqlite3"),
        "AUTH0_DOMAIN": f"127.0.0.1:{emulator_port}",
    })
    return env


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def _heartbeats(db: Path) -> dict[str, int]:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return dict(conn.execute("SELECT name, beats FROM portal_processheartbeat").fetchall())
    except sqlite3.OperationalError:  # not migrated yet
        return {}


def test_run_command_starts_every_process(tmp_path: Path) -> None:
    web_port, emulator_port = free_port(), free_port()
    env = _embedded_env(tmp_path, web_port, emulator_port)
    log_path = tmp_path / "up.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "dev.py", "up"], cwd=REPO, env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        try:
            wait_for_http(f"http://127.0.0.1:{web_port}/healthz", timeout=120, proc=proc)
            wait_for_http(f"http://127.0.0.1:{emulator_port}/.well-known/openid-configuration",
                          timeout=60, proc=proc)
        except Exception as exc:
            raise AssertionError(f"{exc}\n--- dev.py up output ---\n{log_path.read_text()[-6000:]}") from exc

        with urllib.request.urlopen(f"http://127.0.0.1:{web_port}/healthz") as resp:  # noqa: S310
            health = json.load(resp)
        assert health["checks"] == {"database": "ok", "broker": "ok"}

        db = tmp_path / "portal.sqlite3"
        # Beat ticks every second and a worker runs each tick: the count keeps growing.
        first = _wait_for(lambda: _heartbeats(db).get("beat", 0), 60, "beat's first heartbeat")
        _wait_for(lambda: _heartbeats(db).get("beat", 0) >= first + 2, 30, "further beat heartbeats")

        # A task sent from outside (as the web process does) goes through the broker to the worker.
        subprocess.run(
            [str(REPO / ".venv" / "bin" / "python"), "manage.py", "shell", "-c",
             "from portal.tasks import heartbeat_record; heartbeat_record.delay('probe')"],
            cwd=REPO, env=env, check=True, capture_output=True, timeout=60,
        )
        _wait_for(lambda: _heartbeats(db).get("probe") == 1, 60, "the worker to consume the probe task")

        # The demo: queued by `prepare --demo`, created by the worker through the emulator's Management
        # API, and each organization connected to its Auth0 side by a provisioning operation.
        def demo_state() -> list[tuple]:
            try:
                with sqlite3.connect(db, timeout=5) as conn:
                    return conn.execute(
                        "SELECT o.slug, o.auth0_connection_id != '', "
                        "(SELECT COUNT(*) FROM organizations_organizationrole r WHERE r.organization_id = o.id) "
                        "FROM organizations_organization o ORDER BY o.slug"
                    ).fetchall()
            except sqlite3.OperationalError:
                return []

        _wait_for(lambda: demo_state() == [("acme", 1, 2), ("globex", 1, 2), ("initech", 1, 2)], 120,
                  f"the demo organizations to be created and connected (now {demo_state()})")

        with urllib.request.urlopen(f"http://127.0.0.1:{web_port}/") as resp:  # noqa: S310
            assert resp.status == 200 and b"User administration, delegated safely" in resp.read()

        # The README's first API call: the demo registered the emulator's company-wide tool client, so its
        # client-credentials token searches Acme's users (the directory's first full sync fills the list).
        def api_clients() -> int:
            try:
                with sqlite3.connect(db, timeout=5) as conn:
                    return conn.execute("SELECT COUNT(*) FROM organizations_apiclient").fetchone()[0]
            except sqlite3.OperationalError:
                return 0

        _wait_for(lambda: api_clients() == 2, 60, "the demo's two tool clients to be registered")
        token = httpx.post(f"http://127.0.0.1:{emulator_port}/oauth/token", data={
            "grant_type": "client_credentials", "client_id": "portal-tool-dev",
            "client_secret": "portal-tool-dev-secret", "audience": "https://portal.local/api/"}, timeout=10,
        ).json()["access_token"]

        def liam_found() -> list:
            response = httpx.get(f"http://127.0.0.1:{web_port}/api/v1/organizations/acme/users/",
                                 params={"q": "liam"}, headers={"Authorization": f"Bearer {token}"}, timeout=10)
            assert response.status_code == 200, response.text
            return response.json()["results"]

        # Beat starts the first full sync within a minute of the demo organizations' creation.
        _wait_for(liam_found, 180, "the README's API call to find Liam in Acme")

        # Pushed changes: `prepare --demo` registered the portal's receiver with the emulator's streams, so
        # a user someone else creates in the tenant reaches the portal's directory within seconds.
        outside = Auth0Gateway(base_url=f"http://127.0.0.1:{emulator_port}", client_id="tenant-admin-dev",
                               client_secret="tenant-admin-dev-secret")
        created = outside.user_create(connection="Username-Password-Authentication", email="pushed@initech.test",
                                      password="Very-l0ng-passw0rd!", app_metadata={"organizations": ["initech"]})
        outside.close()

        def mirrored() -> bool:
            try:
                with sqlite3.connect(db, timeout=5) as conn:
                    return bool(conn.execute("SELECT 1 FROM users_directoryuser WHERE user_id = ?",
                                             (created["user_id"],)).fetchone())
            except sqlite3.OperationalError:
                return False

        _wait_for(mirrored, 30, "a user created in the tenant to reach the directory through the event stream")
    finally:
        # What Ctrl-C in the terminal does: SIGINT to dev.py and the process manager.
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    # Every process stops gently: the worker finishes its warm shutdown, none of its pool processes is
    # killed under it, and nothing has to be killed after the wait.
    log = log_path.read_text()
    assert proc.returncode == 130, f"dev.py up ended with {proc.returncode}\n{log[-4000:]}"  # as Ctrl-C does
    assert "worker: Warm shutdown" in log and "worker.1 stopped (rc=0)" in log, log[-4000:]
    assert "exited with 'signal" not in log and "SIGKILL" not in log, log[-4000:]
