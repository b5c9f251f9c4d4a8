"""Cancelled and closed RedisBus waits leave nothing subscribed, and finish promptly.

A wait here is what ``WebhookWaiter`` does with the bus: subscribe, wait for an event,
close the subscription in ``finally``. After any mix of subscribes, cancellations and
closes, the bus's local subscriptions, redis-py's channel lists and Redis's own channels
(PUBSUB CHANNELS / NUMSUB) agree, and no reconnection is counted or logged without an
outage.
"""

from __future__ import annotations

import asyncio
import logging
import random

import pytest
import redis.asyncio as aioredis

from recrubo_async.bus import RedisBus, ResourceEvent, Subscription

from ..support.deliveries import generation
from ..support.redis_server import RedisServer, assert_views_agree
from ..support.timing import eventually


async def wait_for_event(bus: RedisBus, gid: str) -> ResourceEvent:
    sub = await bus.subscribe("flowGenerations", gid)
    try:
        return await sub.get()
    finally:
        await sub.close()


async def test_a_thousand_waits_with_random_cancellations_leave_no_channel(
    redis_server: RedisServer, admin: aioredis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    """1,000 waits (some on the same resource), about 200 cancelled at random moments
    (before, during and after their SUBSCRIBE), the rest ended by their event: Redis,
    redis-py and the bus end with zero channels, and no reconnection is reported."""
    caplog.set_level(logging.INFO, logger="recrubo_async.bus.redis")
    rng = random.Random(13)
    bus = RedisBus(redis_server.url)
    web = RedisBus(redis_server.url)
    try:
        ids = [f"g{rng.randrange(700)}" for _ in range(1000)]
        tasks = [asyncio.create_task(wait_for_event(bus, gid)) for gid in ids]
        cancelled = set(rng.sample(range(len(tasks)), 200))
        for n, index in enumerate(sorted(cancelled)):
            if n % 40 == 0:
                await asyncio.sleep(rng.random() * 0.02)
            tasks[index].cancel()
        await asyncio.sleep(0.1)
        await eventually(lambda: not unsent(bus), 30, "subscribes sent")
        live = {ids[i] for i in range(len(tasks)) if i not in cancelled}
        for gid in sorted(live):
            await web.publish(
                ResourceEvent.from_resource(generation(gid, "finished", seconds=5), event="update")
            )
        done = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 60)
        for index, result in enumerate(done):
            if not isinstance(result, asyncio.CancelledError):
                assert isinstance(result, ResourceEvent), result
                assert result.id == ids[index]
        assert bus.subscription_count == 0
        await assert_views_agree(admin, bus, 20)
        assert await redis_channels_count(admin) == 0
        assert bus.reconnects == 0
        assert not [r for r in caplog.records if "restored" in r.getMessage()]
    finally:
        await bus.aclose()
        await web.aclose()


def unsent(bus: RedisBus) -> int:
    """Resources whose SUBSCRIBE or UNSUBSCRIBE the bus has not sent yet."""
    return len(getattr(bus, "_dirty", ()))


async def redis_channels_count(admin: aioredis.Redis) -> int:
    return len(await admin.pubsub_channels("recrubo:events:*"))


async def test_two_thousand_waits_cancelled_behind_a_busy_bus_finish_promptly(
    redis_server: RedisServer, admin: aioredis.Redis
) -> None:
    """Regression: cancelling waits whose SUBSCRIBEs are queued behind the bus's lock left
    ``gather()`` of the cancelled tasks hanging (2,000 waits, > 600 s). Here 1,000 waits
    are subscribed and 1,000 more queued while the lock is held (as a slow Redis would
    hold it); all 2,000 are cancelled. Their clean-up must not wait on the lock: every task
    ends while it is still held. Then Redis ends with zero channels."""
    bus = RedisBus(redis_server.url)
    try:
        first = [asyncio.create_task(wait_for_event(bus, f"a{i}")) for i in range(1000)]
        await eventually(
            lambda: bus.subscription_count == 1000 and not unsent(bus), 30, "subscribed"
        )
        async with bus._lock:
            queued = [asyncio.create_task(wait_for_event(bus, f"b{i}")) for i in range(1000)]
            await eventually(lambda: bus.subscription_count == 2000, 30, "queued")
            tasks = first + queued
            for task in tasks:
                task.cancel()
            # Cancellation needs no Redis round trip (a close never waits for its
            # UNSUBSCRIBE): the bound is generous slack for a loaded 2-core machine, not a
            # guess at Redis's speed.
            done = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 20)
            assert all(isinstance(r, asyncio.CancelledError) for r in done)
            assert bus.subscription_count == 0
        await assert_views_agree(admin, bus, 20)
        assert await redis_channels_count(admin) == 0
        assert bus.reconnects == 0
    finally:
        await bus.aclose()


async def test_resubscribing_the_same_resource_in_a_churn_keeps_all_views_equal(
    redis_server: RedisServer, admin: aioredis.Redis
) -> None:
    """Subscribe, close and subscribe again the same resources in quick succession (the
    pattern that left thousands of stale entries in redis-py's lists): the three views
    agree at the end, with exactly the still-open subscriptions."""
    rng = random.Random(5)
    bus = RedisBus(redis_server.url)
    try:
        open_subs: dict[str, Subscription] = {}
        for _ in range(6):
            for _i in range(150):
                gid = f"c{rng.randrange(60)}"
                if gid in open_subs:
                    await open_subs.pop(gid).close()
                else:
                    open_subs[gid] = await bus.subscribe("flowGenerations", gid)
        await assert_views_agree(admin, bus, 20)
        assert {bus._channel(("flowGenerations", g)) for g in open_subs} == {
            c.decode() if isinstance(c, bytes) else c
            for c in await admin.pubsub_channels("recrubo:events:*")
        }
        for sub in open_subs.values():
            await sub.close()
        await assert_views_agree(admin, bus, 20)
        assert await redis_channels_count(admin) == 0
        assert bus.reconnects == 0
    finally:
        await bus.aclose()


async def test_a_redis_restart_leaves_only_wanted_channels_and_counts_one_reconnect(
    redis_server: RedisServer,
) -> None:
    """Waits closed while Redis is down are not resubscribed when it is back; waits still
    open are, and their events arrive. The restart counts as a reconnection."""
    bus = RedisBus(redis_server.url, reconnect_delay=0.05, max_reconnect_delay=0.5)
    web = RedisBus(redis_server.url)
    try:
        subs = [await bus.subscribe("flowGenerations", f"r{i}") for i in range(100)]
        redis_server.stop()
        for sub in subs[:50]:
            await sub.close()
        await asyncio.to_thread(redis_server.start)
        await eventually(lambda: bus.reconnects >= 1, 20, "reconnected")
        fresh = aioredis.Redis.from_url(redis_server.url)
        try:
            await assert_views_agree(fresh, bus, 20)
            assert len(await fresh.pubsub_channels("recrubo:events:*")) == 50
        finally:
            await fresh.aclose()
        for i in range(50, 100):
            await web.publish(
                ResourceEvent.from_resource(generation(f"r{i}", "finished"), event="update")
            )
        for i, sub in enumerate(subs[50:], start=50):
            assert (await asyncio.wait_for(sub.get(), 10)).id == f"r{i}"
            await sub.close()
    finally:
        await bus.aclose()
        await web.aclose()
