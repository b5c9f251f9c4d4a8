"""A RedisBus subscription is in Redis before ``subscribe()`` returns, for every wait.

Redis is held still with ``CLIENT PAUSE`` (confirmed by its OK, so nothing here depends
on timing): a wait joining a resource whose SUBSCRIBE is on its way waits for it, and no
``subscribe()`` returns before Redis has confirmed its SUBSCRIBE, so the ``latest()`` read
that follows it cannot run before Redis subscribed the channel.
"""

from __future__ import annotations

import asyncio
import gc

import pytest
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError

from recrubo_async.bus import RedisBus, ResourceEvent, _redis_channels

from ..support.deliveries import generation
from ..support.redis_server import RedisServer
from ..support.servers import PATIENCE
from ..support.timing import eventually

#: Long enough that the checks below run while Redis is paused, on any machine.
PAUSE_MS = 3000


async def subscribers(admin: aioredis.Redis, bus: RedisBus, gid: str) -> int:
    [(_, count)] = await admin.pubsub_numsub(bus._channel(("flowGenerations", gid)))
    return int(count)


async def test_a_wait_joining_a_subscribe_in_flight_returns_once_redis_has_it(
    redis_server: RedisServer, admin: aioredis.Redis
) -> None:
    """A second wait on a resource whose SUBSCRIBE is being sent (the syncer took it from
    the dirty set) returns only once Redis has the SUBSCRIBE; an event published right
    after its ``latest()`` read reaches it."""
    bus = RedisBus(redis_server.url)
    web = RedisBus(redis_server.url)
    try:
        # Warm the connections the reads and the publish use; the pub/sub one stays new.
        assert await bus.latest("flowGenerations", "warm") is None
        await web.publish(
            ResourceEvent.from_resource(generation("warm", "processing"), event="update")
        )
        assert await admin.client_pause(PAUSE_MS, all=True)
        first = asyncio.create_task(bus.subscribe("flowGenerations", "g1"))
        await eventually(
            lambda: bus._syncer is not None and not bus._dirty, 10, "the syncer took g1"
        )
        assert not first.done()
        second = await asyncio.wait_for(bus.subscribe("flowGenerations", "g1"), 30)
        assert first.done()
        assert await subscribers(admin, bus, "g1") == 1
        assert await bus.latest("flowGenerations", "g1") is None
        finished = ResourceEvent.from_resource(
            generation("g1", "finished", seconds=5), event="update"
        )
        assert await web.publish(finished)
        assert await asyncio.wait_for(second.get(), 10) == finished
        sub = await first
        assert await asyncio.wait_for(sub.get(), 10) == finished
        await second.close()
        await sub.close()
    finally:
        await bus.aclose()
        await web.aclose()


async def test_subscribe_returns_only_after_redis_confirmed_the_subscribe(
    redis_server: RedisServer, admin: aioredis.Redis
) -> None:
    """On a connected bus, ``subscribe()`` waits for Redis to confirm the SUBSCRIBE (not
    only for it to be written): while Redis is paused it does not return, and once it
    returns Redis counts the subscriber."""
    bus = RedisBus(redis_server.url)
    try:
        warm = await bus.subscribe("flowGenerations", "g0")
        assert await admin.client_pause(PAUSE_MS, all=True)
        pending = asyncio.create_task(bus.subscribe("flowGenerations", "g2"))
        done, _ = await asyncio.wait({pending}, timeout=0.5)
        assert not done, "subscribe() returned while Redis was paused"
        sub = await asyncio.wait_for(pending, 30)
        assert await subscribers(admin, bus, "g2") == 1
        assert bus.reconnects == 0
        await sub.close()
        await warm.close()
    finally:
        await bus.aclose()


