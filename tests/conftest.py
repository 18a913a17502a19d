from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

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


@pytest.fixture(scope="session")
def changing_emulator(emulator_factory: Callable[..., EmulatorProcess]) -> EmulatorProcess:
    """A second demo tenant for tests that change its demo organizations (members, app_metadata), so the
    shared one keeps the demo the contract tests count."""
    return emulator_factory("--seed", "demo", "--test-controls", "--no-rate-limits")


@pytest.fixture
def auth0_on_changing_emulator(settings, changing_emulator: EmulatorProcess):
    yield from _portal_pointed_at(settings, changing_emulator)


@pytest.fixture
def auth0_on_emulator(settings, emulator: EmulatorProcess):
    """Point the portal (gateway and sign-in) at the session's emulator for one test."""
    yield from _portal_pointed_at(settings, emulator)


def _portal_pointed_at(settings, emulator: EmulatorProcess):
    from auth0_gateway import gateway_reset

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
def api(auth0_on_emulator, settings):
    """REST API clients on the session's emulator: ``api(token)`` sends it as the bearer token
    (tests/support/api_tokens.py gets real tokens from the emulator)."""
    yield from _api_clients(settings)


@pytest.fixture
def api_on_changing_emulator(auth0_on_changing_emulator, settings):
    """The same, with the portal on the emulator that tests may change (for acts whose tasks run)."""
    yield from _api_clients(settings)


def _api_clients(settings):
    from rest_framework.test import APIClient

    from api.auth.authentication import jwks_cache
    from tests.support.api_tokens import AUDIENCE

    settings.PORTAL_API_AUDIENCE = AUDIENCE
    jwks_cache.clear()

    def make(token: str | None = None) -> APIClient:
        client = APIClient()
        if token:
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client
    yield make
    jwks_cache.clear()


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


CHROMIUM = os.environ.get("PLAYWRIGHT_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium (Debian's, driven by Playwright) for every browser test of the run: the
    sync API allows one Playwright per thread."""
    # Playwright's sync API runs an event loop in this thread, which trips Django's async-safety
    # check on database access from the test; allow it for the browser tests only.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) "
                    "or point PLAYWRIGHT_CHROMIUM at a Chromium binary.")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
                  "--no-first-run", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
