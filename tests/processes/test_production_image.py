"""The production image (the Dockerfile's ``portal`` stage) carries the portal and nothing else: no
emulator, no test libraries, no process manager, and what it carries passes ``check --deploy``.

There is no Docker engine here, so the test does what the stage does: the same ``uv sync`` into a new
environment and the same COPY lines into an empty directory, then runs the production checks there.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.processes import REPO

pytestmark = pytest.mark.processes

UV = REPO / ".tools" / "bin" / "uv"
# Importable in development and tests only (jsonschema and yaml are not listed: drf-spectacular needs them).
NOT_IN_PRODUCTION = ["auth0_emulator", "starlette", "uvicorn", "luqum", "jinja2", "multipart", "honcho", "pytest",
                     "playwright", "factory", "importlinter", "axe_playwright_python", "ruff"]


def _stage(name: str) -> list[str]:
    """The instructions of one stage of the Dockerfile."""
    lines, current = [], None
    for line in (REPO / "Dockerfile").read_text().splitlines():
        match = re.match(r"FROM \S+ AS (\S+)", line)
        if match:
            current = match.group(1)
        elif current == name and line.strip() and not line.startswith("#"):
            lines.append(line.strip())
    return lines


def test_the_default_stage_is_the_portal() -> None:
    stages = re.findall(r"^FROM \S+ AS (\S+)", (REPO / "Dockerfile").read_text(), re.MULTILINE)
    assert stages[-1] == "portal"  # `docker build .` builds the production image


def test_the_production_environment_carries_only_the_portal(tmp_path: Path) -> None:
    base = _stage("base")
    sync = next(line for line in base if line.startswith("RUN uv sync"))
    assert "--no-default-groups" in sync and "--group" not in sync
    venv = tmp_path / "venv"
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(venv), "UV_PYTHON_DOWNLOADS": "never"}
    subprocess.run([str(UV), "sync", "--locked", "--no-default-groups", "--no-install-project", "--quiet"],
                   cwd=REPO, env=env, check=True, timeout=600)

    app = tmp_path / "app"
    app.mkdir()
    copies = [line.split()[1:] for line in _stage("portal") if line.startswith("COPY ")]
    # The catalogs come compiled from a stage of their own, which installs gettext and compiles every catalog.
    catalogs = _stage("catalogs")
    assert any("gettext" in line for line in catalogs) and any("msgfmt --check" in line for line in catalogs)
    assert ["--from=catalogs", "/locale/", "./locale/"] in copies
    copies = [copy for copy in copies if not copy[0].startswith("--from=")]
    shutil.copytree(REPO / "locale", app / "locale", ignore=shutil.ignore_patterns("*.mo"))
    for po in (app / "locale").glob("*/LC_MESSAGES/*.po"):
        subprocess.run(["msgfmt", "--check", "-o", str(po.with_suffix(".mo")), str(po)], check=True)
    for source, _target in copies:
        if (REPO / source).is_dir():
            shutil.copytree(REPO / source, app / source, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(REPO / source, app / source)
    assert not (app / "auth0_emulator").exists() and not (app / "tests").exists()

    python = str(venv / "bin" / "python")
    probe = "import importlib.util, sys; print(' '.join(m for m in sys.argv[1:] if importlib.util.find_spec(m)))"
    present = subprocess.run([python, "-c", probe, *NOT_IN_PRODUCTION], cwd=app, capture_output=True, text=True,
                             check=True).stdout.split()
    assert present == [], f"the production image would carry {present}"

    production = {
        "PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(48), "ALLOWED_HOSTS": "portal.example.com",
        "DATABASE_URL": "postgres://portal@db.example.com:5432/portal", "CELERY_BROKER_URL": "redis://redis:6379/0",
        "AUTH0_DOMAIN": "example.eu.auth0.com", "AUTH0_CLIENT_ID": "web", "AUTH0_CLIENT_SECRET": "web-secret",
        "AUTH0_MGMT_CLIENT_ID": "m2m", "AUTH0_MGMT_CLIENT_SECRET": "m2m-secret",
        "EMAIL_URL": "smtp://mail.example.com:587", "PORTAL_BASE_URL": "https://portal.example.com",
    }
    check = subprocess.run([python, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=app,
                           env=production, capture_output=True, text=True, timeout=120, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    # The composed URLs and every installed app import without the emulator or the test libraries.
    urls = subprocess.run([python, "-c", "import django; django.setup(); import config.urls; "
                           "from django.urls import reverse; print(reverse('signin'))"],
                          cwd=app, env=production, capture_output=True, text=True, timeout=120, check=False)
    assert urls.returncode == 0 and urls.stdout.strip() == "/login/", urls.stderr
    # The image speaks the portal's languages.
    german = subprocess.run([python, "-c", "import django; django.setup(); from django.utils import translation; "
                             "translation.activate('de'); print(translation.gettext('Your profile'))"],
                            cwd=app, env=production, capture_output=True, text=True, timeout=120, check=False)
    assert german.returncode == 0 and german.stdout.strip() == "Ihr Profil", german.stdout + german.stderr


def test_the_emulator_stage_runs_from_its_own_dependency_group(tmp_path: Path) -> None:
    syncs = [line for line in _stage("emulator") if line.startswith("RUN uv sync")]
    assert syncs and all("--group emulator" in line for line in syncs)
    venv = tmp_path / "venv"
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(venv), "UV_PYTHON_DOWNLOADS": "never"}
    subprocess.run([str(UV), "sync", "--locked", "--no-default-groups", "--group", "emulator",
                    "--no-install-project", "--quiet"], cwd=REPO, env=env, check=True, timeout=600)
    app = tmp_path / "app"
    app.mkdir()
    for line in _stage("emulator"):
        if line.startswith("COPY "):
            source = line.split()[1]
            shutil.copytree(REPO / source, app / source, ignore=shutil.ignore_patterns("__pycache__"))
    assert sorted(p.name for p in app.iterdir()) == ["auth0_emulator"]
    start = ("from auth0_emulator.app import create_app; from auth0_emulator.__main__ import parse_args; "
             "create_app(parse_args(['--data', ':memory:', '--seed', 'empty'])); print('ok')")
    result = subprocess.run([str(venv / "bin" / "python"), "-c", start], cwd=app, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr
