"""Fixtures for the waiter tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from recrubo_async.testing import Emulator


@pytest.fixture
async def production() -> AsyncIterator[Emulator]:
    """Production mode (jobs answer queued) on a manual clock: nothing finishes unasked."""
    async with Emulator(mode="production", clock="manual") as emu:
        yield emu
