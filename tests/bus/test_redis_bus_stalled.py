"""A RedisBus whose pub/sub connection stalls (a peer that is gone: nothing is read any
more, so once the buffers are full every write blocks) recovers instead of hanging.

Without a bound on the pub/sub writes, the syncer blocked in a SUBSCRIBE while holding the
lock the listener needs to replace the connection: every later ``subscribe()`` (every new
wait in the process) then waited for ever.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import redis
import redis.asyncio as aioredis

from recrubo_async import _compat
from recrubo_async.bus import RedisBus, ResourceEvent, _redis_channels, _scripts
from recrubo_async.bus._redis_channels import _text

from ..support.deliveries import generation as generation_document
from ..support.redis_server import RedisServer
from ..support.servers import PATIENCE
from ..support.silent_proxy import SilencingProxy
from ..support.timing import eventually

#: The shortened bounds (a PONG's wait, a command's): long enough for the resync to send
#: megabytes of SUBSCRIBEs through the proxy's small window on a busy machine (0.1 s when
#: quiet), far shorter than the ``PATIENCE`` a hang is given.
SHORT = 2.0
LONG_ID = "g" * 2000


def _send_buffer_limit() -> int:
    """The most the kernel lets a TCP socket's send buffer grow to (Linux: tcp_wmem's
    third figure; 4 MiB by default)."""
    try:
        with open("/proc/sys/net/ipv4/tcp_wmem") as limits:
            return int(limits.read().split()[2])
    except (OSError, ValueError, IndexError):
        return 4 << 20


#: Resources enough that one batch of commands for them is more than the stalled
#: connection's buffers hold, half again: the bus's socket's, asyncio's (64 KiB), the
#: proxy's socket's (4 KiB asked) and its reader's (128 KiB).
MANY = (_send_buffer_limit() + (256 << 10)) * 3 // 2 // len(LONG_ID)


def assert_aborted(transport: asyncio.Transport | None) -> None:
    """The stalled socket was aborted: a graceful close would still hold the commands it
    could not send, and the socket with them, until the kernel gave up on the peer."""
    assert transport is not None and transport.is_closing()
    assert transport.get_write_buffer_size() == 0


def finished(gid: str) -> ResourceEvent:
    return ResourceEvent.from_resource(
        generation_document(gid, "finished", seconds=5), event="update"
    )


@pytest.fixture
async def proxied(redis_server: RedisServer) -> AsyncIterator[tuple[SilencingProxy, RedisBus]]:
    async with SilencingProxy(redis_server.port, receive_buffer=4096) as proxy:
        client = aioredis.Redis(host="127.0.0.1", port=proxy.port, socket_timeout=None)
        bus = RedisBus(client=client, prefix="stalled", reconnect_delay=0.05)
        try:
            yield proxy, bus
        finally:
            await asyncio.wait_for(bus.aclose(), PATIENCE)
            await client.aclose()


async def test_a_subscribe_blocked_on_a_stalled_connection_moves_to_a_new_one(
    proxied: tuple[SilencingProxy, RedisBus],
    redis_server: RedisServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_redis_channels, "_CONFIRM_WAIT", SHORT)
    monkeypatch.setattr(_scripts, "EXCHANGE_TIMEOUT", SHORT)
    proxy, bus = proxied
    first = await bus.subscribe("flowGenerations", "g1")
    stalled = _compat.pubsub_transport(bus._pubsub)
    proxy.stall(proxy.connections_that_sent(b"SUBSCRIBE"))
    # One batch far larger than the stalled connection's buffers: its write blocks.
    gids = [f"{LONG_ID}{n}" for n in range(MANY)]
    many = await asyncio.wait_for(
        asyncio.gather(*(bus.subscribe("flowGenerations", gid) for gid in gids)), PATIENCE
    )
    # A wait that starts after it is not held behind it either.
    late = await asyncio.wait_for(bus.subscribe("flowGenerations", "g2"), PATIENCE)
    await eventually(
        lambda: bus._resync is None and not bus._lock.locked(), PATIENCE, "the resync done"
    )
    assert_aborted(stalled)
    assert bus.reconnects >= 1
    web = RedisBus(redis_server.url, prefix="stalled")
    try:
        for gid in ("g1", "g2", gids[-1]):
            assert await web.publish(finished(gid))
    finally:
        await web.aclose()
    assert (await asyncio.wait_for(first.get(), PATIENCE)).id == "g1"
    assert (await asyncio.wait_for(late.get(), PATIENCE)).id == "g2"
    assert (await asyncio.wait_for(many[-1].get(), PATIENCE)).id == gids[-1]
    for sub in (first, late, *many):
        await sub.close()


async def test_an_unsubscribe_blocked_on_a_stalled_connection_holds_no_later_wait(
    proxied: tuple[SilencingProxy, RedisBus],
    redis_server: RedisServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The waits on many resources end while the connection is stalled: their gathered
    UNSUBSCRIBE blocks. A wait that starts afterwards is subscribed on a new connection,
    which carries its channel alone, and hears its event. (Redis keeps the stalled
    connection's channels until it drops that connection itself: its tcp-keepalive.)"""
    proxy, bus = proxied
    gids = [f"{LONG_ID}{n}" for n in range(MANY)]
    # With the usual bounds: megabytes through a 4 KiB window take a while on a busy box.
    many = await asyncio.gather(*(bus.subscribe("flowGenerations", gid) for gid in gids))
    assert bus.reconnects == 0
    monkeypatch.setattr(_redis_channels, "_CONFIRM_WAIT", SHORT)
    monkeypatch.setattr(_scripts, "EXCHANGE_TIMEOUT", SHORT)
    stalled = _compat.pubsub_transport(bus._pubsub)
    proxy.stall(proxy.connections_that_sent(b"SUBSCRIBE"))
    for sub in many:
        await sub.close()
    await eventually(lambda: bus._lock.locked(), PATIENCE, "the UNSUBSCRIBE under way")
    late = await asyncio.wait_for(bus.subscribe("flowGenerations", "g2"), PATIENCE)
    await eventually(
        lambda: bus._resync is None and not bus._lock.locked(), PATIENCE, "the resync done"
    )
    assert_aborted(stalled)
    web = RedisBus(redis_server.url, prefix="stalled")
    try:
        assert await web.publish(finished("g2"))
    finally:
        await web.aclose()
    assert (await asyncio.wait_for(late.get(), PATIENCE)).id == "g2"
    assert [_text(c) for c in _compat.pubsub_channels(bus._pubsub)] == [
        bus._channel(("flowGenerations", "g2"))
    ]
    await late.close()


