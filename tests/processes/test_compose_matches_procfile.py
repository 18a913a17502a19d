"""docker-compose.yml cannot be run here (no Docker engine); this keeps it in step with the Procfile."""

from __future__ import annotations

import shlex

import yaml

from tests.support.processes import REPO


def _procfile() -> dict[str, list[str]]:
    commands = {}
    for line in (REPO / "Procfile").read_text().splitlines():
        if line.strip():
            name, command = line.split(":", 1)
            commands[name.strip()] = shlex.split(command)
    return commands


def test_compose_runs_the_same_commands_as_the_embedded_mode() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    services = compose["services"]
    for name, command in _procfile().items():
        assert services[name]["command"] == command, name
    assert {"postgres", "redis", "web", "worker", "beat", "emulator"} <= set(services)


def test_compose_points_the_portal_at_postgres_and_redis() -> None:
    services = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
    for name in ("web", "worker", "beat", "prepare"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in env["DATABASE_URL"]
        assert env["CELERY_BROKER_URL"].startswith("redis://redis:6379")
        assert services[name]["network_mode"] == "service:emulator"
        # Shared var/: one generated SECRET_KEY and one set of collected static files for all of them.
        assert "portal-var:/app/var" in services[name]["volumes"]
    assert services["web"]["depends_on"]["prepare"]["condition"] == "service_completed_successfully"
