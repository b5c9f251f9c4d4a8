"""``bus.check()``: a round trip for health endpoints, with a clear error when it fails."""

from __future__ import annotations

import asyncio

import pytest

from recrubo_async.bus import BusCheckError, BusClosedError, InMemoryBus, RedisBus

from ..support.redis_server import RedisServer


async def test_a_redis_bus_check_round_trips_through_its_own_prefix(
    redis_server: RedisServer,
) -> None:
    bus = RedisBus(redis_server.url, prefix="myapp:recrubo")
    try:
        first = await bus.check(timeout=10)
        again = await bus.check(timeout=10)
        assert 0 < first < 10 and 0 < again < 10
        assert bus.subscription_count == 0, "the check's subscription is closed"
    finally:
        await bus.aclose()


async def test_a_redis_bus_check_stores_nothing(redis_server: RedisServer) -> None:
    bus = RedisBus(redis_server.url)
    try:
        await bus.check()
        assert await bus._redis.keys("*") == []
    finally:
        await bus.aclose()


async def test_a_redis_bus_check_with_redis_down_raises_a_clear_error(
    redis_server: RedisServer,
) -> None:
    bus = RedisBus(redis_server.url, reconnect_delay=0.05, max_reconnect_delay=0.2)
    try:
        await bus.check()
        redis_server.stop()
        with pytest.raises(BusCheckError, match=r"RedisBus\.check") as caught:
            await bus.check(timeout=5)
        assert "password" not in str(caught.value)
        redis_server.start()
        # Back up: the check passes again once the bus has reconnected (it reconnects
        # with backoff, so give it a generous while on a loaded machine).
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 20
        while True:
            try:
                await bus.check(timeout=5)
                break
            except BusCheckError:
                assert loop.time() < deadline, "the check never passed after Redis came back"
                await asyncio.sleep(0.1)
    finally:
        await bus.aclose()


async def test_a_closed_bus_and_nonsense_timeouts_are_refused(redis_server: RedisServer) -> None:
    bus = RedisBus(redis_server.url)
    with pytest.raises(ValueError, match="timeout"):
        await bus.check(timeout=float("nan"))
    await bus.aclose()
    with pytest.raises(BusClosedError):
        await bus.check()


async def test_the_in_memory_bus_has_the_same_check() -> None:
    bus = InMemoryBus()
    assert 0 <= await bus.check(timeout=5) < 5
    assert bus.subscription_count == 0
    with pytest.raises(ValueError, match="timeout"):
        await bus.check(timeout=-1)
    await bus.aclose()
