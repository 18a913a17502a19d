"""The three settings profiles, each loaded in a fresh interpreter with a controlled environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.processes import REPO

PRODUCTION_ENV = {
    "SECRET_KEY": "x" * 20 + "-production-secret-key-that-is-long-enough-123",
    "ALLOWED_HOSTS": "portal.example.com",
    "DATABASE_URL": "postgres://portal@db.internal:5432/portal",
    "CELERY_BROKER_URL": "redis://redis.internal:6379/0",
    "AUTH0_DOMAIN": "example.eu.auth0.com",
    "AUTH0_CLIENT_ID": "web-client-id",
    "AUTH0_CLIENT_SECRET": "web-client-secret",
    "AUTH0_MGMT_CLIENT_ID": "m2m-client-id",
    "AUTH0_MGMT_CLIENT_SECRET": "m2m-client-secret",
    "EMAIL_URL": "smtp+tls://mailer:pw@smtp.example.com:587",
    "PORTAL_BASE_URL": "https://portal.example.com",
}
# Variables that would leak the outer test run's configuration into the profile under test.
_SCRUB = {*PRODUCTION_ENV, "DJANGO_SETTINGS_MODULE", "DEBUG", "PORTAL_VAR_DIR", "AUTH0_BASE_URL",
          "DJANGO_ALLOW_ASYNC_UNSAFE", "PORTAL_WEBHOOK_ALLOW_LOOPBACK"}


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUB and not k.endswith("_FILE")}
    env.update(extra)
    return env


def _settings_of(module: str, names: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    code = (
        "import json, django; from django.conf import settings; django.setup();"
        f"print(json.dumps({{n: str(getattr(settings, n)) for n in {names!r}}}))"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
        env={**env, "DJANGO_SETTINGS_MODULE": module}, timeout=60,
    )


def test_embedded_defaults_need_no_server(tmp_path: Path) -> None:
    env = _clean_env(PORTAL_VAR_DIR=str(tmp_path))
    env.pop("DATABASE_URL", None)
    env.pop("CELERY_BROKER_URL", None)
    result = _settings_of(
        "config.settings.embedded",
        ["DATABASES", "CELERY_BROKER_URL", "DEBUG", "SECRET_KEY"],
        env,
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert "sqlite3" in values["DATABASES"] and str(tmp_path / "portal.sqlite3") in values["DATABASES"]
    assert values["CELERY_BROKER_URL"] == "filesystem://"
    assert (tmp_path / "broker" / "queue").is_dir()
    # A random key made on first start, kept private, and the same on the next start.
    key_file = tmp_path / "secret_key"
    assert values["SECRET_KEY"] == key_file.read_text() and len(values["SECRET_KEY"]) >= 50
    assert key_file.stat().st_mode & 0o077 == 0
    again = json.loads(_settings_of("config.settings.embedded", ["SECRET_KEY"], env).stdout)
    assert again["SECRET_KEY"] == values["SECRET_KEY"]


def test_embedded_switches_to_postgres_and_redis_from_the_environment(tmp_path: Path) -> None:
    env = _clean_env(
        PORTAL_VAR_DIR=str(tmp_path),
        DATABASE_URL="postgres://someone@127.0.0.1:5432/portal",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/3",
    )
    result = _settings_of(
        "config.settings.embedded", ["DATABASES", "CELERY_BROKER_URL", "CELERY_BROKER_TRANSPORT_OPTIONS"], env
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert "postgresql" in values["DATABASES"] and "'NAME': 'portal'" in values["DATABASES"]
    assert values["CELERY_BROKER_URL"] == "redis://127.0.0.1:6379/3"
    assert values["CELERY_BROKER_TRANSPORT_OPTIONS"] == "{'visibility_timeout': 7200}"


def test_production_refuses_to_start_and_names_every_missing_setting() -> None:
    result = _settings_of("config.settings.production", ["DEBUG"], _clean_env())
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    for name in PRODUCTION_ENV:
        assert name in result.stderr


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"SECRET_KEY": "short"}, "SECRET_KEY must be at least 50 characters"),
        ({"DATABASE_URL": "sqlite:////tmp/x.sqlite3"}, "must point at PostgreSQL"),
        ({"CELERY_BROKER_URL": "filesystem://"}, "must be Redis or RabbitMQ"),
        ({"PORTAL_WEBHOOK_ALLOW_LOOPBACK": "true"}, "PORTAL_WEBHOOK_ALLOW_LOOPBACK must be off in production"),
    ],
)
def test_production_refuses_unsafe_values(override: dict[str, str], message: str) -> None:
    env = _clean_env(**{**PRODUCTION_ENV, **override})
    result = _settings_of("config.settings.production", ["DEBUG"], env)
    assert result.returncode != 0
    assert message in result.stderr


def test_webhooks_may_reach_this_machine_only_in_the_embedded_profile(tmp_path: Path) -> None:
    """On for the local demo's receivers, off wherever the base decides (tests, production), and the
    environment may turn it off in the embedded profile."""
    embedded = _settings_of("config.settings.embedded", ["PORTAL_WEBHOOK_ALLOW_LOOPBACK"],
                            _clean_env(PORTAL_VAR_DIR=str(tmp_path)))
    assert json.loads(embedded.stdout) == {"PORTAL_WEBHOOK_ALLOW_LOOPBACK": "True"}, embedded.stderr
    turned_off = _settings_of("config.settings.embedded", ["PORTAL_WEBHOOK_ALLOW_LOOPBACK"],
                              _clean_env(PORTAL_VAR_DIR=str(tmp_path), PORTAL_WEBHOOK_ALLOW_LOOPBACK="false"))
    assert json.loads(turned_off.stdout) == {"PORTAL_WEBHOOK_ALLOW_LOOPBACK": "False"}, turned_off.stderr
    for module, env in (("config.settings.test", _clean_env()),
                        ("config.settings.production", _clean_env(**PRODUCTION_ENV))):
        result = _settings_of(module, ["PORTAL_WEBHOOK_ALLOW_LOOPBACK"], env)
        assert json.loads(result.stdout) == {"PORTAL_WEBHOOK_ALLOW_LOOPBACK": "False"}, result.stderr


def test_production_reads_secrets_from_files(tmp_path: Path) -> None:
    secret = tmp_path / "mgmt_secret"
    secret.write_text("secret-from-a-file\n")
    env = _clean_env(**PRODUCTION_ENV)
    del env["AUTH0_MGMT_CLIENT_SECRET"]
    env["AUTH0_MGMT_CLIENT_SECRET_FILE"] = str(secret)
    result = _settings_of("config.settings.production", ["AUTH0_MGMT_CLIENT_SECRET", "DEBUG"], env)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values == {"AUTH0_MGMT_CLIENT_SECRET": "secret-from-a-file", "DEBUG": "False"}


def test_production_passes_the_deploy_check() -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
        env={**_clean_env(**PRODUCTION_ENV), "DJANGO_SETTINGS_MODULE": "config.settings.production"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_a_claim_never_goes_stale_within_the_time_limit(tmp_path: Path) -> None:
    """A run within its hard time limit is alive: the operation must not be given to another run then."""
    env = _clean_env(PORTAL_VAR_DIR=str(tmp_path), CELERY_TASK_TIME_LIMIT="30", OPERATIONS_STALE_CLAIM_SECONDS="30")
    result = _settings_of("config.settings.embedded", ["DEBUG"], env)
    assert result.returncode != 0
    assert "OPERATIONS_STALE_CLAIM_SECONDS (30) must exceed CELERY_TASK_TIME_LIMIT (30)" in result.stderr
    env["OPERATIONS_STALE_CLAIM_SECONDS"] = "31"
    assert _settings_of("config.settings.embedded", ["DEBUG"], env).returncode == 0


def test_celery_is_configured_for_reliability() -> None:
    from portal.celery import app

    conf = app.conf
    assert conf.task_serializer == "json" and conf.accept_content == ["json"]
    assert conf.task_acks_late is True and conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.worker_consumer == "portal.runtime.worker:Consumer"  # lives through a restart of Redis
    assert 0 < conf.task_soft_time_limit < conf.task_time_limit
    assert conf.task_routes["users.tasks.*"] == {"queue": "auth0-management"}
    # Redis redelivers unacknowledged messages after visibility_timeout: it must outlast any task
    # (hard limit) and any countdown a task is given, or work would run twice.
    from django.conf import settings

    assert settings.CELERY_MAX_COUNTDOWN_SECONDS + conf.task_time_limit < 7200


def test_email_goes_through_email_url_in_production_and_to_the_outbox_when_embedded(tmp_path: Path) -> None:
    names = ["EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_USE_TLS", "PORTAL_BASE_URL"]
    production = json.loads(_settings_of("config.settings.production", names, _clean_env(**PRODUCTION_ENV)).stdout)
    assert production == {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                          "EMAIL_HOST": "smtp.example.com", "EMAIL_PORT": "587", "EMAIL_USE_TLS": "True",
                          "PORTAL_BASE_URL": "https://portal.example.com"}
    env = _clean_env(PORTAL_VAR_DIR=str(tmp_path), PORTAL_BIND="0.0.0.0:8123")
    embedded = json.loads(_settings_of("config.settings.embedded", ["EMAIL_BACKEND", "PORTAL_BASE_URL"], env).stdout)
    assert embedded == {"EMAIL_BACKEND": "portal.outbox.backend.OutboxBackend", "PORTAL_BASE_URL": "http://127.0.0.1:8123"}
