"""Pytest plugin (entry point ``recrubo_emulator``): the ``recrubo_emulator`` fixture.

Loaded into every pytest run, so it imports only pytest here and the emulator lazily.
Options for one test come from a marker::

    @pytest.mark.recrubo_emulator(clock="manual", seed=1)
    async def test_something(recrubo_emulator): ...
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ._emulator import Emulator

_async_fixture: Any
try:  # pytest-asyncio runs async fixtures; its decorator also works in strict mode
    from pytest_asyncio import fixture as _async_fixture
except ImportError:  # pragma: no cover - another async plugin must then drive the fixture
    _async_fixture = pytest.fixture


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker (the project runs with --strict-markers)."""
    config.addinivalue_line(
        "markers",
        "recrubo_emulator(**options): keyword arguments for the recrubo_emulator fixture's "
        "Emulator (default: sandbox mode, real clock at speed 1)",
    )


async def _emulator(request: pytest.FixtureRequest) -> AsyncIterator[Emulator]:
    from ._emulator import Emulator

    marker = request.node.get_closest_marker("recrubo_emulator")
    options: dict[str, Any] = {"mode": "sandbox", **(marker.kwargs if marker else {})}
    async with Emulator(**options) as emu:
        yield emu


recrubo_emulator: Any = _async_fixture(name="recrubo_emulator")(_emulator)
recrubo_emulator.__doc__ = "A started Emulator (sandbox unless a recrubo_emulator marker says)."
