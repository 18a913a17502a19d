from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.processes import EmulatorProcess


@pytest.fixture(scope="session")
def emulator_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., EmulatorProcess]]:
    """Start extra emulators with their own options (rate limits, faults, seeds); stopped at the end."""
    started: list[EmulatorProcess] = []
    base: Path = tmp_path_factory.mktemp("emulators")

    def start(*args: str) -> EmulatorProcess:
        emu = EmulatorProcess(base, *args).start()
        started.append(emu)
        return emu

    yield start
    for emu in started:
        emu.stop()


@pytest.fixture(scope="session")
def emulator(emulator_factory: Callable[..., EmulatorProcess]) -> EmulatorProcess:
    """One emulator with the demo tenant and test controls, shared by the whole run."""
    return emulator_factory("--seed", "demo", "--test-controls", "--no-rate-limits")


@pytest.fixture
def auth0_on_emulator(settings, emulator: EmulatorProcess):
    """Point the portal (gateway and sign-in) at the session's emulator for one test."""
    from users.gateway import gateway_reset

    settings.AUTH0_DOMAIN = emulator.domain
    settings.AUTH0_BASE_URL = emulator.url
    settings.AUTH0_MGMT_AUDIENCE = f"{emulator.url}/api/v2/"
    providers = {**settings.SOCIALACCOUNT_PROVIDERS}
    app = {**providers["openid_connect"]["APPS"][0]}
    app["settings"] = {**app["settings"], "server_url": emulator.url}
    providers["openid_connect"] = {**providers["openid_connect"], "APPS": [app]}
    settings.SOCIALACCOUNT_PROVIDERS = providers
    gateway_reset()
    yield emulator
    gateway_reset()


@pytest.fixture
def published_tasks():
    """Names of the Celery tasks published while the test runs (real signal, nothing mocked)."""
    from celery.signals import before_task_publish

    names: list[str] = []

    def record(sender=None, **kwargs):
        names.append(sender)

    before_task_publish.connect(record, weak=False)
    yield names
    before_task_publish.disconnect(record)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache: each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
