"""``InMemoryBus`` keeps each resource's latest state as JSON, out of the cyclic GC's
way, and gives back the same state from ``latest()``."""

from __future__ import annotations

import gc
from datetime import datetime, timezone
from typing import Any

import orjson

from recrubo_async.bus import InMemoryBus, ResourceEvent

from ..support.deliveries import generation


def flow_generation(gid: str, seconds: int) -> dict[str, Any]:
    """A resource as the receiver hands it over: parsed from a delivery's JSON."""
    resource = generation(gid, "finished", seconds=seconds)
    resource["attributes"]["parameters"] = {
        "language": "nl",
        "knockoutRequirements": [{"value": "License B", "sessionField": "license"}],
    }
    resource["links"] = {"self": f"https://api.example/flow-generations/{gid}"}
    parsed: dict[str, Any] = orjson.loads(orjson.dumps(resource))
    return parsed


async def test_latest_gives_back_the_published_state() -> None:
    bus = InMemoryBus()
    event = ResourceEvent.from_resource(flow_generation("g1", 0), event="update")
    assert await bus.publish(event) is True
    latest = await bus.latest("flowGenerations", "g1")
    assert latest == event
    assert latest is not None and latest.resource == event.resource
    assert (latest.status, latest.updated_at) == ("finished", event.updated_at)


async def test_latest_keeps_what_the_event_said_not_what_its_resource_says() -> None:
    """An event made by hand may carry a status or time its resource does not."""
    bus = InMemoryBus()
    when = datetime(2026, 3, 1, tzinfo=timezone.utc)
    event = ResourceEvent(
        type="flowGenerations",
        id="g2",
        event="delete",
        resource={"type": "flowGenerations", "id": "g2"},
        status="gone",
        updated_at=when,
    )
    await bus.publish(event)
    assert await bus.latest("flowGenerations", "g2") == event


async def test_a_resource_that_is_not_plain_json_is_kept_as_it_is() -> None:
    bus = InMemoryBus()
    resource = {
        "type": "flowGenerations",
        "id": "g3",
        "attributes": {"updatedAt": datetime(2026, 3, 1, tzinfo=timezone.utc)},
    }
    event = ResourceEvent(type="flowGenerations", id="g3", event="update", resource=resource)
    await bus.publish(event)
    assert await bus.latest("flowGenerations", "g3") is event
    newer = ResourceEvent.from_resource(flow_generation("g3", 5), event="update")
    assert await bus.publish(newer) is True  # ordered against the kept event as before
    assert await bus.latest("flowGenerations", "g3") == newer


async def test_thousands_of_latest_states_add_nothing_for_the_cyclic_gc_to_walk() -> None:
    """A parsed FlowGeneration is a dozen containers; 100,000 of them kept for an hour made
    every full collection walk millions of objects (benchmarks/findings.md)."""
    bus = InMemoryBus()
    events = [
        ResourceEvent.from_resource(flow_generation(f"g{n}", n), event="update")
        for n in range(2000)
    ]
    gc.collect()
    before = len(gc.get_objects())
    for event in events:
        await bus.publish(event)
    del events, event
    gc.collect()
    assert len(gc.get_objects()) - before < 2000 * 0.1
    latest = await bus.latest("flowGenerations", "g1999")
    assert latest is not None and latest.resource == flow_generation("g1999", 1999)
