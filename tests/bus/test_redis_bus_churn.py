"""Subscribe, publish, get and close in a churn on three resources, from eight tasks.

Each ended wait's UNSUBSCRIBE is gathered and sent later (up to 50 ms), so resources are
subscribed again while their UNSUBSCRIBE waits to be sent, is being sent, or was just
answered. Whatever the interleaving, ``subscribe()`` keeps its promise (every event
published after it returned reaches the subscription), and Redis, redis-py and the bus
end up agreeing on the channels (adapted from a review's stress test).
"""

from __future__ import annotations

import asyncio
import random

import redis.asyncio as aioredis

from recrubo_async.bus import RedisBus, ResourceEvent

from ..support.deliveries import generation
from ..support.redis_server import RedisServer, assert_views_agree

TASKS = 8
ROUNDS = 150


async def churn(
    bus: RedisBus, admin: aioredis.Redis, rng: random.Random, name: str, lost: list[str]
) -> None:
    for n in range(ROUNDS):
        gid = f"c{rng.randrange(3)}"
        sub = await bus.subscribe("flowGenerations", gid)
        marker = f"{name}-{n}"
        event = ResourceEvent.from_resource(generation(gid, marker), event="update")
        # Published directly (no ordering script): every marker is its own state.
        await admin.publish(bus._channel(("flowGenerations", gid)), event.to_json())
        try:
            while (await asyncio.wait_for(sub.get(), 10)).status != marker:
                pass
        except asyncio.TimeoutError:
            lost.append(marker)
        await sub.close()
        pause = rng.random()
        if pause < 0.3:
            await asyncio.sleep(0)
        elif pause < 0.5:
            await asyncio.sleep(rng.random() * 0.06)  # across the gathering's 50 ms


async def test_churn_on_few_resources_loses_no_event_and_leaves_no_channel(
    redis_server: RedisServer,
) -> None:
    bus = RedisBus(redis_server.url)
    admin = aioredis.Redis.from_url(redis_server.url)
    lost: list[str] = []
    try:
        await asyncio.wait_for(
            asyncio.gather(
                *(churn(bus, admin, random.Random(i), f"t{i}", lost) for i in range(TASKS))
            ),
            300,
        )
        assert lost == [], f"{len(lost)} events published after subscribe() never arrived"
        assert bus.subscription_count == 0
        await assert_views_agree(admin, bus, 20)
    finally:
        await bus.aclose()
        await admin.aclose()
