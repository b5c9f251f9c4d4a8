"""A real redis-server on a free loopback port for the tests that need one, and checks
that a RedisBus's three views of its channels (local, redis-py's, Redis's) agree."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator

import pytest
import redis.asyncio as aioredis

from recrubo_async.bus import RedisBus


def redis_server_binary() -> str:
    """The redis-server path; skip (or fail with RECRUBO_REQUIRE_REDIS=1) without one."""
    path = shutil.which("redis-server")
    if path is None:
        message = (
            "redis-server is not installed (CI installs it; locally: apt-get install redis-server)"
        )
        if os.environ.get("RECRUBO_REQUIRE_REDIS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class RedisServer:
    """One redis-server process (no persistence) that a test can stop and start again."""

    def __init__(self) -> None:
        self.binary = redis_server_binary()
        self.port = free_port()
        self._dir = tempfile.mkdtemp(prefix="recrubo-redis-")
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self._proc = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self._dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(timeout=10)
            self._proc = None

    async def restart(self, down_for: float = 0.3) -> None:
        self.stop()
        await asyncio.sleep(down_for)
        self.start()

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self._dir, ignore_errors=True)


@contextlib.contextmanager
def running_redis() -> Iterator[RedisServer]:
    """A started ``RedisServer``, stopped and its folder removed afterwards."""
    server = RedisServer()
    try:
        server.start()
        yield server
    finally:
        server.cleanup()


def local_channels(bus: RedisBus) -> set[str]:
    return {bus._channel(key) for key in bus._fanout.resources()}


def redis_py_channels(bus: RedisBus) -> set[str]:
    """What redis-py believes is subscribed, including UNSUBSCRIBEs not yet confirmed."""
    pubsub = bus._pubsub
    if pubsub is None:
        return set()
    names = set(pubsub.channels) | set(pubsub.pending_unsubscribe_channels)
    return {n.decode() if isinstance(n, bytes) else n for n in names}


async def redis_channels(client: aioredis.Redis, bus: RedisBus) -> set[str]:
    """The bus's channels that Redis itself has a subscriber for (PUBSUB CHANNELS)."""
    names = await client.pubsub_channels(f"{bus.prefix}:events:*")
    return {n.decode() if isinstance(n, bytes) else n for n in names}


async def assert_views_agree(client: aioredis.Redis, bus: RedisBus, timeout: float) -> None:
    """Local subscriptions, redis-py's channel lists and Redis's channels converge on one
    set, and no batch is left pending."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        local = local_channels(bus)
        seen = await redis_channels(client, bus)
        mine = redis_py_channels(bus)
        if local == seen == mine and not getattr(bus, "_dirty", ()):
            break
        if loop.time() > deadline:
            raise AssertionError(
                f"after {timeout:g} s: {len(local)} local channels, {len(mine)} in redis-py, "
                f"{len(seen)} in Redis; {len(seen - local)} subscribed in Redis with no local "
                f"subscriber, {len(local - seen)} wanted but missing, "
                f"{len(mine - local)} stale in redis-py, {len(getattr(bus, '_dirty', ()))} unsent"
            )
        await asyncio.sleep(0.05)
    if local:
        counts = await client.pubsub_numsub(*sorted(local)[:50])
        assert all(n == 1 for _, n in counts), counts
