"""A RedisBus whose pub/sub connection stalls (a peer that is gone: nothing is read any
more, so once the buffers are full every write blocks) recovers instead of hanging.

Without a bound on the pub/sub writes, the syncer blocked in a SUBSCRIBE while holding the
lock the listener needs to replace the connection: every later ``subscribe()`` (every new
wait in the process) then waited for ever.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import socket
from collections.abc import AsyncIterator

import pytest
import redis
import redis.asyncio as aioredis
from redis.asyncio.connection import Connection

from recrubo_async import _compat
from recrubo_async.bus import RedisBus, ResourceEvent, _redis_channels, _scripts
from recrubo_async.bus._redis_channels import _text

from ..support.deliveries import generation as generation_document
from ..support.redis_server import RedisServer
from ..support.servers import PATIENCE
from ..support.silent_proxy import SilencingProxy
from ..support.timing import eventually

#: The shortened bounds (a PONG's wait, a command's): far shorter than the ``PATIENCE``
#: a hang is given, long enough for a resync to pass the proxy on a busy machine.
SHORT = 1.0
LONG_ID = "g" * 2000
#: Resources whose one batch of commands (600 KB) is more than a stalled connection's
#: buffers hold, with the bus's sockets' send buffers kept small (``SmallSendBuffer``):
#: asyncio's 64 KiB, the two sockets' few KiB, the proxy's reader's 128 KiB.
MANY = 300


class SmallSendBuffer(Connection):
    """A redis-py connection whose socket's send buffer is kept small. Linux otherwise
    starts a loopback connection's at megabytes (ten 64 KiB segments, doubled) and grows it
    to ``tcp_wmem``'s limit, so a stalled connection would swallow whole batches unblocked.
    """

    async def _connect(self) -> None:  # redis-py 8.1's private step that opens the socket
        await super()._connect()  # type: ignore[no-untyped-call]
        transport = _compat.connection_transport(self)
        assert transport is not None
        transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)


@contextlib.asynccontextmanager
async def small_buffered_client(port: int) -> AsyncIterator[aioredis.Redis]:
    """A redis-py client to ``port`` whose connections are ``SmallSendBuffer``s."""
    pool = aioredis.ConnectionPool(host="127.0.0.1", port=port, connection_class=SmallSendBuffer)
    client = aioredis.Redis(connection_pool=pool)
    try:
        yield client
    finally:
        await client.aclose()
        await pool.aclose()


def stall_every(proxy: SilencingProxy, word: bytes) -> None:
    """From now on, every connection stalls at its first request holding ``word`` (after
    its handshake): a path that stays stalled, whatever connection the client opens."""

    def stall(connection: int, data: bytes) -> bool:
        if word in data:
            proxy.stalled.add(connection)
            return True
        return False

    proxy.freeze_when = stall


def _socket_open(transport: asyncio.Transport) -> bool:
    # An aborted transport's socket is closed; Python 3.12 still reports its old buffer size.
    return bool(transport.get_extra_info("socket").fileno() != -1)


def lingering() -> list[asyncio.Transport]:
    """Socket transports closed gracefully with data still unsent: each holds its socket
    (and the data) until the kernel gives up on the peer."""
    return [
        o
        for o in gc.get_objects()
        if isinstance(o, asyncio.Transport)
        and o.is_closing()
        and o.get_write_buffer_size() > 0
        and _socket_open(o)
    ]


def assert_aborted(transport: asyncio.Transport | None) -> None:
    """The stalled socket was aborted: closed now, where a graceful close would keep it open
    (holding the commands it could not send) until the kernel gave up on the peer."""
    assert transport is not None and transport.is_closing()
    assert not _socket_open(transport)


def finished(gid: str) -> ResourceEvent:
    return ResourceEvent.from_resource(
        generation_document(gid, "finished", seconds=5), event="update"
    )


@pytest.fixture
async def proxied(redis_server: RedisServer) -> AsyncIterator[tuple[SilencingProxy, RedisBus]]:
    async with (
        SilencingProxy(redis_server.port, receive_buffer=4096) as proxy,
        small_buffered_client(proxy.port) as client,
    ):
        bus = RedisBus(client=client, prefix="stalled", reconnect_delay=0.05)
        try:
            yield proxy, bus
        finally:
            await asyncio.wait_for(bus.aclose(), PATIENCE)


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
    # One batch larger than the stalled connection's buffers: its write blocks.
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
    many = await asyncio.gather(*(bus.subscribe("flowGenerations", gid) for gid in gids))
    assert bus.reconnects == 0
    monkeypatch.setattr(_redis_channels, "_CONFIRM_WAIT", SHORT)
    monkeypatch.setattr(_scripts, "EXCHANGE_TIMEOUT", SHORT)
    stalled = _compat.pubsub_transport(bus._pubsub)
    proxy.stall(proxy.connections_that_sent(b"SUBSCRIBE"))
    for sub in many:
        await sub.close()
    await asyncio.sleep(2 * _redis_channels._UNSUBSCRIBE_GATHER)  # the UNSUBSCRIBE sent
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


async def test_a_path_that_stays_stalled_leaves_no_socket_holding_data_and_heals(
    proxied: tuple[SilencingProxy, RedisBus],
    redis_server: RedisServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every connection the bus opens stalls at its first SUBSCRIBE or UNSUBSCRIBE (and
    those redis-py sends by itself when it reconnects inside a read). Each attempt times out
    and its socket is aborted, a new connection's included; the listener never blocks for
    good; once the path heals, waits started before and during the stall hear their events.
    """
    proxy, bus = proxied
    gids = [f"{LONG_ID}{n}" for n in range(2 * MANY)]
    before = await asyncio.gather(*(bus.subscribe("flowGenerations", g) for g in gids[:MANY]))
    monkeypatch.setattr(_redis_channels, "_CONFIRM_WAIT", SHORT)
    monkeypatch.setattr(_scripts, "EXCHANGE_TIMEOUT", SHORT)
    stall_every(proxy, b"SUBSCRIBE")  # UNSUBSCRIBE too
    proxy.stall(proxy.connections_that_sent(b"SUBSCRIBE"))
    for sub in before[MANY // 2 :]:
        await sub.close()  # their UNSUBSCRIBE stalls, or the SUBSCRIBE below does
    during = await asyncio.wait_for(
        asyncio.gather(*(bus.subscribe("flowGenerations", g) for g in gids[MANY:])), PATIENCE
    )
    opened = len(proxy.sent)
    # Attempts on new connections, each stalling in its resync (900 KB of SUBSCRIBEs).
    await eventually(lambda: len(proxy.sent) >= opened + 3, PATIENCE, "three more attempts")
    assert lingering() == []
    proxy.freeze_when = None  # healed: new connections pass
    await eventually(
        lambda: bus._resync is None and not bus._lock.locked(), PATIENCE, "the resync done"
    )
    web = RedisBus(redis_server.url, prefix="stalled")
    try:
        for gid in (gids[0], gids[-1]):
            assert await web.publish(finished(gid))
    finally:
        await web.aclose()
    assert (await asyncio.wait_for(before[0].get(), PATIENCE)).id == gids[0]
    assert (await asyncio.wait_for(during[-1].get(), PATIENCE)).id == gids[-1]
    assert lingering() == []
    for sub in (*before[: MANY // 2], *during):
        await sub.close()


async def test_publishes_blocked_on_a_stalled_connection_fail_and_the_next_use_a_new_one(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A web replica's publishes: their pipeline's write blocks on a stalled connection. They
    fail after the bound (the receiver answers 500, Recrubo redelivers), and the next publish
    goes out on a new connection."""
    async with (
        SilencingProxy(redis_server.port, receive_buffer=4096) as proxy,
        small_buffered_client(proxy.port) as client,
    ):
        bus = RedisBus(client=client, prefix="stalled")
        try:
            assert await bus.publish(finished("g0"))
            monkeypatch.setattr(_scripts, "EXCHANGE_TIMEOUT", SHORT)
            stall_every(proxy, b"EVALSHA")
            proxy.stall(proxy.connections_that_sent(b"EVALSHA"))
            # Far more than the stalled connection's buffers hold, at once: a batch of 256
            # (``MAX_BATCH``) runs of 6.5 KB each (the id is in the key, the channel and
            # the event) blocks in its write, so the deadline cancels it there, with
            # commands unsent (and the socket aborted, not closed gracefully: ``lingering``).
            outcomes = await asyncio.wait_for(
                asyncio.gather(
                    *(bus.publish(finished(f"{LONG_ID}{n}")) for n in range(1, 600)),
                    return_exceptions=True,
                ),
                PATIENCE,
            )
            assert any(isinstance(o, redis.exceptions.TimeoutError) for o in outcomes)
            assert all(o is True or isinstance(o, redis.exceptions.RedisError) for o in outcomes)
            assert lingering() == []
            proxy.freeze_when = None  # healed: new connections pass
            assert await asyncio.wait_for(bus.publish(finished("after")), PATIENCE)
            assert (await bus.latest("flowGenerations", "after")) is not None
            assert lingering() == []
        finally:
            await asyncio.wait_for(bus.aclose(), PATIENCE)
