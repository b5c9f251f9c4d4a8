"""RedisBus against a real redis-server: fan-out, latest state, ordering, reconnection."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from recrubo_async.bus import BusClosedError, RedisBus, ResourceEvent

from ..support.deliveries import generation
from ..support.redis_server import RedisServer


def event(gid: str, status: str, seconds: int = 0, kind: str = "update") -> ResourceEvent:
    return ResourceEvent.from_resource(generation(gid, status, seconds=seconds), event=kind)


async def until_unsubscribed(client: aioredis.Redis, channels: str, what: str) -> None:
    """Wait (10 s at most) until Redis has no subscriber on ``channels`` (a PUBSUB
    CHANNELS pattern): the bus sends its UNSUBSCRIBEs in the background."""
    deadline = asyncio.get_running_loop().time() + 10
    while await client.pubsub_channels(channels):
        assert asyncio.get_running_loop().time() < deadline, what
        await asyncio.sleep(0.01)


@pytest.fixture
async def buses(redis_server: RedisServer) -> AsyncIterator[tuple[RedisBus, RedisBus]]:
    """Two buses, as a web replica and a worker process would each have."""
    web, worker = RedisBus(redis_server.url), RedisBus(redis_server.url, reconnect_delay=0.05)
    try:
        yield web, worker
    finally:
        await web.aclose()
        await worker.aclose()


async def test_an_event_published_by_one_bus_reaches_a_subscriber_of_another(
    buses: tuple[RedisBus, RedisBus],
) -> None:
    web, worker = buses
    sub = await worker.subscribe("flowGenerations", "g1")
    other = await worker.subscribe("flowGenerations", "g2")
    await asyncio.sleep(0.05)
    await web.publish(event("g1", "finished"))
    got = await asyncio.wait_for(sub.get(), 5)
    assert got == event("g1", "finished")
    assert other.pending == 0
    await sub.close()
    await other.close()
    assert worker.subscription_count == 0


async def test_latest_state_is_kept_with_a_ttl(
    buses: tuple[RedisBus, RedisBus], redis_server: RedisServer
) -> None:
    web, worker = buses
    assert await worker.latest("flowGenerations", "g1") is None
    await web.publish(event("g1", "processing", 1))
    assert await worker.latest("flowGenerations", "g1") == event("g1", "processing", 1)
    client = aioredis.Redis.from_url(redis_server.url)
    try:
        ttl = await client.ttl("recrubo:latest:flowGenerations:g1")
    finally:
        await client.aclose()
    assert 0 < ttl <= 3600


async def test_an_older_state_never_replaces_a_newer_one(
    buses: tuple[RedisBus, RedisBus],
) -> None:
    web, worker = buses
    sub = await worker.subscribe("flowGenerations", "g1")
    await asyncio.sleep(0.05)
    await web.publish(event("g1", "finished", 10))
    await web.publish(event("g1", "processing", 5))
    await web.publish(event("g1", "finished", 10, kind="delete"))
    await web.publish(event("g1", "finished", 99))
    assert (await asyncio.wait_for(sub.get(), 5)).status == "finished"
    assert (await asyncio.wait_for(sub.get(), 5)).event == "delete"
    await asyncio.sleep(0.1)
    assert sub.pending == 0
    latest = await worker.latest("flowGenerations", "g1")
    assert latest is not None and latest.event == "delete"
    await sub.close()


async def test_many_subscriptions_share_one_pubsub_connection(
    buses: tuple[RedisBus, RedisBus], redis_server: RedisServer
) -> None:
    _, worker = buses
    subs = [await worker.subscribe("flowGenerations", f"g{i}") for i in range(50)]
    client = aioredis.Redis.from_url(redis_server.url)
    try:
        listing = await client.client_list(_type="pubsub")
        assert len(listing) == 1
        counts = await client.pubsub_numsub("recrubo:events:flowGenerations:g7")
        assert counts[0][1] == 1
        for sub in subs:
            await sub.close()
        await until_unsubscribed(
            client, "recrubo:events:flowGenerations:g7", "still subscribed after 10 s"
        )
    finally:
        await client.aclose()


async def test_closing_a_subscription_returns_without_waiting_for_redis(
    buses: tuple[RedisBus, RedisBus], redis_server: RedisServer
) -> None:
    """A wait closes its subscription before it returns its result: that close must not
    wait for the UNSUBSCRIBE to be written (a task and three loop iterations on every
    wait's critical path). It completes in one step; Redis is told right after."""
    _, worker = buses
    sub = await worker.subscribe("flowGenerations", "g1")
    closing = sub.close()
    with pytest.raises(StopIteration):
        closing.send(None)  # finished in its first step: it never suspended
    assert worker.subscription_count == 0
    client = aioredis.Redis.from_url(redis_server.url)
    try:
        await until_unsubscribed(
            client, "recrubo:events:flowGenerations:g1", "UNSUBSCRIBE never sent"
        )
        # And the resource can be subscribed again at once.
        again = await worker.subscribe("flowGenerations", "g1")
        assert (await client.pubsub_numsub("recrubo:events:flowGenerations:g1"))[0][1] == 1
        await again.close()
    finally:
        await client.aclose()


async def test_waits_ending_one_after_another_share_one_unsubscribe(
    buses: tuple[RedisBus, RedisBus], redis_server: RedisServer
) -> None:
    """Waits that end in quick succession (one per loop iteration, as events for them
    arrive) are unsubscribed together: a command (and a syncer run, and redis-py's
    per-command work) per ended wait cost the worker about a third of its CPU per event
    (benchmarks/findings.md, session 8). Redis still ends up with none of them."""
    _, worker = buses
    subs = [await worker.subscribe("flowGenerations", f"u{i}") for i in range(20)]
    client = aioredis.Redis.from_url(redis_server.url)
    try:

        async def unsubscribe_commands() -> int:
            stats = await client.info("commandstats")
            return int(stats.get("cmdstat_unsubscribe", {}).get("calls", 0))

        before = await unsubscribe_commands()
        for sub in subs:
            await sub.close()
            await asyncio.sleep(0)  # the next one ends in a later iteration
        await until_unsubscribed(
            client, "recrubo:events:flowGenerations:u*", "still subscribed after 10 s"
        )
        # One command, give or take a stall of the loop on a busy machine; 8 of them
        # without the gathering (one per syncer run, each taking what ended meanwhile).
        assert await unsubscribe_commands() - before < 4
    finally:
        await client.aclose()


async def test_malformed_messages_are_logged_and_ignored(
    buses: tuple[RedisBus, RedisBus], redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    web, worker = buses
    sub = await worker.subscribe("flowGenerations", "g1")
    await asyncio.sleep(0.05)
    client = aioredis.Redis.from_url(redis_server.url)
    try:
        await client.publish("recrubo:events:flowGenerations:g1", b"{not json")
        await client.publish("recrubo:events:flowGenerations:g1", event("g2", "finished").to_json())
    finally:
        await client.aclose()
    await web.publish(event("g1", "finished"))
    assert (await asyncio.wait_for(sub.get(), 5)).id == "g1"
    messages = [r.getMessage() for r in caplog.records]
    assert any("malformed" in m for m in messages)
    assert any("does not match" in m for m in messages)
    await sub.close()


async def test_subscriptions_survive_a_redis_restart_and_nothing_is_lost(
    buses: tuple[RedisBus, RedisBus], redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="recrubo_async.bus.redis")
    web, worker = buses
    sub = await worker.subscribe("flowGenerations", "g1")
    await asyncio.sleep(0.05)
    redis_server.stop()
    with pytest.raises(Exception):  # noqa: B017, PT011 - whatever redis-py raises when down
        await web.publish(event("g1", "processing", 1))
    assert await worker.latest("flowGenerations", "g1") is None
    late = await worker.subscribe("flowGenerations", "g2")  # made while Redis is down
    redis_server.start()
    # Published while the worker may not have resubscribed yet: the re-check finds it.
    for _ in range(100):
        try:
            await web.publish(event("g1", "finished", 2))
            break
        except Exception:
            await asyncio.sleep(0.05)
    got = await asyncio.wait_for(sub.get(), 10)
    assert got.status == "finished"
    await web.publish(event("g2", "finished", 3))
    assert (await asyncio.wait_for(late.get(), 10)).id == "g2"
    assert worker.reconnects >= 1
    assert any("reconnect" in r.getMessage() for r in caplog.records)
    await sub.close()
    await late.close()


async def test_closing_the_bus_ends_waiting_subscriptions(redis_server: RedisServer) -> None:
    bus = RedisBus(redis_server.url)
    sub = await bus.subscribe("flowGenerations", "g1")
    waiter = asyncio.create_task(sub.get())
    await asyncio.sleep(0.05)
    await bus.aclose()
    with pytest.raises(BusClosedError):
        await waiter
    with pytest.raises(RuntimeError, match="closed"):
        await bus.subscribe("flowGenerations", "g1")


async def test_a_borrowed_client_is_not_closed(redis_server: RedisServer) -> None:
    client = aioredis.Redis.from_url(redis_server.url)
    bus = RedisBus(client=client, prefix="other")
    await bus.publish(event("g1", "queued"))
    await bus.aclose()
    assert await client.get("other:latest:flowGenerations:g1") is not None
    await client.aclose()


def test_exactly_one_of_url_or_client() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        RedisBus()


async def test_a_subscribe_cancelled_midway_leaves_the_resource_working(
    buses: tuple[RedisBus, RedisBus],
) -> None:
    web, worker = buses
    async with worker._lock:  # hold the subscribe at its await, as a slow Redis would
        pending = asyncio.create_task(worker.subscribe("flowGenerations", "g1"))
        await asyncio.sleep(0.02)
        pending.cancel()
        with pytest.raises(asyncio.CancelledError):
            await pending
    assert worker.subscription_count == 0
    sub = await worker.subscribe("flowGenerations", "g1")
    await asyncio.sleep(0.05)
    await web.publish(event("g1", "finished"))
    assert (await asyncio.wait_for(sub.get(), 5)).status == "finished"
    await sub.close()
