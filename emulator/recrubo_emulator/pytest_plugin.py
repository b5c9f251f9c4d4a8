"""Pytest plugin (entry point ``recrubo_emulator``): the ``recrubo_emulator`` fixture.

Loaded into every pytest run, so it imports only pytest here and the emulator lazily.
Options for one test come from a marker::

    @pytest.mark.recrubo_emulator(clock="manual", seed=1)
    async def test_something(recrubo_emulator): ...

The fixture is started by whichever async plugin runs the test: anyio (a test that uses
the ``anyio_backend`` fixture, e.g. marked ``@pytest.mark.anyio``, on the asyncio backend) or
pytest-asyncio (any mode; in strict mode mark the test ``@pytest.mark.asyncio``). With
neither, the test fails saying what to install or set, instead of receiving a bare async
generator.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ._emulator import Emulator

_async_fixture: Any
try:  # pytest-asyncio runs its own fixtures in every mode, strict included
    from pytest_asyncio import fixture as _async_fixture
except ImportError:
    _async_fixture = None

NO_ASYNC_PLUGIN = (
    "the recrubo_emulator fixture is async and no async test plugin runs it: "
    'pip install pytest-asyncio and set asyncio_mode = "auto" in the [tool.pytest.ini_options] '
    "of pyproject.toml (or mark the test @pytest.mark.asyncio), or use anyio's plugin: mark "
    'the test @pytest.mark.anyio with an anyio_backend fixture returning "asyncio"'
)
NOT_ASYNCIO = (
    "the recrubo_emulator fixture runs on asyncio only (the emulator is an aiohttp server), "
    'but anyio_backend is {backend!r}: return "asyncio" from your anyio_backend fixture'
)


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


# The anyio plugin runs any async generator fixture of a test that uses anyio_backend.
recrubo_emulator_anyio = pytest.fixture(name="_recrubo_emulator_anyio")(_emulator)
if _async_fixture is not None:
    recrubo_emulator_asyncio = _async_fixture(name="_recrubo_emulator_asyncio")(_emulator)


def _asyncio_plugin_runs(request: pytest.FixtureRequest) -> bool:
    """Whether pytest-asyncio is active and will run this test in its event loop."""
    if _async_fixture is None or not request.config.pluginmanager.has_plugin("asyncio"):
        return False
    mode = str(request.config.getini("asyncio_mode") or "strict")
    return mode == "auto" or request.node.get_closest_marker("asyncio") is not None


@pytest.fixture(name="recrubo_emulator")
def recrubo_emulator(request: pytest.FixtureRequest) -> Any:
    """A started Emulator (sandbox unless a recrubo_emulator marker says)."""
    if "anyio_backend" in request.fixturenames:
        backend = request.getfixturevalue("anyio_backend")
        name = backend[0] if isinstance(backend, tuple) else backend
        if name != "asyncio":
            pytest.fail(NOT_ASYNCIO.format(backend=name), pytrace=False)
        return request.getfixturevalue("_recrubo_emulator_anyio")
    if _asyncio_plugin_runs(request):
        return request.getfixturevalue("_recrubo_emulator_asyncio")
    pytest.fail(NO_ASYNC_PLUGIN, pytrace=False)
