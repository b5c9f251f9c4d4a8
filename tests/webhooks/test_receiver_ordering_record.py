"""Who keeps a receiver's newest state per resource: the ``InMemoryBus`` it publishes to
(which applies the same rule to the same key before ``publish`` returns), or, with no
bus, a ``RedisBus`` or any other bus, the receiver's own record. Whichever it is, the
ordering behaviours are the same: a stale update is answered ``stale`` and not dispatched,
a create or delete is dispatched whatever it follows, and an older delivery arriving
while a newer one's handlers run is stale."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import redis.asyncio as aioredis

from recrubo_async.bus import CompletionBus, InMemoryBus, RedisBus, ResourceEvent
from recrubo_async.bus._local import LocalSubscription
from recrubo_async.webhooks import WebhookPayload, WebhookReceiver

from ..support.deliveries import SECRET, delivery, generation, headers
from ..support.redis_server import RedisServer


class SuspendingBus(InMemoryBus):
    """An ``InMemoryBus`` whose publish suspends before deciding, as a remote bus would."""

    async def publish(self, event: ResourceEvent) -> bool:
        await asyncio.sleep(0)
        return await super().publish(event)


class UnorderedBus:
    """A bus that does not order: its publish answers None ("accepted"), always."""

    def __init__(self) -> None:
        self.inner = InMemoryBus()
        self.published: list[ResourceEvent] = []

    async def publish(self, event: ResourceEvent) -> None:
        self.published.append(event)

    async def subscribe(self, type: str, id: str) -> LocalSubscription:
        return await self.inner.subscribe(type, id)

    async def latest(self, type: str, id: str) -> ResourceEvent | None:
        return None

    async def aclose(self) -> None:
        await self.inner.aclose()


BusFactory = Callable[[], CompletionBus | None]

KINDS: dict[str, BusFactory] = {
    "no bus": lambda: None,
    "InMemoryBus": InMemoryBus,
    "a subclass that suspends": SuspendingBus,
    "a bus that does not order": UnorderedBus,
}


@pytest.fixture(params=[*KINDS, "RedisBus"])
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[CompletionBus | None]:
    kind: str = request.param
    if kind == "RedisBus":
        server: RedisServer = request.getfixturevalue("redis_server")
        made: CompletionBus | None = RedisBus(server.url)
    else:
        made = KINDS[kind]()
    try:
        yield made
    finally:
        if made is not None:
            await made.aclose()


def receiver_recording(bus: CompletionBus | None) -> tuple[WebhookReceiver, list[str]]:
    receiver = WebhookReceiver(secret=SECRET, bus=bus)
    dispatched: list[str] = []

    @receiver.on()
    async def record(payload: WebhookPayload) -> None:
        dispatched.append(f"{payload.event.value}:{payload.raw_resource['attributes']['status']}")

    return receiver, dispatched


async def test_a_stale_update_is_answered_stale_and_not_dispatched(
    bus: CompletionBus | None,
) -> None:
    receiver, dispatched = receiver_recording(bus)
    newer = delivery(generation("g1", "finished", seconds=10))
    older = delivery(generation("g1", "processing", seconds=5))
    assert (await receiver.handle(headers(), newer)).reason == "ok"
    result = await receiver.handle(headers(), older)
    assert (result.status, result.reason) == (200, "stale")
    assert dispatched == ["update:finished"]


@pytest.mark.parametrize("event", ["create", "delete"])
async def test_a_create_or_delete_is_dispatched_whatever_it_follows(
    bus: CompletionBus | None, event: str
) -> None:
    receiver, dispatched = receiver_recording(bus)
    newer = delivery(generation("g1", "finished", seconds=10))
    older = delivery(generation("g1", "queued", seconds=5), event=event)
    assert (await receiver.handle(headers(), newer)).reason == "ok"
    assert (await receiver.handle(headers(), older)).reason == "ok"
    assert dispatched == ["update:finished", f"{event}:queued"]


async def test_an_older_update_arriving_while_a_newer_ones_handlers_run_is_stale(
    bus: CompletionBus | None,
) -> None:
    receiver = WebhookReceiver(secret=SECRET, bus=bus)
    started: list[str] = []
    running, release = asyncio.Event(), asyncio.Event()

    @receiver.on()
    async def slow(payload: WebhookPayload) -> None:
        started.append(str(payload.raw_resource["attributes"]["status"]))
        running.set()
        await release.wait()

    newer = asyncio.create_task(
        receiver.handle(headers(), delivery(generation("g1", "finished", seconds=10)))
    )
    await running.wait()
    older = await receiver.handle(headers(), delivery(generation("g1", "processing", seconds=5)))
    release.set()
    assert (await newer).reason == "ok"
    assert older.reason == "stale"
    assert started == ["finished"]


async def test_with_an_in_memory_bus_the_bus_is_the_record_and_its_bounds_hold() -> None:
    """The receiver keeps no second record: a resource the bus has forgotten (past its
    ``max_latest``) is ordered afresh, as the docstring of ``track_resources`` says."""
    bus = InMemoryBus(max_latest=1)
    receiver, dispatched = receiver_recording(bus)
    await receiver.handle(headers(), delivery(generation("g1", "finished", seconds=10)))
    await receiver.handle(headers(), delivery(generation("g2", "finished", seconds=10)))
    late = await receiver.handle(headers(), delivery(generation("g1", "processing", seconds=5)))
    assert late.reason == "ok"
    assert dispatched == ["update:finished", "update:finished", "update:processing"]
    latest = await bus.latest("flowGenerations", "g1")
    assert latest is not None and latest.status == "processing"


async def test_with_a_redis_bus_the_receiver_keeps_its_own_record(
    redis_server: RedisServer,
) -> None:
    """A known-stale update is refused here, before any Redis round trip: even when Redis
    has lost the newer state, the receiver still answers ``stale``."""
    bus = RedisBus(redis_server.url)
    try:
        receiver, dispatched = receiver_recording(bus)
        await receiver.handle(headers(), delivery(generation("g1", "finished", seconds=10)))
        admin = aioredis.Redis.from_url(redis_server.url)
        try:
            await admin.flushall()  # Redis forgets the newer state
        finally:
            await admin.aclose()
        late = await receiver.handle(headers(), delivery(generation("g1", "processing", seconds=5)))
        assert late.reason == "stale"
        assert dispatched == ["update:finished"]
        assert await bus.latest("flowGenerations", "g1") is None  # never published
    finally:
        await bus.aclose()


@pytest.mark.parametrize("kind", ["a subclass that suspends", "a bus that does not order"])
async def test_with_any_other_bus_the_receiver_keeps_its_own_record(kind: str) -> None:
    made: Any = KINDS[kind]()
    receiver, dispatched = receiver_recording(made)
    await receiver.handle(headers(), delivery(generation("g1", "finished", seconds=10)))
    if isinstance(made, InMemoryBus):
        await made.aclose()  # the bus forgets: only the receiver's record remains
    late = await receiver.handle(headers(), delivery(generation("g1", "processing", seconds=5)))
    assert late.reason == "stale"
    assert dispatched == ["update:finished"]


@pytest.mark.parametrize("track_resources", [0, -1, True, 2.5])
def test_track_resources_is_validated(track_resources: int) -> None:
    # 0 used to switch ordering off without a word: every state was forgotten at once.
    with pytest.raises(ValueError, match=r"track_resources=\.\.\.\) must be 1 or more"):
        WebhookReceiver(secret=SECRET, track_resources=track_resources)
    with pytest.raises(ValueError, match="track_resources="):
        WebhookReceiver(secret=SECRET, bus=InMemoryBus(), track_resources=track_resources)
