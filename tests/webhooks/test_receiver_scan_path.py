"""A receiver that reads deliveries with the C scanner answers and publishes what one
that parses them does.

With no handler for a delivery, the receiver takes its values from the scanner
(``_payload.scanned_delivery``) and never builds the body into dicts: the payload and
the bus event read their resource object from the body when first asked. Here each
answer, payload and published event is held to the plain path's (``SCAN_DELIVERY``
switched off), on ordinary, odd and broken deliveries; the scanner alone is held to
``orjson`` in ``test_scan_delivery.py``.
"""

from __future__ import annotations

import copy
import pickle
from typing import Any

import attrs
import orjson
import pytest

from recrubo_async import _scanner
from recrubo_async.bus import InMemoryBus, ResourceEvent
from recrubo_async.webhooks import WebhookPayload, WebhookReceiver, WebhookResult

from ..support.deliveries import SECRET, delivery, generation, headers
from ..support.scanner import require_scanner
from .test_receiver_fast_paths import EVENTS, RESOURCES

VACANCY = "Chauffeur gezocht in Amsterdam — “Rijbewijs B”, 25 vakantiedagen. 🚚\n" * 20


def realistic(gid: str, seconds: int = 0) -> dict[str, Any]:
    made = generation(gid, "finished", seconds=seconds)
    made["attributes"]["context"] = {"type": "text", "value": VACANCY}
    made["attributes"]["parameters"] = {"language": "nl", "requiredFields": [{"value": "email"}]}
    made["relationships"] = {"flow": {"links": {"related": f"/flow-generations/{gid}/flow"}}}
    made["links"] = {"self": f"/flow-generations/{gid}"}
    return made


def bodies() -> list[bytes]:
    """Deliveries of every shape: usual, odd, and refused ones."""
    out = []
    for n, resource in enumerate(RESOURCES):
        for event in EVENTS:
            out.append(delivery(copy.deepcopy(resource), event=event, payload_id=f"p{n}{event}"))
    usual = delivery(realistic("g9", 9), payload_id="p9", fields=["status", "updatedAt"])
    document = orjson.loads(usual)
    out += [
        usual,
        orjson.dumps(document, option=orjson.OPT_INDENT_2),
        b" \r\n" + usual + b"\n",
        delivery(realistic("g10", 10), payload_id="p10", fields=[]),
        usual.replace(b'"webhookId":"5a7a2f4e-0000-4000-8000-000000000001"', b'"webhookId":7'),
        usual.replace(b'"fields":["status","updatedAt"]', b'"fields":["status",1]'),
        usual.replace(b'"fields":["status","updatedAt"]', b'"fields":null'),
        usual.replace(b'"id":"g9"', b'"id":9'),
        usual.replace(b'"links":{"self"', b'"meta":{"x":1},"links":{"self"'),
        usual.replace(b'"updatedAt":"', b'"updatedAt":3,"x":"'),
        usual.replace(b'"event":"update"', b'"event":""'),
        usual.replace(b'"event":"update"', b'"event":"archive"'),
        usual.replace(b'"type":"webhookPayload"', b'"type":"webhookPayloads"'),
        usual.replace(b'"data":{', b'"data":{"id":"first",', 1),
        usual[:-1],
        usual + b"x",
        b"",
        b"[]",
        b'{"data": null}',
    ]
    return out


