"""The receiver's fast paths give what the plain ones give.

Each delivery's ``WebhookPayload`` is built by slot stores on the codec's fast path (by
``__init__`` on the checked one), its resource decoded keeping the just-parsed dicts, its
``ResourceEvent`` built by ``_payload.resource_event`` rather than
``ResourceEvent.from_resource``, and its ``WebhookResult`` by ``answered``: here each is
held to the plain construction, field for field, on ordinary and odd resources. Also: a
receiver's ``InMemoryBus`` keeps each resource at about its JSON size.
"""

from __future__ import annotations

import copy
import gc
import tracemalloc
from typing import Any

import attrs
import pytest

from recrubo_async._jsonapi import Codec
from recrubo_async.bus import InMemoryBus, ResourceEvent
from recrubo_async.webhooks import (
    Claim,
    InMemoryDedupe,
    WebhookPayload,
    WebhookReceiver,
    WebhookResult,
)
from recrubo_async.webhooks._payload import decode_payload, resource_event
from recrubo_async.webhooks._result import answered

from ..support.deliveries import SECRET, delivery, generation, headers

FAST, CHECKED = Codec(fast=True), Codec(fast=False)

RESOURCES: list[dict[str, Any]] = [
    generation("g1", "finished", seconds=5),
    {"type": "flowGenerations", "id": "g2", "attributes": {"status": "queued"}},
    {"type": "flowGenerations", "id": "g3", "attributes": {"updatedAt": None}},
    {"type": "spaceships", "id": "s4", "attributes": {"updatedAt": "yesterday-ish"}},
    {"type": "flowGenerations", "id": "g5", "attributes": {"updatedAt": "2026-01-01T12:00:00"}},
    {"type": "flowRuns", "id": "r1", "attributes": {"status": "running"}, "links": {"self": "x"}},
    {"type": "spaceships", "id": "s1", "attributes": {"status": 7, "updatedAt": 12}},
    {"type": "spaceships", "id": "s2", "attributes": {}},
    {"type": "spaceships", "id": "s3"},
    {
        "type": "flowGenerations",
        "id": "g6",
        "attributes": {"status": "finished", "parameters": {"language": "nl", "n": [1, {}]}},
        "relationships": {"flow": {"data": {"type": "flows", "id": "f1"}}},
    },
]
EVENTS = ["create", "update", "delete", "archive"]


def case_ids() -> list[str]:
    return [f"{r['type']}-{r['id']}" for r in RESOURCES]


def fields_of(obj: Any) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in attrs.fields(type(obj))}


@pytest.mark.parametrize("resource", RESOURCES, ids=case_ids())
@pytest.mark.parametrize("event", EVENTS)
def test_the_payload_is_the_one_the_checked_path_builds(
    resource: dict[str, Any], event: str
) -> None:
    body = delivery(copy.deepcopy(resource), event=event, payload_id="p1", fields=["status"])
    fast, checked = decode_payload(body, FAST), decode_payload(body, CHECKED)
    assert type(fast) is type(checked) is WebhookPayload
    # Each keeps the codec that read it, to decode its resource with when asked.
    assert (fast._codec, checked._codec) == (FAST, CHECKED)
    assert fields_of(fast) | {"_codec": None} == fields_of(checked) | {"_codec": None}
    assert fast._resource is None  # not decoded until read
    assert fast == checked and hash(fast.id) == hash(checked.id)
    # The resource decoded keeping the parsed dicts equals one decoded from a copy.
    assert fast.resource == FAST.decode_resource(copy.deepcopy(resource))
    assert fast.raw_resource == resource
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        fast.id = "other"  # type: ignore[misc]


@pytest.mark.parametrize("resource", RESOURCES, ids=case_ids())
@pytest.mark.parametrize("event", EVENTS)
def test_the_event_is_the_one_from_resource_builds(resource: dict[str, Any], event: str) -> None:
    payload = decode_payload(delivery(copy.deepcopy(resource), event=event), FAST)
    expected = ResourceEvent.from_resource(payload.raw_resource, event=event)
    for fast in (True, False):
        built = resource_event(payload, fast=fast)
        assert type(built) is ResourceEvent
        assert fields_of(built) == fields_of(expected)
        assert type(built.event) is str  # the plain string, not the enum member
        assert built == expected and built.key == expected.key
        assert built.to_json() == expected.to_json()


def test_an_answer_is_the_result_init_builds() -> None:
    payload = decode_payload(delivery(generation("g1", "finished")), FAST)
    built = answered(200, "ok", payload)
    plain = WebhookResult(status=200, reason="ok", payload=payload)
    assert type(built) is WebhookResult
    assert fields_of(built) == fields_of(plain) and built == plain and built.ok
    assert repr(built) == repr(plain)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        built.status = 500  # type: ignore[misc]