async def test_publishes_blocked_on_a_stalled_connection_fail_and_the_next_use_a_new_one(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A web replica's publishes: their pipeline's write blocks on a stalled connection. They
    fail after the bound (the receiver answers 500, Recrubo redelivers), and the next publish
    goes out on a new connection."""
    async with SilencingProxy(redis_server.port, receive_buffer=4096) as proxy:
        client = aioredis.Redis(host="127.0.0.1", port=proxy.port, socket_timeout=None)
        bus = RedisBus(client=client, prefix="stalled")
        try:
            assert await bus.publish(finished("g0"))
            proxy.stall(proxy.connections_that_sent(b"EVALSHA"))
            monkeypatch.setattr(_scripts, "EXCHANGE_TIMEOUT", SHORT)
            # Far more than the stalled connection's buffers hold, in flight at once.
            count = MANY * len(LONG_ID) // len(finished("g").to_json()) + 1
            outcomes = await asyncio.wait_for(
                asyncio.gather(
                    *(bus.publish(finished(f"g{n}")) for n in range(1, count)),
                    return_exceptions=True,
                ),
                PATIENCE,
            )
            assert any(isinstance(o, redis.exceptions.TimeoutError) for o in outcomes)
            assert all(o is True or isinstance(o, redis.exceptions.RedisError) for o in outcomes)
            assert await asyncio.wait_for(bus.publish(finished("after")), PATIENCE)
            assert (await bus.latest("flowGenerations", "after")) is not None
        finally:
            await asyncio.wait_for(bus.aclose(), PATIENCE)
            await client.aclose()
