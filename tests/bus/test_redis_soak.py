"""Soak: many waits over RedisBus in batches, some cancelled at random; nothing is kept.

Each wait uses the bus as ``WebhookWaiter`` does (subscribe, latest, a stand-in for the
GET, then bus events, close in ``finally``) on a ``RedisBus``; another ``RedisBus`` publishes the
``finished`` state of every wait that is not cancelled. After every batch, and at the end:
Redis has no channel (PUBSUB CHANNELS / NUMSUB), the bus's local map, unsent batch and
redis-py's channel lists are empty, no task is left, and memory (tracemalloc) is back near
its level after the first batch. ``RECRUBO_SOAK_WAITS=50000`` runs the full size; the
default fits in about 20 s on a loaded 2-core machine.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import random
import tracemalloc

import pytest
import redis.asyncio as aioredis

from recrubo_async.bus import RedisBus, ResourceEvent

from ..support.deliveries import generation
from ..support.redis_server import RedisServer, assert_views_agree

WAITS = int(os.environ.get("RECRUBO_SOAK_WAITS", "4000"))
BATCH = 500
CANCEL_SHARE = 0.2
#: Growth of traced memory allowed over the whole soak, after the first batch warmed up
#: caches and pools: far below what one leaked subscription per wait would cost.
SLACK_BYTES = 2_000_000


#: Generations whose ``finished`` state was published: what the API would answer a GET.
FINISHED: set[str] = set()


async def wait_finished(bus: RedisBus, gid: str) -> str:
    """A webhook wait's use of the bus: subscribe, then look (latest, then the "API"),
    then take events; close the subscription whatever happens."""
    sub = await bus.subscribe("flowGenerations", gid)
    try:
        latest = await bus.latest("flowGenerations", gid)
        # A failed latest() read (redis-py's pool has 100 connections; 500 waits read at
        # once) is covered by the wait's GET, as in production.
        if (latest is not None and latest.status == "finished") or gid in FINISHED:
            return gid
        while (await sub.get()).status != "finished":
            pass
        return gid
    finally:
        await sub.close()


async def one_batch(worker: RedisBus, web: RedisBus, batch: int, rng: random.Random) -> None:
    ids = [f"s{batch}-{i}" for i in range(BATCH)]
    tasks = [asyncio.create_task(wait_finished(worker, gid)) for gid in ids]
    cancelled = set(rng.sample(range(BATCH), int(BATCH * CANCEL_SHARE)))
    # Cancel some at once (their SUBSCRIBE still queued), the rest after a short while.
    for index in sorted(cancelled):
        if rng.random() < 0.5:
            tasks[index].cancel()
    await asyncio.sleep(rng.random() * 0.05)
    for index in sorted(cancelled):
        tasks[index].cancel()
    for index, gid in enumerate(ids):
        if index not in cancelled:
            FINISHED.add(gid)
            await web.publish(
                ResourceEvent.from_resource(generation(gid, "finished", seconds=5), event="update")
            )
    # Bounded by the work: a batch takes well under a second; 60 s is for a loaded box.
    results = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 60)
    FINISHED.difference_update(ids)
    for index, result in enumerate(results):
        if index in cancelled:
            assert isinstance(result, (asyncio.CancelledError, str)), result
        else:
            assert result == ids[index], result


async def test_batches_of_waits_with_random_cancellation_leave_nothing_behind(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    # The "latest() failed" warnings (a 100-connection pool, 500 waits) would be kept by
    # pytest's log capture and counted as growth.
    caplog.set_level(logging.ERROR, logger="recrubo_async.bus.redis")
    rng = random.Random(50_000)
    worker, web = RedisBus(redis_server.url), RedisBus(redis_server.url)
    admin = aioredis.Redis.from_url(redis_server.url)
    tracemalloc.start()
    try:
        baseline_tasks = len(asyncio.all_tasks())
        baseline_memory = 0
        for batch in range(max(1, WAITS // BATCH)):
            await one_batch(worker, web, batch, rng)
            assert worker.subscription_count == 0
            await assert_views_agree(admin, worker, 20)
            assert not await admin.pubsub_channels("recrubo:events:*")
            assert not worker._fanout.resources()
            # The bus's own listener may stay parked; nothing per wait may remain.
            assert len(asyncio.all_tasks()) <= baseline_tasks + 2
            gc.collect()
            current, _ = tracemalloc.get_traced_memory()
            if batch == 0:
                baseline_memory = current
            else:
                assert current - baseline_memory < SLACK_BYTES, (
                    f"after batch {batch}: {current - baseline_memory} bytes more than after "
                    "the first"
                )
        assert worker.reconnects == 0
    finally:
        tracemalloc.stop()
        await admin.aclose()
        await worker.aclose()
        await web.aclose()
