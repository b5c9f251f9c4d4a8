"""The buses under ``asyncio.eager_task_factory`` (Python 3.12+), which runs a task's
first step inside ``create_task``: a background task must not be assumed to start later.

Found by review: the RedisBus syncer, started eagerly, took the batch future before
``create_task`` returned, and every first ``subscribe()`` raised ``TypeError``.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator

import pytest

from recrubo_async.bus import InMemoryBus, RedisBus, ResourceEvent

from ..support.deliveries import generation
from ..support.redis_server import RedisServer

pytestmark = pytest.mark.skipif(
    sys.version_info < (3, 12), reason="asyncio.eager_task_factory is new in Python 3.12"
)


@pytest.fixture
async def eager() -> AsyncIterator[None]:
    loop = asyncio.get_running_loop()
    previous = loop.get_task_factory()
    loop.set_task_factory(asyncio.eager_task_factory)  # type: ignore[attr-defined,unused-ignore]
    try:
        yield
    finally:
        loop.set_task_factory(previous)


def finished(gid: str) -> ResourceEvent:
    return ResourceEvent.from_resource(generation(gid, "finished", seconds=5), event="update")


@pytest.mark.usefixtures("eager")
async def test_a_redis_bus_subscribes_delivers_and_closes_under_eager_tasks(
    redis_server: RedisServer,
) -> None:
    web, worker = RedisBus(redis_server.url), RedisBus(redis_server.url)
    try:
        subs = await asyncio.wait_for(
            asyncio.gather(*(worker.subscribe("flowGenerations", f"e{i}") for i in range(5))),
            10,
        )
        assert await worker.latest("flowGenerations", "e0") is None
        for i in range(5):
            assert await web.publish(finished(f"e{i}"))
        got = await asyncio.wait_for(asyncio.gather(*(sub.get() for sub in subs)), 10)
        assert [event.id for event in got] == [f"e{i}" for i in range(5)]
        for sub in subs:
            await sub.close()
        assert worker.subscription_count == 0
    finally:
        await web.aclose()
        await worker.aclose()


@pytest.mark.usefixtures("eager")
async def test_an_in_memory_bus_delivers_under_eager_tasks() -> None:
    bus = InMemoryBus()
    async with await bus.subscribe("flowGenerations", "m1") as sub:
        getter = asyncio.create_task(sub.get())
        assert await bus.publish(finished("m1"))
        assert (await asyncio.wait_for(getter, 10)).status == "finished"
    assert await bus.check() >= 0
