"""``RedisBus.publish`` sends the publishes asked for together as one pipeline: each still
gets its own answer (accepted or stale, by the ordering rule), a script Redis has
forgotten is loaded again, and one caller's cancellation touches no other's publish."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis

from recrubo_async.bus import RedisBus, ResourceEvent

from ..support.deliveries import generation
from ..support.redis_server import RedisServer


def state(gid: str, status: str, seconds: int) -> ResourceEvent:
    return ResourceEvent.from_resource(generation(gid, status, seconds=seconds), event="update")


async def evalsha_calls(admin: aioredis.Redis) -> int:
    stats = await admin.info("commandstats")
    return int(stats.get("cmdstat_evalsha", {}).get("calls", 0))


async def test_publishes_asked_together_each_get_their_own_answer(
    redis_server: RedisServer, admin: aioredis.Redis
) -> None:
    """100 publishes at once, half of them older than the state Redis holds: the older
    ones answer False and change nothing, the others answer True and are stored."""
    bus = RedisBus(redis_server.url)
    try:
        for i in range(0, 100, 2):
            assert await bus.publish(state(f"g{i}", "finished", seconds=10))
        events = [state(f"g{i}", "processing", seconds=5 if i % 2 == 0 else 20) for i in range(100)]
        answers = await asyncio.gather(*(bus.publish(event) for event in events))
        assert answers == [i % 2 == 1 for i in range(100)]
        for i in range(100):
            latest = await bus.latest("flowGenerations", f"g{i}")
            assert latest is not None
            assert latest.status == ("finished" if i % 2 == 0 else "processing")
    finally:
        await bus.aclose()


async def test_a_script_redis_forgot_is_loaded_again_for_a_whole_batch(
    redis_server: RedisServer, admin: aioredis.Redis
) -> None:
    """After SCRIPT FLUSH (a Redis restart or failover does the same), a batch of
    publishes still runs every one of them."""
    bus = RedisBus(redis_server.url)
    try:
        assert await bus.publish(state("first", "processing", seconds=1))
        await admin.script_flush()
        events = [state(f"h{i}", "finished", seconds=5) for i in range(20)]
        assert await asyncio.gather(*(bus.publish(event) for event in events)) == [True] * 20
        for i in range(20):
            latest = await bus.latest("flowGenerations", f"h{i}")
            assert latest is not None and latest.status == "finished"
    finally:
        await bus.aclose()


async def test_a_cancelled_publisher_leaves_the_others_of_its_batch_alone(
    redis_server: RedisServer, admin: aioredis.Redis
) -> None:
    """One of 30 publishing tasks is cancelled while the batch is on its way: the 29
    others are answered and stored."""
    bus = RedisBus(redis_server.url)
    try:
        assert await bus.publish(state("warm", "processing", seconds=1))  # script loaded
        tasks = [
            asyncio.create_task(bus.publish(state(f"c{i}", "finished", seconds=5)))
            for i in range(30)
        ]
        await asyncio.sleep(0)  # every publish asked; the batch not sent yet
        tasks[7].cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert isinstance(results[7], asyncio.CancelledError)
        assert [r for i, r in enumerate(results) if i != 7] == [True] * 29
        for i in range(30):
            if i != 7:
                latest = await bus.latest("flowGenerations", f"c{i}")
                assert latest is not None and latest.status == "finished"
    finally:
        await bus.aclose()


async def test_publishes_of_one_tick_cost_one_round_trip_between_them(
    redis_server: RedisServer, admin: aioredis.Redis
) -> None:
    """50 publishes asked in one tick reach Redis as 50 script runs on one connection,
    sent together: no more EVALSHA than publishes, and no second connection opened."""
    bus = RedisBus(redis_server.url)
    try:
        assert await bus.publish(state("warm", "processing", seconds=1))
        clients = int((await admin.info("clients"))["connected_clients"])
        before = await evalsha_calls(admin)
        events = [state(f"p{i}", "finished", seconds=5) for i in range(50)]
        assert await asyncio.gather(*(bus.publish(event) for event in events)) == [True] * 50
        assert await evalsha_calls(admin) - before == 50
        assert int((await admin.info("clients"))["connected_clients"]) == clients
    finally:
        await bus.aclose()