async def run(body_list: list[bytes], *, scanner: bool, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Every body through a new receiver: (answers, payloads, published events, latest)."""
    with monkeypatch.context() as patch:
        if not scanner:
            patch.setattr(_scanner, "SCAN_DELIVERY", None)
        bus = InMemoryBus()
        published: list[ResourceEvent] = []
        publish_now = bus.publish_now

        def observed(event: ResourceEvent) -> bool:
            published.append(event)
            return publish_now(event)

        bus.publish_now = observed  # type: ignore[method-assign]
        receiver = WebhookReceiver(secret=SECRET, bus=bus)
        results = [await receiver.handle(headers(), body) for body in body_list]
        keys = {(e.type, e.id) for e in published}
        latest = {key: await bus.latest(*key) for key in sorted(keys)}
    return results, published, latest


async def test_with_or_without_the_scanner_the_same_answers_payloads_and_events(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    require_scanner()
    cases = bodies()
    scanned = await run(cases, scanner=True, monkeypatch=monkeypatch)
    plain = await run(cases, scanner=False, monkeypatch=monkeypatch)
    # The scanner really read most of them: their events hold no resource until read.
    unread = [e for e in scanned[1] if e._resource is None]
    assert len(unread) >= 2 * len(RESOURCES), len(unread)
    assert all(e._resource is not None for e in plain[1])
    results: list[WebhookResult]
    for results in (scanned[0], plain[0]):
        assert len(results) == len(cases)
    for got, want, body in zip(scanned[0], plain[0], cases, strict=True):
        assert (got.status, got.reason) == (want.status, want.reason), body
        assert got.payload == want.payload, body
        if got.payload is not None and want.payload is not None:
            assert repr(got.payload) == repr(want.payload)
            assert got.payload.raw_resource == want.payload.raw_resource
    assert len(scanned[1]) == len(plain[1])
    for got_event, want_event in zip(scanned[1], plain[1], strict=True):
        assert got_event == want_event
        assert repr(got_event) == repr(want_event)
        assert got_event.delivery == want_event.delivery
        assert got_event.to_json() == want_event.to_json()
    assert scanned[2] == plain[2]


async def test_a_usual_delivery_is_published_unparsed_and_reads_back_on_demand(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    require_scanner()
    bus = InMemoryBus()
    receiver = WebhookReceiver(secret=SECRET, bus=bus)
    resource = realistic("g1", 5)
    body = delivery(copy.deepcopy(resource), payload_id="p1", fields=["status"])
    async with await bus.subscribe("flowGenerations", "g1") as sub:
        result = await receiver.handle(headers(), body)
        event = await sub.get()
    assert (result.status, result.reason) == (200, "ok")
    assert result.payload is not None
    # Nothing parsed yet: the payload and the event keep the body only.
    assert result.payload._raw_resource is None and event._resource is None
    assert event.delivery is body and event.status == "finished"
    assert event.updated_at is not None and event.updated_at.second == 5
    assert event.resource == resource
    assert event.resource is event.resource  # parsed once, then kept
    assert result.payload.raw_resource is event.resource  # parsed once, for both
    assert result.payload.id == "p1" and result.payload.fields == ("status",)


async def test_with_a_handler_the_delivery_is_parsed_as_before() -> None:
    require_scanner()
    receiver = WebhookReceiver(secret=SECRET, bus=InMemoryBus())
    seen: list[WebhookPayload] = []

    @receiver.on("candidates")
    async def handler(payload: WebhookPayload) -> None:
        seen.append(payload)

    result = await receiver.handle(headers(), delivery(realistic("g1"), payload_id="p1"))
    assert result.status == 200 and result.payload is not None
    assert result.payload._raw_resource is not None  # the plain path: a handler exists
    assert seen == []


def lazy_event() -> tuple[ResourceEvent, ResourceEvent]:
    resource = realistic("g1", 3)
    body = delivery(copy.deepcopy(resource))
    eager = ResourceEvent.from_resource(resource, event="update")
    lazy = ResourceEvent(
        type="flowGenerations",
        id="g1",
        event="update",
        resource=None,
        status=eager.status,
        updated_at=eager.updated_at,
        delivery=body,
    )
    return eager, lazy


def test_an_event_built_from_its_delivery_is_the_event_built_with_its_resource() -> None:
    eager, lazy = lazy_event()
    assert lazy == eager and eager == lazy
    assert not lazy.__ne__(eager)
    assert repr(lazy) == repr(eager)
    copied = pickle.loads(pickle.dumps(lazy))
    assert copied == eager and copied.delivery == lazy.delivery
    evolved = attrs.evolve(lazy, status="failed")
    assert evolved.resource == eager.resource and evolved.status == "failed"
    assert lazy.to_json() == attrs.evolve(eager, delivery=lazy.delivery).to_json()
    assert attrs.evolve(eager, status="failed") != lazy
    with pytest.raises(TypeError, match="unhashable"):
        hash(lazy)


@pytest.mark.parametrize("delivered", [None, b'{"data": {"attributes": {}}}'])
def test_an_event_with_neither_a_resource_nor_a_delivery_holding_one_says_so(
    delivered: bytes | None,
) -> None:
    event = ResourceEvent(type="t", id="1", event="update", resource=None, delivery=delivered)
    with pytest.raises(ValueError, match=r"resource=\.\.\."):
        event.resource  # noqa: B018


def test_a_payload_built_beside_its_event_is_the_payload_built_with_its_resource() -> None:
    eager_event, lazy_event_ = lazy_event()
    fields: dict[str, Any] = {
        "id": "p1",
        "webhook_id": "w",
        "event": "update",
        "fields": ("status",),
    }
    eager = WebhookPayload(**fields, raw_resource=eager_event.resource)
    lazy = WebhookPayload(**fields, raw_resource=None, source=lazy_event_)
    assert repr(lazy) == repr(eager)
    assert lazy_event_._resource is None  # the repr parsed nothing
    assert lazy == eager and hash(lazy.id) == hash(eager.id)
    # One parse for both: the payload's resource is its event's.
    assert lazy.raw_resource is lazy_event_.resource
    assert pickle.loads(pickle.dumps(lazy)) == eager
    assert lazy.resource == eager.resource
    with pytest.raises(ValueError, match="raw_resource"):
        WebhookPayload(**fields, raw_resource=None).raw_resource  # noqa: B018
