"""Bursts beyond the connection pool queue instead of failing.

redis-py's default asyncio pool raises "Too many connections" past its limit, though Redis
is healthy. The Redis clients the SDK makes from a URL queue for a connection instead, and
``RedisBus.latest()`` reads asked for together share one MGET: thousands of waits starting
at once cost a few round trips and a handful of connections, and a burst of webhook
deliveries on one replica is answered 200 throughout.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

import pytest
import redis.asyncio as aioredis

from recrubo_async.bus import RedisBus, ResourceEvent
from recrubo_async.webhooks import RedisDedupe, WebhookPayload, WebhookReceiver

from ..support.deliveries import SECRET, delivery, generation, headers
from ..support.redis_server import RedisServer


async def connected_clients(admin: aioredis.Redis) -> int:
    info = await admin.info("clients")
    return int(info["connected_clients"])


async def mget_calls(admin: aioredis.Redis) -> int:
    stats = await admin.info("commandstats")
    return int(stats.get("cmdstat_mget", {}).get("calls", 0))


async def test_two_thousand_latest_reads_at_once_all_succeed_in_a_few_mgets(
    redis_server: RedisServer, admin: aioredis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    """2,000 ``latest()`` calls at once (as 2,000 waits starting together make): every one
    answers the stored state, none is logged as failed, and they cost a few MGETs."""
    caplog.set_level(logging.WARNING, logger="recrubo_async.bus.redis")
    bus = RedisBus(redis_server.url)
    try:
        stored = {
            f"g{i}": ResourceEvent.from_resource(
                generation(f"g{i}", "finished", seconds=5), event="update"
            )
            for i in range(0, 2000, 50)
        }
        for event in stored.values():
            assert await bus.publish(event)
        before = await mget_calls(admin)
        ids = [f"g{i}" for i in range(2000)]
        answers = await asyncio.gather(*(bus.latest("flowGenerations", gid) for gid in ids))
        assert answers == [stored.get(gid) for gid in ids]
        assert await mget_calls(admin) - before <= 10
        assert await connected_clients(admin) <= 10
        assert not caplog.records
    finally:
        await bus.aclose()


async def test_three_hundred_concurrent_deliveries_are_all_answered_200(
    redis_server: RedisServer, admin: aioredis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    """300 deliveries at once to one receiver with RedisBus and RedisDedupe (more commands
    at once than any pool holds): all answered 200, each handler run once; closing the
    bus and the store closes every connection they opened."""
    caplog.set_level(logging.WARNING)
    baseline = await connected_clients(admin)
    bus, dedupe = RedisBus(redis_server.url), RedisDedupe(redis_server.url)
    receiver = WebhookReceiver(secret=SECRET, bus=bus, dedupe=dedupe)
    runs: Counter[str] = Counter()

    @receiver.on("flowGenerations")
    async def handler(payload: WebhookPayload) -> None:
        runs[payload.id] += 1

    try:
        bodies = [
            delivery(generation(f"g{i}", "finished", seconds=5), payload_id=f"p{i}")
            for i in range(300)
        ]
        results = await asyncio.gather(*(receiver.handle(headers(), b) for b in bodies))
        assert Counter(r.status for r in results) == {200: 300}
        assert runs == {f"p{i}": 1 for i in range(300)}
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    finally:
        await bus.aclose()
        await dedupe.aclose()
    await eventually_clients(admin, baseline)


async def eventually_clients(admin: aioredis.Redis, count: int) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while (seen := await connected_clients(admin)) != count:
        if loop.time() > deadline:
            raise AssertionError(f"{seen} clients connected after aclose; {count} expected")
        await asyncio.sleep(0.05)
