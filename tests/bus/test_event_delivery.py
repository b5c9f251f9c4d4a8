"""A state that came in a webhook delivery travels as the delivery's own bytes.

``ResourceEvent.delivery`` (set by the receiver) lets ``InMemoryBus`` keep, and
``RedisBus`` send, the body as received instead of serializing the resource again; what
comes back out (``latest()``, ``from_json``) is the same event either way.
"""

from __future__ import annotations

import gc

import orjson
import pytest

from recrubo_async.bus import InMemoryBus, ResourceEvent
from recrubo_async.bus._memory import _hold
from recrubo_async.webhooks import WebhookReceiver

from ..support.deliveries import SECRET, delivery, generation, headers

VACANCY = "Chauffeur gezocht in Amsterdam — “Rijbewijs B”, 25 vakantiedagen. 🚚\n" * 20


def resource(gid: str, seconds: int = 0) -> dict[str, object]:
    made = generation(gid, "finished", seconds=seconds)
    made["attributes"]["context"] = {"type": "text", "value": VACANCY}
    return made


def bodies(gid: str) -> list[bytes]:
    """The same delivery as senders may format it: compact, indented, padded."""
    compact = delivery(resource(gid))
    document = orjson.loads(compact)
    return [
        compact,
        orjson.dumps(document, option=orjson.OPT_INDENT_2),
        b" \r\n\t" + compact + b"\n ",
    ]


@pytest.mark.parametrize("shape", ["compact", "indented", "padded"])
async def test_the_delivery_form_reads_back_as_the_event(shape: str) -> None:
    body = bodies("g1")[["compact", "indented", "padded"].index(shape)]
    bus = InMemoryBus()
    receiver = WebhookReceiver(secret=SECRET, bus=bus)
    sub = await bus.subscribe("flowGenerations", "g1")
    assert (await receiver.handle(headers(), body)).reason == "ok"
    sent = await sub.get()
    assert sent.delivery == body  # the bytes as received, not a copy made from them
    plain = ResourceEvent.from_resource(resource("g1"), event="update")
    assert sent == plain and sent.resource == plain.resource
    # Between processes: the same event, and the head the Redis script orders by.
    wire = sent.to_json()
    assert wire.startswith(plain.to_json()[: wire.index(b',"type"')])
    assert orjson.loads(wire)["delivery"] == orjson.loads(body)
    back = ResourceEvent.from_json(wire)
    assert back == plain and back.resource == plain.resource and back.delivery is None
    # Kept in memory: the body itself, read back as the same state.
    latest = await bus.latest("flowGenerations", "g1")
    assert latest == plain and latest is not None and latest.resource == plain.resource
    held = _hold(sent)
    assert isinstance(held, tuple) and held[3] is body
    await sub.close()


async def test_ordering_holds_across_both_forms() -> None:
    bus = InMemoryBus()
    receiver = WebhookReceiver(secret=SECRET, bus=bus)
    assert (await receiver.handle(headers(), delivery(resource("g1", 10)))).reason == "ok"
    older = ResourceEvent.from_resource(resource("g1", 5), event="update")
    assert await bus.publish(older) is False
    newer = ResourceEvent.from_resource(resource("g1", 20), event="update")
    assert await bus.publish(newer) is True
    late = delivery(resource("g1", 15))
    assert (await receiver.handle(headers(), late)).reason == "stale"
    assert await bus.latest("flowGenerations", "g1") == newer


@pytest.mark.parametrize(
    "delivered",
    [
        b"null",
        b'{"data": 1}',
        b'{"data": {"attributes": {"resource": "g1"}}}',
        b'{"data": {"attributes": {"resource": {"type": "flowGenerations"}}}}',
    ],
)
def test_a_message_whose_delivery_has_no_resource_is_refused(delivered: bytes) -> None:
    wire = b'{"event":"update","ts":null,"type":"flowGenerations","id":"g1","delivery":'
    with pytest.raises(ValueError, match="not a resource event"):
        ResourceEvent.from_json(wire + delivered + b"}")


async def test_states_kept_as_deliveries_add_nothing_for_the_cyclic_gc_to_walk() -> None:
    bus = InMemoryBus()
    receiver = WebhookReceiver(secret=SECRET, bus=bus)
    gc.collect()
    before = len(gc.get_objects())
    for n in range(2000):
        assert (await receiver.handle(headers(), delivery(resource(f"g{n}")))).reason == "ok"
    gc.collect()
    # The receiver's own records are atomic too: a few objects per delivery at most.
    assert len(gc.get_objects()) - before < 2000 * 0.1


async def test_a_hand_made_event_whose_delivery_holds_no_resource_is_not_given_back() -> None:
    bus = InMemoryBus()
    event = ResourceEvent(
        type="flowGenerations",
        id="g1",
        event="update",
        resource=resource("g1"),
        delivery=b'{"data": {"type": "webhookPayload"}}',
    )
    assert await bus.publish(event) is True
    assert await bus.latest("flowGenerations", "g1") is None


async def test_a_body_in_a_reusable_buffer_is_copied_before_the_bus_keeps_it() -> None:
    bus = InMemoryBus()
    receiver = WebhookReceiver(secret=SECRET, bus=bus)
    buffer = bytearray(delivery(resource("g1")))
    assert (await receiver.handle_body(buffer)).reason == "ok"  # type: ignore[arg-type]
    buffer[:] = b" " * len(buffer)  # the caller reuses its buffer
    latest = await bus.latest("flowGenerations", "g1")
    assert latest is not None and latest.resource == resource("g1")
