"""A delivery's typed model is decoded when something reads it.

A receiver decodes it before the handlers a delivery matches (a 400 when it cannot, as
before); with no handler for it, the state goes to the bus as sent, and the wait that
takes it decodes it and raises ``DecodeError`` there.
"""

from __future__ import annotations

import asyncio
import copy
import pickle
from collections.abc import AsyncIterator

import pytest

from recrubo_async._jsonapi import Codec
from recrubo_async.bus import InMemoryBus
from recrubo_async.errors import DecodeError
from recrubo_async.models import FlowGeneration
from recrubo_async.testing import Emulator
from recrubo_async.waiters import WebhookWaiter
from recrubo_async.webhooks import Claim, InMemoryDedupe, WebhookPayload, WebhookReceiver
from recrubo_async.webhooks._payload import decode_payload

from ..support.deliveries import SECRET, delivery, generation, headers
from ..support.deployment import generation as create_generation
from ..support.deployment import tenant


@pytest.fixture
async def production() -> AsyncIterator[Emulator]:
    """Production mode (jobs answer queued) on a manual clock: nothing finishes unasked."""
    async with Emulator(mode="production", clock="manual") as emu:
        yield emu


#: A resource object the SDK's FlowGeneration model cannot hold: cost is a number.
UNREADABLE = {
    "type": "flowGenerations",
    "id": "g1",
    "attributes": {"status": "finished", "cost": "many", "updatedAt": "2030-01-01T00:00:00Z"},
}


async def test_a_delivery_a_handler_would_read_and_cannot_is_a_400() -> None:
    bus = InMemoryBus()
    receiver = WebhookReceiver(secret=SECRET, bus=bus)
    seen: list[WebhookPayload] = []

    @receiver.on("flowGenerations")
    async def record(payload: WebhookPayload) -> None:
        seen.append(payload)

    sub = await bus.subscribe("flowGenerations", "g1")
    result = await receiver.handle(headers(), delivery(UNREADABLE, payload_id="p1"))
    assert (result.status, result.reason) == (400, "bad payload")
    assert seen == []
    assert await bus.latest("flowGenerations", "g1") is None  # neither published
    assert sub.pending == 0
    # Not claimed either: the same delivery, readable now, is handled.
    fixed = delivery(generation("g1", "finished"), payload_id="p1")
    assert (await receiver.handle(headers(), fixed)).reason == "ok"
    assert [p.id for p in seen] == ["p1"]
    await sub.close()


async def test_without_a_matching_handler_the_state_goes_to_the_bus_as_sent() -> None:
    bus = InMemoryBus()
    receiver = WebhookReceiver(secret=SECRET, bus=bus)
    other: list[WebhookPayload] = []

    @receiver.on("flowRuns")  # another type: it does not read this delivery
    async def record(payload: WebhookPayload) -> None:
        other.append(payload)

    result = await receiver.handle(headers(), delivery(UNREADABLE, payload_id="p1"))
    assert (result.status, result.reason) == (200, "ok")
    assert other == []
    latest = await bus.latest("flowGenerations", "g1")
    assert latest is not None and latest.resource == UNREADABLE and latest.status == "finished"
    # Reading the model is where it fails, naming what is wrong and where.
    assert result.payload is not None
    with pytest.raises(DecodeError, match="cost") as caught:
        result.payload.resource  # noqa: B018
    assert caught.value.path == "$.data.attributes.resource"
    assert "g1" in repr(result.payload)  # a repr neither decodes nor raises


async def test_a_readable_resource_is_decoded_once_when_first_read() -> None:
    receiver = WebhookReceiver(secret=SECRET)
    result = await receiver.handle(headers(), delivery(generation("g1", "finished")))
    assert result.payload is not None
    first = result.payload.resource
    assert isinstance(first, FlowGeneration) and first.status == "finished"
    assert result.payload.resource is first


async def test_a_wait_settled_by_an_unreadable_state_raises_decode_error(
    production: Emulator,
) -> None:
    bus = InMemoryBus()
    receiver = WebhookReceiver(secret=SECRET, bus=bus)
    async with tenant(production) as client:
        gen = await create_generation(client)
        resource = dict(UNREADABLE, id=gen.id)
        wait = asyncio.create_task(
            client.flow_generations.wait(gen, waiter=WebhookWaiter(bus), timeout=30)
        )
        while bus.subscription_count == 0:
            assert not wait.done()
            await asyncio.sleep(0.01)
        result = await receiver.handle(headers(), delivery(resource))
        assert result.reason == "ok"
        with pytest.raises(DecodeError, match="cost"):
            await wait
    assert bus.subscription_count == 0


@pytest.mark.parametrize("read_first", [False, True])
def test_a_payload_pickles_and_copies_with_or_without_its_model(read_first: bool) -> None:
    """A handler may hand the payload to a task queue: it pickles without the codec."""
    payload = decode_payload(delivery(generation("g1", "finished"), payload_id="p1"), Codec())
    if read_first:
        payload.resource  # noqa: B018
    for twin in (pickle.loads(pickle.dumps(payload)), copy.deepcopy(payload), copy.copy(payload)):
        assert twin == payload and twin.id == "p1"
        assert twin.resource == payload.resource
        assert isinstance(twin.resource, FlowGeneration) and twin.resource.status == "finished"


class CountingDedupe(InMemoryDedupe):
    """An in-memory store that counts what it is asked."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = 0

    async def claim(self, key: str, lease: float) -> Claim:
        self.asked += 1
        return await super().claim(key, lease)


async def test_a_delivery_no_handler_matches_is_published_without_a_claim() -> None:
    """Nothing would run twice, so nothing is claimed: a redelivery publishes the same
    state again (no wait can tell) and is answered ok; with a handler it is a duplicate."""
    bus = InMemoryBus()
    store = CountingDedupe()
    receiver = WebhookReceiver(secret=SECRET, bus=bus, dedupe=store)
    ran: list[str] = []

    @receiver.on("flowRuns")
    async def on_run(payload: WebhookPayload) -> None:
        ran.append(payload.id)

    sub = await bus.subscribe("flowGenerations", "g1")
    body = delivery(generation("g1", "finished", seconds=5), payload_id="p1")
    for _ in range(2):
        assert (await receiver.handle(headers(), body)).reason == "ok"
    assert store.asked == 0 and len(store) == 0
    first, again = await sub.get(), await sub.get()
    assert first == again and first.status == "finished"
    run = {"type": "flowRuns", "id": "r1", "attributes": {"status": "running"}}
    run_body = delivery(run, payload_id="p2")
    assert (await receiver.handle(headers(), run_body)).reason == "ok"
    assert (await receiver.handle(headers(), run_body)).reason == "duplicate"
    assert ran == ["p2"] and store.asked == 2
    await sub.close()