async def test_the_receiver_on_the_checked_path_answers_the_same() -> None:
    """A receiver whose codec has the switch off: same answers and the same bus events."""
    answers: dict[bool, list[tuple[int, str]]] = {}
    held: dict[bool, list[ResourceEvent | None]] = {}
    for fast in (True, False):
        bus = InMemoryBus()
        receiver = WebhookReceiver(secret=SECRET, bus=bus)
        receiver._codec = Codec(fast=fast)
        out = []
        for n, resource in enumerate(RESOURCES):
            result = await receiver.handle(headers(), delivery(resource, payload_id=f"p{n}"))
            out.append((result.status, result.reason))
        answers[fast] = out
        held[fast] = [await bus.latest(r["type"], r["id"]) for r in RESOURCES]
    assert answers[True] == answers[False]
    assert held[True] == held[False]
    assert all(event is not None for event in held[True])


async def test_the_bus_keeps_each_resource_at_about_its_json_size() -> None:
    """orjson's ``dumps`` answer holds the whole buffer it grew (16 KiB for 2.5 KB); the
    bus keeps a copy of the JSON's own size per remembered resource."""
    receiver = WebhookReceiver(secret=SECRET, bus=InMemoryBus())
    vacancy = "A vacancy text of a realistic length. " * 60  # about 2.3 KB
    bodies = [
        delivery(
            {
                "type": "flowGenerations",
                "id": f"g{n}",
                "attributes": {"status": "finished", "context": {"type": "text", "value": vacancy}},
            }
        )
        for n in range(300)
    ]
    await receiver.handle(headers(), bodies[0])  # the codec's generated code made first
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for body in bodies[1:]:
            assert (await receiver.handle(headers(), body)).reason == "ok"
        gc.collect()
        per_resource = (tracemalloc.get_traced_memory()[0] - before) / (len(bodies) - 1)
    finally:
        tracemalloc.stop()
    # The JSON (2.4 KB) and the bookkeeping of the bus, the ordering record and the dedupe
    # store; the 16 KiB buffer would be 18 KB and more.
    assert per_resource < 6000, per_resource


class AsyncOnlyDedupe(InMemoryDedupe):
    """The same store, asked through its coroutines (a subclass takes the plain path)."""

    async def claim(self, key: str, lease: float) -> Claim:
        return await super().claim(key, lease)


async def test_an_in_memory_store_asked_directly_answers_as_through_its_coroutines() -> None:
    """The receiver calls ``InMemoryDedupe``'s ``claim_now``/``done_now``; a subclass,
    which may override the async methods, is asked through them: the same answers."""
    answers: dict[str, list[tuple[int, str]]] = {}
    for name, store in (("direct", InMemoryDedupe()), ("async", AsyncOnlyDedupe())):
        receiver = WebhookReceiver(secret=SECRET, dedupe=store)
        assert (receiver._local_dedupe is store) == (name == "direct")
        fail = {"p2": 1}

        @receiver.on("flowGenerations")
        async def flaky(payload: WebhookPayload, fail: dict[str, int] = fail) -> None:
            if fail.get(payload.id, 0) > 0:
                fail[payload.id] -= 1
                raise RuntimeError("handler failed once")

        got = answers.setdefault(name, [])
        for pid, seconds in (("p1", 1), ("p1", 1), ("p2", 2), ("p2", 2), ("p2", 2), ("p3", 3)):
            body = delivery(generation("g1", "finished", seconds=seconds), payload_id=pid)
            result = await receiver.handle(headers(), body)
            got.append((result.status, result.reason))
        assert len(store) == 3
    assert (
        answers["direct"]
        == answers["async"]
        == [
            (200, "ok"),
            (200, "duplicate"),
            (500, "handler failed"),
            (200, "ok"),
            (200, "duplicate"),
            (200, "ok"),
        ]
    )


async def test_a_publish_wrapped_on_the_bus_instance_sees_every_delivery() -> None:
    """Instrumentation that wraps ``bus.publish`` on the instance (before the receiver is
    made) sees the receiver's publishes: ``publish_now`` is used only for a bus whose
    ``publish`` is the class's own."""
    bus = InMemoryBus()
    seen: list[str] = []
    original = bus.publish

    async def observed(event: ResourceEvent) -> bool:
        seen.append(event.id)
        return await original(event)

    bus.publish = observed  # type: ignore[method-assign]
    receiver = WebhookReceiver(secret=SECRET, bus=bus)
    for n, resource in enumerate(RESOURCES):
        result = await receiver.handle(headers(), delivery(resource, payload_id=f"p{n}"))
        assert result.status == 200, result
    assert seen == [r["id"] for r in RESOURCES]
    assert all([await bus.latest(r["type"], r["id"]) for r in RESOURCES])
