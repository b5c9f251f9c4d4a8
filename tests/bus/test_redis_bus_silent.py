"""A RedisBus whose Redis connections go silent (half-open after a failover or a NAT's idle
drop: requests go out, nothing comes back, nothing fails) recovers instead of going deaf.

The bus reaches Redis through ``SilencingProxy``, whose chosen connections stop answering.
The bounds are shortened here (``_CONFIRM_WAIT``, ``_KEEPALIVE_IDLE``,
``EXCHANGE_TIMEOUT``); each step is then awaited for ``PATIENCE``, far longer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable

import pytest
import redis.asyncio as aioredis

from recrubo_async.bus import BusClosedError, RedisBus, ResourceEvent, _redis_channels, _scripts
from recrubo_async.testing import Emulator
from recrubo_async.waiters import WebhookWaiter

from ..support.deliveries import generation as generation_document
from ..support.deployment import generation, tenant
from ..support.redis_server import RedisServer
from ..support.servers import PATIENCE
from ..support.silent_proxy import SilencingProxy
from ..support.timing import eventually

#: The shortened bounds: how long a PONG, or an MGET's answer, is waited for.
SHORT = 0.5


def finished(gid: str) -> ResourceEvent:
    return ResourceEvent.from_resource(
        generation_document(gid, "finished", seconds=5), event="update"
    )


def freeze_first(word: bytes) -> Callable[[int, bytes], bool]:
    """A ``freeze_when`` that freezes only the first connection sending ``word``."""
    frozen: list[int] = []

    def first(connection: int, data: bytes) -> bool:
        if word in data and not frozen:
            frozen.append(connection)
        return connection in frozen

    return first


async def subscribers(admin: aioredis.Redis, bus: RedisBus, gid: str) -> int:
    [(_, count)] = await admin.pubsub_numsub(bus._channel(("flowGenerations", gid)))
    return int(count)


@pytest.fixture
async def proxied(redis_server: RedisServer) -> AsyncIterator[tuple[SilencingProxy, RedisBus]]:
    """A worker's bus that reaches Redis through a ``SilencingProxy``.

    Its client has no socket timeout (redis-py 5's default; ``pooled_client`` sets none),
    so only the bus's own bounds can notice a silent connection.
    """
    async with SilencingProxy(redis_server.port) as proxy:
        client = aioredis.Redis(host="127.0.0.1", port=proxy.port, socket_timeout=None)
        bus = RedisBus(client=client, prefix="silent", reconnect_delay=0.05)
        try:
            yield proxy, bus
        finally:
            await bus.aclose()
            await client.aclose()


@pytest.fixture
async def web(redis_server: RedisServer) -> AsyncIterator[RedisBus]:
    """A web replica's bus, publishing straight to Redis."""
    bus = RedisBus(redis_server.url, prefix="silent")
    try:
        yield bus
    finally:
        await bus.aclose()


async def test_a_subscribe_whose_confirmation_never_comes_moves_to_a_new_connection(
    proxied: tuple[SilencingProxy, RedisBus],
    web: RedisBus,
    admin: aioredis.Redis,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The pub/sub connection goes silent; the next SUBSCRIBE's PONG never comes. The bus
    resubscribes every wait on a new connection (not on the silent one), so events
    published afterwards reach them, and the silent connection is closed."""
    monkeypatch.setattr(_redis_channels, "_CONFIRM_WAIT", SHORT)
    proxy, bus = proxied
    first = await bus.subscribe("flowGenerations", "g1")
    proxy.freeze(proxy.connections_that_sent(b"SUBSCRIBE"))
    # Returns once the confirmation is given up on; the listener then resyncs.
    second = await asyncio.wait_for(bus.subscribe("flowGenerations", "g2"), PATIENCE)
    assert bus._resync is not None
    await eventually(
        lambda: bus._resync is None and not bus._lock.locked(), PATIENCE, "the resync done"
    )
    for gid in ("g1", "g2"):
        assert await web.publish(finished(gid))
    assert (await asyncio.wait_for(first.get(), PATIENCE)).id == "g1"
    assert (await asyncio.wait_for(second.get(), PATIENCE)).id == "g2"
    assert bus.reconnects == 1
    # The silent connection was closed, not left subscribed beside the new one.
    loop = asyncio.get_running_loop()
    give_up = loop.time() + PATIENCE
    while await subscribers(admin, bus, "g1") != 1:
        assert loop.time() < give_up, "the silent pub/sub connection was left open"
        await asyncio.sleep(0.01)
    await first.close()
    await second.close()


async def test_an_idle_pubsub_connection_gone_silent_is_replaced(
    proxied: tuple[SilencingProxy, RedisBus], web: RedisBus, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No new subscription needs a confirmation: the listener's keepalive PING, unanswered,
    is what notices the silence. An event published to the silent connection is found by
    the re-read of latest states that follows the reconnection."""
    monkeypatch.setattr(_redis_channels, "_CONFIRM_WAIT", SHORT)
    monkeypatch.setattr(_redis_channels, "_KEEPALIVE_IDLE", 0.1)
    proxy, bus = proxied
    sub = await bus.subscribe("flowGenerations", "g1")
    proxy.freeze(proxy.connections_that_sent(b"SUBSCRIBE"))
    assert await web.publish(finished("g1"))  # lost on the silent connection
    assert (await asyncio.wait_for(sub.get(), PATIENCE)).id == "g1"
    assert bus.reconnects == 1
    await sub.close()


async def test_a_silent_connection_is_noticed_while_other_waits_keep_ending(
    proxied: tuple[SilencingProxy, RedisBus], web: RedisBus, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Waits ending every few milliseconds keep UNSUBSCRIBEs gathered at all times; the
    keepalive must still run, or an open wait on a silent connection stays deaf for as
    long as others keep ending (found by review of the gathering)."""
    monkeypatch.setattr(_redis_channels, "_CONFIRM_WAIT", SHORT)
    monkeypatch.setattr(_redis_channels, "_KEEPALIVE_IDLE", 0.0)
    proxy, bus = proxied
    waiting = await bus.subscribe("flowGenerations", "target")
    others = [await bus.subscribe("flowGenerations", f"k{i}") for i in range(2500)]
    proxy.freeze(proxy.connections_that_sent(b"SUBSCRIBE"))
    assert await web.publish(finished("target"))  # lost on the silent connection
    got = asyncio.ensure_future(waiting.get())
    try:
        for sub in others:  # about 5 s of waits ending, or until the event arrives
            await sub.close()
            await asyncio.sleep(0.002)
            if got.done():
                break
        assert got.done(), "the open wait stayed deaf while other waits kept ending"
        assert got.result().id == "target"
        # Counted once the resync that re-read the event has finished.
        await eventually(lambda: bus.reconnects == 1, PATIENCE, "the reconnection counted")
    finally:
        got.cancel()
        await waiting.close()


async def test_keepalive_pings_answered_on_a_healthy_connection_change_nothing(
    proxied: tuple[SilencingProxy, RedisBus], web: RedisBus, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An idle, healthy pub/sub connection is PINGed and answers: it is kept (no
    reconnection), and events still reach the waits."""
    monkeypatch.setattr(_redis_channels, "_CONFIRM_WAIT", SHORT)
    monkeypatch.setattr(_redis_channels, "_KEEPALIVE_IDLE", 0.05)
    proxy, bus = proxied
    sub = await bus.subscribe("flowGenerations", "g1")

    def pings() -> int:
        return sum(data.count(b"RECRUBO-KEEPALIVE") for data in proxy.sent.values())

    # Each PING is sent once the previous one's PONG came back.
    await eventually(lambda: pings() >= 3, PATIENCE, "three keepalive PINGs")
    assert await web.publish(finished("g1"))
    assert (await asyncio.wait_for(sub.get(), PATIENCE)).id == "g1"
    assert bus.reconnects == 0
    assert len(proxy.connections_that_sent(b"SUBSCRIBE")) == 1
    await sub.close()


async def test_a_resync_whose_reread_goes_silent_is_tried_again(
    proxied: tuple[SilencingProxy, RedisBus],
    web: RedisBus,
    redis_server: RedisServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After a Redis restart, the resync's MGET goes out on a connection that goes silent:
    the resync (which holds the pub/sub lock) gives up at ``EXCHANGE_TIMEOUT`` and runs
    again, instead of holding every later subscribe and every event for ever."""
    monkeypatch.setattr(_scripts, "EXCHANGE_TIMEOUT", SHORT)
    proxy, bus = proxied
    sub = await bus.subscribe("flowGenerations", "g1")
    proxy.freeze_when = freeze_first(b"MGET")
    await redis_server.restart()
    await eventually(lambda: bus.reconnects >= 1, PATIENCE, "the bus reconnected")
    assert proxy.connections_that_sent(b"MGET") & proxy.frozen
    other = await asyncio.wait_for(bus.subscribe("flowGenerations", "g2"), PATIENCE)
    assert await web.publish(finished("g1"))
    assert (await asyncio.wait_for(sub.get(), PATIENCE)).id == "g1"
    await other.close()
    await sub.close()


async def test_a_silent_latest_read_does_not_stall_every_wait(
    proxied: tuple[SilencingProxy, RedisBus],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A ``latest()`` MGET whose pooled connection goes silent ends at ``EXCHANGE_TIMEOUT``
    with None (the wait's own GET covers it), logged once, and the connection is not
    reused: a WebhookWaiter wait on a finished job returns, and so does the next one,
    instead of queueing behind the silent read until their deadlines."""
    monkeypatch.setattr(_scripts, "EXCHANGE_TIMEOUT", SHORT)
    caplog.set_level(logging.WARNING, logger="recrubo_async.bus.redis")
    proxy, bus = proxied
    async with Emulator(mode="production", clock="manual") as emu, tenant(emu) as api:
        gen = await generation(api)
        await emu.advance(30)  # finished
        waiter = WebhookWaiter(bus)
        healthy = await api.flow_generations.wait(gen.id, waiter=waiter, timeout=PATIENCE)
        assert healthy.status == "finished"
        # The pooled connection the next MGET goes out on goes silent (and stays so).
        proxy.freeze_when = freeze_first(b"MGET")
        for _ in range(2):
            done = await api.flow_generations.wait(gen.id, waiter=waiter, timeout=PATIENCE)
            assert done.status == "finished"
    assert proxy.connections_that_sent(b"MGET") & proxy.frozen
    reads = [r for r in caplog.records if "latest states" in r.getMessage()]
    assert len(reads) == 1, [r.getMessage() for r in reads]


async def test_latest_reads_after_a_silent_one_are_answered_from_a_new_connection(
    proxied: tuple[SilencingProxy, RedisBus], web: RedisBus, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reads queued behind a silent MGET are answered (None) with it; the next ones
    read the stored state on another connection."""
    monkeypatch.setattr(_scripts, "EXCHANGE_TIMEOUT", SHORT)
    proxy, bus = proxied
    stored = finished("g1")
    assert await web.publish(stored)
    assert await bus.latest("flowGenerations", "g1") == stored
    proxy.freeze_when = freeze_first(b"MGET")
    stuck = asyncio.create_task(bus.latest("flowGenerations", "g1"))
    await eventually(lambda: bool(proxy.frozen), PATIENCE, "the MGET sent")
    behind = asyncio.create_task(bus.latest("flowGenerations", "g1"))
    assert await asyncio.wait_for(stuck, PATIENCE) is None
    assert await asyncio.wait_for(behind, PATIENCE) == stored
    assert await asyncio.wait_for(bus.latest("flowGenerations", "g1"), PATIENCE) == stored


async def test_cancelling_the_task_closing_the_bus_is_passed_on(
    redis_server: RedisServer,
) -> None:
    """``aclose()`` waits for its background tasks without swallowing a cancellation of
    its own caller; the subscriptions are ended by then, and a second ``aclose()``
    finishes closing."""
    bus = RedisBus(redis_server.url)
    sub = await bus.subscribe("flowGenerations", "g1")  # the listener is running
    closing = asyncio.create_task(bus.aclose())
    await asyncio.sleep(0)  # aclose() runs until it waits for the cancelled tasks
    assert not closing.done()
    closing.cancel()
    await asyncio.wait((closing,), timeout=PATIENCE)
    assert closing.cancelled(), "aclose() swallowed the cancellation of its caller"
    with pytest.raises(BusClosedError):
        await asyncio.wait_for(sub.get(), PATIENCE)
    await asyncio.wait_for(bus.aclose(), PATIENCE)
    assert bus._pubsub is None


async def test_an_event_published_while_the_resync_subscribe_is_in_flight_is_not_lost(
    proxied: tuple[SilencingProxy, RedisBus], web: RedisBus, redis_server: RedisServer
) -> None:
    """After a reconnection the SUBSCRIBEs go out on the new pub/sub connection and the
    re-read of latest states on another: without waiting for Redis to apply the first, a
    state published between the re-read's answer and the SUBSCRIBE landing is heard by
    neither. The new pub/sub connection is made slow (its requests held back) to open
    that window wide; the resync must re-read only once its SUBSCRIBEs are confirmed."""
    proxy, bus = proxied
    hold = 1.5
    sub = await bus.subscribe("flowGenerations", "g1")
    proxy.hold = hold
    proxy.hold_when = lambda _connection, data: b"SUBSCRIBE" in data
    await redis_server.restart()
    await eventually(lambda: bus.reconnects == 1, PATIENCE, "the bus reconnected")
    # Published once the resync is done (it returns only after its re-read): the
    # SUBSCRIBE must then be applied already, or this state is lost.
    await eventually(
        lambda: bus._resync is None and not bus._lock.locked(), PATIENCE, "the resync done"
    )
    assert await web.publish(finished("g1"))
    event = await asyncio.wait_for(sub.get(), hold + PATIENCE)
    assert event.id == "g1"
    await sub.close()
