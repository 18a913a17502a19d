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
