"""Shared fixtures: a scripted loopback server and a client pointed at it, the emulator, and
a throwaway redis-server."""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator, Iterator

import pytest

from recrubo_async import Client
from recrubo_async.testing import Emulator

from .support.redis_server import RedisServer, running_redis
from .support.scripted_server import ScriptedServer


def pytest_configure(config: pytest.Config) -> None:
    # A suite started as a background job of a shell without job control (`nohup make
    # test &`) inherits SIGINT ignored: Python then installs no KeyboardInterrupt handler,
    # nor do the processes the tests start, and the tests that press Ctrl-C (the CLI's
    # exit 130, the emulator's clean stop) would wait for ever. Put back Python's own.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


API_KEY = "org-key-1234567890-very-secret"


@pytest.fixture
async def server() -> AsyncIterator[ScriptedServer]:
    async with ScriptedServer() as srv:
        yield srv


@pytest.fixture
async def client(server: ScriptedServer) -> AsyncIterator[Client]:
    async with Client(API_KEY, base_url=server.url, max_retries=2) as c:
        yield c


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    """A sandbox emulator on a manual clock: nothing happens until ``emu.advance()``."""
    async with Emulator(mode="sandbox", clock="manual") as e:
        yield e


@pytest.fixture
async def api(emu: Emulator) -> AsyncIterator[Client]:
    """A client for a fresh organization on ``emu``, without retries."""
    org = await emu.create_organization("Acme")
    async with Client(org.token, base_url=emu.base_url, max_retries=0) as c:
        yield c


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A redis-server of the test's own on a free loopback port (skipped when none is
    installed, failed instead with ``RECRUBO_REQUIRE_REDIS=1``)."""
    with running_redis() as server:
        yield server
