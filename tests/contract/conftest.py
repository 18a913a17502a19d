"""Fixtures of the contract tests: the official SDK's Management API client on the session's emulator,
every response it receives validated against Auth0's spec."""

from __future__ import annotations

import pytest

from tests.support.openapi import management_token, validating_client
from tests.support.processes import EmulatorProcess


@pytest.fixture(scope="module")
def sdk(emulator: EmulatorProcess):
    """(client, recorder): the SDK client and what it last received."""
    return validating_client(f"{emulator.url}/api/v2", management_token(emulator.url))


@pytest.fixture
def mgmt(sdk):
    return sdk[0]