async def test_a_subscribe_cancelled_while_redis_is_paused_returns_promptly(
    redis_server: RedisServer, admin: aioredis.Redis
) -> None:
    """Waiting for the confirmation does not make a cancelled subscribe wait for Redis."""
    bus = RedisBus(redis_server.url)
    try:
        warm = await bus.subscribe("flowGenerations", "g0")
        loop = asyncio.get_running_loop()
        assert await admin.client_pause(PAUSE_MS, all=True)
        paused = loop.time()
        pending = asyncio.create_task(bus.subscribe("flowGenerations", "g3"))
        await asyncio.sleep(0.05)
        pending.cancel()
        with pytest.raises(asyncio.CancelledError):
            await pending
        # Well before the pause ends: the cancellation did not wait for Redis.
        assert loop.time() - paused < PAUSE_MS / 1000 * 0.8
        assert bus.subscription_count == 1
        await warm.close()
    finally:
        await bus.aclose()


async def test_a_connection_lost_while_a_batch_pings_logs_no_lost_future_error() -> None:
    """The listener fails the batch's PONG while the PING is still being sent: the batch
    raises once, and asyncio logs no "Future exception was never retrieved" at GC.

    A fake pub/sub connection, as this interleaving cannot be forced on a real one."""
    loop = asyncio.get_running_loop()
    logged: list[str] = []
    loop.set_exception_handler(lambda _, context: logged.append(context["message"]))
    bus = RedisBus(client=aioredis.Redis(port=1))  # never connects

    class LostWhilePinging:
        async def ping(self, message: str) -> None:
            await asyncio.sleep(0)
            bus._fail_pongs("the pub/sub connection was lost")
            raise RedisConnectionError("lost while sending the PING")

    try:
        with pytest.raises(RedisConnectionError):
            await bus._confirm(LostWhilePinging())
        gc.collect()
        await asyncio.sleep(0)
        assert logged == []
    finally:
        loop.set_exception_handler(None)
        await bus.aclose()


async def test_a_connection_dropped_while_a_resync_is_confirmed_resyncs_at_once(
    redis_server: RedisServer, admin: aioredis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client of the caller's own (redis-py retries: it reconnects inside the listener's
    read). The pub/sub connection drops again while the resync waits for its PONG: the new
    connection has no channels and will confirm nothing, so the next resync starts at once,
    not after ``_CONFIRM_WAIT`` of silence with every wait deaf meanwhile."""
    # Made with its own pool (not from_url): redis-py then retries a command, reconnecting.
    client = aioredis.Redis(host="127.0.0.1", port=redis_server.port)
    bus = RedisBus(client=client, prefix="races", reconnect_delay=0.05)
    web = RedisBus(redis_server.url, prefix="races")
    confirm = _redis_channels.RedisChannels._confirm_resubscribed
    dropped: list[float] = []
    loop = asyncio.get_running_loop()

    async def dropping(self: _redis_channels.RedisChannels) -> None:
        if not dropped:
            assert await admin.client_kill_filter(_type="pubsub") == 1
            dropped.append(loop.time())
            await asyncio.sleep(0.05)  # the drop reaches the client before the resync's PING
        await confirm(self)

    monkeypatch.setattr(_redis_channels.RedisChannels, "_confirm_resubscribed", dropping)
    try:
        sub = await bus.subscribe("flowGenerations", "g1")
        assert await admin.client_kill_filter(_type="pubsub") == 1  # the first resync
        await eventually(lambda: bool(dropped), PATIENCE, "the drop during the resync")
        await eventually(
            lambda: bus._resync is None and not bus._lock.locked(), PATIENCE, "the resync done"
        )
        assert await web.publish(
            ResourceEvent.from_resource(generation("g1", "finished", seconds=5), event="update")
        )
        assert (await asyncio.wait_for(sub.get(), PATIENCE)).id == "g1"
        assert loop.time() - dropped[0] < _redis_channels._CONFIRM_WAIT / 2
        await sub.close()
    finally:
        await web.aclose()
        await bus.aclose()
        await client.aclose()
