"""Fixtures of the ``recrubo`` command-line tests (the emulator, an organization)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.cli._helpers import EmulatorThread, Org


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorThread]:
    with EmulatorThread() as thread:
        yield thread


@pytest.fixture
def org(emulator: EmulatorThread, monkeypatch: pytest.MonkeyPatch) -> Org:
    """A fresh organization whose key and the emulator's URL are in the environment."""
    created = emulator.call(emulator.emu.create_organization("CLI test"))
    monkeypatch.setenv("RECRUBO_API_KEY", created.token)
    monkeypatch.setenv("RECRUBO_BASE_URL", emulator.emu.base_url)
    monkeypatch.delenv("RECRUBO_WEBHOOK_SECRET", raising=False)
    return Org(created.id, created.token)
