"""``InMemoryBus`` skips its fan-out lookups while nobody in the process waits, and
delivers to every subscription as soon as one is open again (its count kept exact by
subscribe, close and ``aclose``)."""

from __future__ import annotations

from recrubo_async.bus import InMemoryBus, ResourceEvent

from ..support.deliveries import generation


def update(gid: str, status: str, seconds: int) -> ResourceEvent:
    return ResourceEvent.from_resource(generation(gid, status, seconds=seconds), event="update")


async def test_subscriptions_opened_after_quiet_publishes_get_every_later_event() -> None:
    bus = InMemoryBus()
    assert bus.publish_now(update("g1", "queued", 1)) is True  # nobody waits
    async with await bus.subscribe("flowGenerations", "g1") as first:
        assert bus.subscription_count == 1
        await bus.publish(update("g1", "processing", 2))
        assert (await first.get()).status == "processing"
    assert bus.subscription_count == 0
    bus.publish_now(update("g1", "processing", 3))  # quiet again
    second = await bus.subscribe("flowGenerations", "g1")
    third = await bus.subscribe("flowGenerations", "g1")
    bus.publish_now(update("g1", "finished", 4))
    assert [(await s.get()).status for s in (second, third)] == ["finished", "finished"]
    await second.close()
    bus.publish_now(update("g1", "finished", 5))
    assert third.pending == 1 and second.pending == 0
    await third.close()
    assert bus.subscription_count == 0


async def test_after_aclose_a_new_subscription_is_delivered_to() -> None:
    bus = InMemoryBus()
    await bus.subscribe("flowGenerations", "g1")
    await bus.aclose()
    assert bus.subscription_count == 0
    async with await bus.subscribe("flowGenerations", "g2") as sub:
        bus.publish_now(update("g2", "finished", 1))
        assert (await sub.get()).status == "finished"
