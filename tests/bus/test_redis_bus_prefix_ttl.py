"""RedisBus prefixes of any characters deliver, and every duration it takes is validated."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

import pytest
import redis.asyncio as aioredis

from recrubo_async.bus import InMemoryBus, RedisBus, ResourceEvent
from recrubo_async.webhooks import InMemoryDedupe, RedisDedupe

from ..support.deliveries import generation
from ..support.redis_server import RedisServer

PREFIXES = ["myapp:recrubo", "a*b", "{tenant}", "x?[y]", "a:events:b", "ünï:*:{}"]


def finished(gid: str) -> ResourceEvent:
    return ResourceEvent.from_resource(generation(gid, "finished", seconds=5), event="update")


@pytest.mark.parametrize("prefix", PREFIXES)
async def test_an_event_reaches_its_waiter_whatever_the_prefix_holds(
    redis_server: RedisServer, prefix: str
) -> None:
    web, worker = (
        RedisBus(redis_server.url, prefix=prefix),
        RedisBus(redis_server.url, prefix=prefix),
    )
    try:
        sub = await worker.subscribe("flowGenerations", "g:1")  # an id with ":" too
        assert await web.publish(finished("g:1")) is True
        got = await asyncio.wait_for(sub.get(), 10)
        assert got.key == ("flowGenerations", "g:1")
        assert got.status == "finished"
        await sub.close()
    finally:
        await web.aclose()
        await worker.aclose()


async def test_another_prefix_never_delivers(redis_server: RedisServer) -> None:
    """A prefix that is a prefix of another ("app" and "app:x") sees none of its events."""
    short, long = (
        RedisBus(redis_server.url, prefix="app"),
        RedisBus(redis_server.url, prefix="app:x"),
    )
    try:
        sub = await short.subscribe("flowGenerations", "g1")
        await long.publish(finished("g1"))
        await asyncio.sleep(0.2)
        assert sub.pending == 0
        assert await short.latest("flowGenerations", "g1") is None
        await sub.close()
    finally:
        await short.aclose()
        await long.aclose()


@pytest.mark.parametrize(
    ("ttl", "seconds"),
    [
        (3600, 3600),
        (3600.0, 3600),
        (timedelta(hours=1).total_seconds(), 3600),
        (timedelta(minutes=90), 5400),
    ],
)
async def test_latest_ttl_accepts_int_float_and_timedelta(
    redis_server: RedisServer, ttl: float | timedelta, seconds: float
) -> None:
    bus = RedisBus(redis_server.url, latest_ttl=ttl)
    client = aioredis.Redis.from_url(redis_server.url)
    try:
        assert await bus.publish(finished("g1")) is True
        pttl = await client.pttl("recrubo:latest:flowGenerations:g1")
        assert (seconds - 60) * 1000 < pttl <= seconds * 1000
    finally:
        await client.aclose()
        await bus.aclose()


BAD_DURATIONS = [float("nan"), float("inf"), -1, 0, -0.5, True, "60", None]


@pytest.mark.parametrize("value", BAD_DURATIONS, ids=repr)
def test_nonsense_durations_are_refused_at_construction(value: object) -> None:
    makers: dict[str, Callable[[], object]] = {
        "latest_ttl": lambda: RedisBus("redis://127.0.0.1:1/0", latest_ttl=value),  # type: ignore[arg-type]
        "reconnect_delay": lambda: RedisBus("redis://127.0.0.1:1/0", reconnect_delay=value),  # type: ignore[arg-type]
        "max_reconnect_delay": lambda: RedisBus(
            "redis://127.0.0.1:1/0",
            max_reconnect_delay=value,  # type: ignore[arg-type]
        ),
        "InMemoryBus(latest_ttl": lambda: InMemoryBus(latest_ttl=value),  # type: ignore[arg-type]
        "InMemoryDedupe(ttl": lambda: InMemoryDedupe(ttl=value),  # type: ignore[arg-type]
        "RedisDedupe(ttl": lambda: RedisDedupe("redis://127.0.0.1:1/0", ttl=value),  # type: ignore[arg-type]
    }
    for name, make in makers.items():
        with pytest.raises((ValueError, TypeError), match=name.replace("(", r"\(")):
            make()


def test_max_reconnect_delay_below_reconnect_delay_is_refused() -> None:
    with pytest.raises(ValueError, match="max_reconnect_delay"):
        RedisBus("redis://127.0.0.1:1/0", reconnect_delay=2, max_reconnect_delay=1)


def test_an_empty_prefix_is_refused() -> None:
    with pytest.raises(ValueError, match="prefix"):
        RedisBus("redis://127.0.0.1:1/0", prefix="")


async def test_in_memory_durations_accept_timedelta() -> None:
    bus = InMemoryBus(latest_ttl=timedelta(seconds=30))
    assert await bus.publish(finished("g1")) is True
    assert await bus.latest("flowGenerations", "g1") is not None
    # A sub-millisecond TTL is sent as 1 ms (rounded up), never as 0, which Redis refuses.
    assert RedisBus("redis://127.0.0.1:1/0", latest_ttl=0.0004)._ttl_ms == "1"
    store = InMemoryDedupe(ttl=timedelta(hours=1))
    assert await store.claim("p1", 10) == "claimed"
    await bus.aclose()
