"""One ordering rule (an older ``updatedAt`` never overwrites a newer state; a delete is
final), held to its table of cases wherever a newest state is kept in this process."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pytest

from recrubo_async._ordering import CASES, Case, is_stale
from recrubo_async.bus import InMemoryBus, ResourceEvent
from recrubo_async.webhooks import WebhookReceiver

from ..support.deliveries import SECRET, delivery, headers


def resource(gid: str, updated_at: datetime | None) -> dict[str, Any]:
    attributes: dict[str, Any] = {"status": "processing", "flowType": "x"}
    if updated_at is not None:
        attributes["updatedAt"] = updated_at.isoformat()
    return {"type": "flowGenerations", "id": gid, "attributes": attributes}


def held_and_new(case: Case, gid: str = "g1") -> tuple[ResourceEvent, ResourceEvent]:
    held = ResourceEvent.from_resource(resource(gid, case.held_updated_at), event=case.held_kind)
    new = ResourceEvent.from_resource(resource(gid, case.updated_at), event=case.kind)
    return held, new


def case_id(case: Case) -> str:
    def when(value: datetime | None) -> str:
        return "none" if value is None else f"{value.microsecond}us"

    return (
        f"{case.kind}@{when(case.updated_at)}-after-{case.held_kind}@{when(case.held_updated_at)}"
    )


cases = pytest.mark.parametrize("case", CASES, ids=case_id)


@cases
def test_the_rule_is_its_table(case: Case) -> None:
    stale = is_stale(case.kind, case.updated_at, case.held_kind, case.held_updated_at)
    assert stale is case.stale


@cases
def test_a_resource_event_is_older_exactly_when_the_table_says(case: Case) -> None:
    held, new = held_and_new(case)
    assert new.is_older_than(held) is case.stale


@cases
async def test_the_in_memory_bus_keeps_the_newest_state_by_the_table(case: Case) -> None:
    bus = InMemoryBus()
    held, new = held_and_new(case)
    assert await bus.publish(held) is True
    assert await bus.publish(new) is (not case.stale)
    assert await bus.latest("flowGenerations", "g1") == (held if case.stale else new)


@cases
@pytest.mark.parametrize("with_bus", [True, False], ids=["in-memory-bus", "no-bus"])
async def test_the_receiver_drops_an_update_the_table_calls_stale(
    case: Case, with_bus: bool
) -> None:
    """Only updates are dropped: a create or delete is an event of its own and is
    dispatched whatever it follows. With an ``InMemoryBus`` the bus holds the newest state
    (the receiver keeps no second record); with no bus, the receiver's own record does."""
    bus = InMemoryBus() if with_bus else None
    receiver = WebhookReceiver(secret=SECRET, bus=bus)
    first = delivery(resource("g1", case.held_updated_at), event=case.held_kind)
    assert (await receiver.handle(headers(), first)).reason == "ok"
    second = delivery(resource("g1", case.updated_at), event=case.kind)
    result = await receiver.handle(headers(), second)
    dropped = case.stale and case.kind == "update"
    assert result.reason == ("stale" if dropped else "ok")
    newest = (case.held_kind, case.held_updated_at) if case.stale else (case.kind, case.updated_at)
    if bus is not None:
        assert receiver._newest is None
        latest = await bus.latest("flowGenerations", "g1")
        assert latest is not None and (latest.event, latest.updated_at) == newest
    else:
        # What the receiver keeps per resource is what the rule reads, never the whole
        # event.
        assert receiver._newest is not None
        assert receiver._newest.get(("flowGenerations", "g1")) == newest


@cases
async def test_publish_now_answers_keeps_and_delivers_what_publish_does(case: Case) -> None:
    """``InMemoryBus.publish_now`` (the receiver's way in, without a coroutine) is
    ``publish``: the same answers, the same remembered state, the same deliveries."""
    plain, direct = InMemoryBus(), InMemoryBus()
    held, new = held_and_new(case)
    async with (
        await plain.subscribe("flowGenerations", "g1") as plain_sub,
        await direct.subscribe("flowGenerations", "g1") as direct_sub,
    ):
        assert await plain.publish(held) is direct.publish_now(held) is True
        assert await plain.publish(new) is direct.publish_now(new) is (not case.stale)
        assert await plain.latest("flowGenerations", "g1") == await direct.latest(
            "flowGenerations", "g1"
        )
        assert plain_sub.pending == direct_sub.pending == (1 if case.stale else 2)
        while plain_sub.pending:
            assert await plain_sub.get() == await direct_sub.get()


@cases
async def test_the_in_memory_bus_orders_by_a_state_past_its_latest_ttl(case: Case) -> None:
    """``latest_ttl`` bounds what ``latest()`` gives back, not the ordering: Recrubo retries
    a delivery for about 24 hours, longer than the default hour. Reading the expired state
    with ``latest()`` does not make the bus forget it either."""
    ttl = 0.05
    bus = InMemoryBus(latest_ttl=ttl)
    held, new = held_and_new(case)
    assert bus.publish_now(held) is True
    await asyncio.sleep(ttl * 3)
    assert await bus.latest("flowGenerations", "g1") is None  # not given back
    assert await bus.publish(new) is (not case.stale)
    if case.stale:
        assert await bus.latest("flowGenerations", "g1") is None
    else:
        assert await bus.latest("flowGenerations", "g1") == new  # a fresh state, given back
