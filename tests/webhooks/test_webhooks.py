"""WebhookReceiver core: verification, decoding, dedupe, ordering, dispatch."""

from __future__ import annotations

import asyncio
import logging

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recrubo_async.bus import BusClosedError, InMemoryBus, ResourceEvent
from recrubo_async.models import FlowGeneration, GenericResource
from recrubo_async.webhooks import (
    Claim,
    InMemoryDedupe,
    WebhookEvent,
    WebhookPayload,
    WebhookReceiver,
)

from ..support.deliveries import SECRET, delivery, generation, headers


async def test_a_verified_delivery_is_decoded_published_and_dispatched() -> None:
    bus = InMemoryBus()
    receiver = WebhookReceiver(secret=SECRET, bus=bus)
    seen: list[WebhookPayload] = []

    @receiver.on("flowGenerations", "update")
    async def on_update(payload: WebhookPayload) -> None:
        seen.append(payload)

    sub = await bus.subscribe("flowGenerations", "g1")
    body = delivery(generation("g1", "finished"), payload_id="p1", fields=["status"])
    result = await receiver.handle(headers(), body)
    assert (result.status, result.reason) == (200, "ok")
    assert result.payload is not None
    (payload,) = seen
    assert payload.id == "p1"
    assert payload.event is WebhookEvent.UPDATE
    assert payload.fields == ("status",)
    assert payload.webhook_id == "5a7a2f4e-0000-4000-8000-000000000001"
    assert isinstance(payload.resource, FlowGeneration)
    assert payload.resource.status == "finished"
    event = await asyncio.wait_for(sub.get(), 1)
    assert event.key == ("flowGenerations", "g1")
    assert event.status == "finished"
    assert event.event == "update"
    await sub.close()
    assert bus.subscription_count == 0


async def test_handlers_are_chosen_by_type_and_event() -> None:
    receiver = WebhookReceiver(secret=SECRET)
    calls: list[str] = []

    async def record(name: str) -> None:
        calls.append(name)

    @receiver.on()
    async def any_event(payload: WebhookPayload) -> None:
        await record("any")

    @receiver.on("flowGenerations")
    async def any_generation_event(payload: WebhookPayload) -> None:
        await record("generation")

    @receiver.on("flowGenerations", "delete")
    async def deleted(payload: WebhookPayload) -> None:
        await record("deleted")

    @receiver.on("candidates", "create")
    async def candidate(payload: WebhookPayload) -> None:
        await record("candidate")

    await receiver.handle(headers(), delivery(generation("g1", "queued"), event="create"))
    assert calls == ["any", "generation"]
    calls.clear()
    await receiver.handle(
        headers(), delivery(generation("g1", "queued", seconds=1), event="delete")
    )
    assert calls == ["any", "generation", "deleted"]


@pytest.mark.parametrize(
    "hdrs",
    [{}, {"X-Recrubo-Webhook-Secret": "wrong"}, {"X-Recrubo-Webhook-Secret": ""}],
)
async def test_missing_or_wrong_secret_is_401_without_a_hint(
    hdrs: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    receiver = WebhookReceiver(secret=SECRET)
    result = await receiver.handle(hdrs, delivery(generation("g1", "queued")))
    assert (result.status, result.reason) == (401, "unauthorized")
    assert result.payload is None
    assert SECRET not in repr(result)
    assert all(SECRET not in r.getMessage() for r in caplog.records)
    assert SECRET not in repr(receiver)


async def test_header_lookup_is_case_insensitive_for_plain_dicts() -> None:
    receiver = WebhookReceiver(secret=SECRET)
    result = await receiver.handle(
        {"x-recrubo-webhook-secret": SECRET}, delivery(generation("g1", "queued"))
    )
    assert result.status == 200


async def test_two_secrets_are_accepted_during_rotation() -> None:
    receiver = WebhookReceiver(secret="new-secret", secrets=["old-secret"])
    for secret in ("new-secret", "old-secret"):
        result = await receiver.handle(headers(secret), delivery(generation("g1", "queued")))
        assert result.status == 200
    result = await receiver.handle(headers("older"), delivery(generation("g1", "queued")))
    assert result.status == 401


def test_a_receiver_needs_a_secret() -> None:
    with pytest.raises(ValueError, match="secret="):
        WebhookReceiver()
    with pytest.raises(ValueError, match="secret="):
        WebhookReceiver(secret="")


def test_handlers_must_be_async() -> None:
    receiver = WebhookReceiver(secret=SECRET)
    with pytest.raises(TypeError, match="async def"):
        receiver.add_handler(lambda payload: None)  # type: ignore[arg-type,return-value]


async def test_oversized_body_is_413() -> None:
    receiver = WebhookReceiver(secret=SECRET, max_body=100)
    result = await receiver.handle(headers(), b"x" * 101)
    assert result.status == 413


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"data": {"type": "flowGenerations", "id": "1"}}',
        b'{"data": {"type": "webhookPayload", "attributes": {}}}',
        b'{"data": {"type": "webhookPayload", "id": "p", "attributes": 3}}',
        b'{"data": {"type": "webhookPayload", "id": "p", "attributes": {"event": "update"}}}',
        b'{"data": {"type": "webhookPayload", "id": "p", "attributes": {"resource": {}}}}',
        delivery({"type": "flowGenerations", "id": "g", "attributes": []}),
        delivery({"type": "flowGenerations", "id": True, "attributes": {}}),
        delivery({"type": "flowGenerations", "id": "g", "links": "x"}),
        orjson.dumps(
            {
                "data": {
                    "type": "webhookPayload",
                    "id": "p",
                    "attributes": {
                        "event": "update",
                        "fields": "status",
                        "resource": generation("g", "queued"),
                    },
                }
            }
        ),
    ],
)
async def test_garbage_is_400(body: bytes) -> None:
    receiver = WebhookReceiver(secret=SECRET)
    result = await receiver.handle(headers(), body)
    assert (result.status, result.reason) == (400, "bad payload")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300) | st.text(max_size=200).map(str.encode))
async def test_arbitrary_bodies_get_4xx_never_500(body: bytes) -> None:
    receiver = WebhookReceiver(secret=SECRET, max_body=200)
    result = await receiver.handle(headers(), body)
    assert result.status in (400, 413)


async def test_unknown_resource_types_decode_to_generic_resources() -> None:
    receiver = WebhookReceiver(secret=SECRET)
    body = delivery({"type": "spaceships", "id": "s1", "attributes": {"warp": 9}})
    result = await receiver.handle(headers(), body)
    assert result.payload is not None
    assert isinstance(result.payload.resource, GenericResource)
    assert result.payload.resource.attribute("warp") == 9


async def test_redeliveries_run_handlers_once() -> None:
    receiver = WebhookReceiver(secret=SECRET)
    calls: list[str] = []

    @receiver.on()
    async def handler(payload: WebhookPayload) -> None:
        calls.append(payload.id)

    body = delivery(generation("g1", "finished"), payload_id="p1")
    first = await receiver.handle(headers(), body)
    second = await receiver.handle(headers(), body)
    assert (first.reason, second.reason) == ("ok", "duplicate")
    assert second.status == 200
    assert calls == ["p1"]


async def test_concurrent_duplicates_run_handlers_once() -> None:
    receiver = WebhookReceiver(secret=SECRET)
    calls: list[str] = []
    release = asyncio.Event()

    @receiver.on()
    async def slow(payload: WebhookPayload) -> None:
        calls.append(payload.id)
        await release.wait()

    body = delivery(generation("g1", "finished"), payload_id="p1")
    tasks = [asyncio.create_task(receiver.handle(headers(), body)) for _ in range(5)]
    await asyncio.sleep(0.01)
    release.set()
    results = await asyncio.gather(*tasks)
    assert calls == ["p1"]
    assert sorted(r.reason for r in results) == ["duplicate"] * 4 + ["ok"]


async def test_a_failing_handler_answers_500_and_the_redelivery_is_handled_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    receiver = WebhookReceiver(secret=SECRET)
    attempts: list[str] = []

    @receiver.on()
    async def flaky(payload: WebhookPayload) -> None:
        attempts.append(payload.id)
        if len(attempts) == 1:
            raise RuntimeError("database is down")

    body = delivery(generation("g1", "finished"), payload_id="p-flaky")
    first = await receiver.handle(headers(), body)
    assert (first.status, first.reason) == (500, "handler failed")
    assert any("p-flaky" in r.getMessage() for r in caplog.records)
    second = await receiver.handle(headers(), body)
    third = await receiver.handle(headers(), body)
    assert (second.status, second.reason) == (200, "ok")
    assert third.reason == "duplicate"
    assert attempts == ["p-flaky", "p-flaky"]


async def test_an_older_update_never_overwrites_a_newer_one() -> None:
    bus = InMemoryBus()
    receiver = WebhookReceiver(secret=SECRET, bus=bus)
    dispatched: list[str] = []

    @receiver.on()
    async def handler(payload: WebhookPayload) -> None:
        assert isinstance(payload.resource, FlowGeneration)
        dispatched.append(str(payload.resource.status))

    newer = delivery(generation("g1", "finished", seconds=10))
    older = delivery(generation("g1", "processing", seconds=5))
    assert (await receiver.handle(headers(), newer)).reason == "ok"
    result = await receiver.handle(headers(), older)
    assert (result.status, result.reason) == (200, "stale")
    assert dispatched == ["finished"]
    latest = await bus.latest("flowGenerations", "g1")
    assert latest is not None and latest.status == "finished"


async def test_unexpected_failures_become_500_not_exceptions() -> None:
    class BrokenDedupe(InMemoryDedupe):
        async def claim(self, key: str, lease: float) -> Claim:
            raise OSError("store unreachable")

    receiver = WebhookReceiver(secret=SECRET, dedupe=BrokenDedupe())

    @receiver.on()
    async def handled(payload: WebhookPayload) -> None:
        return None

    result = await receiver.handle(headers(), delivery(generation("g1", "queued")))
    assert (result.status, result.reason) == (500, "internal error")


async def test_dedupe_store_is_bounded_and_expires() -> None:
    store = InMemoryDedupe(max_entries=2, ttl=60)
    for key in ("a", "b", "c"):
        await store.done(key)
    assert len(store) == 2
    assert await store.claim("a", 60) == "claimed"  # forgotten: the oldest went first
    assert await store.claim("c", 60) == "done"
    expired = InMemoryDedupe(ttl=0.001)
    await expired.done("x")
    await asyncio.sleep(0.01)
    assert await expired.claim("x", 60) == "claimed"
    with pytest.raises(ValueError, match="max_entries"):
        InMemoryDedupe(max_entries=0)


async def test_memory_bus_remembers_latest_and_drops_older_states() -> None:
    bus = InMemoryBus(max_latest=2)
    new = ResourceEvent.from_resource(generation("g1", "finished", seconds=2), event="update")
    old = ResourceEvent.from_resource(generation("g1", "queued", seconds=1), event="update")
    await bus.publish(new)
    await bus.publish(old)
    assert await bus.latest("flowGenerations", "g1") == new
    for gid in ("g2", "g3"):
        await bus.publish(ResourceEvent.from_resource(generation(gid, "queued"), event="create"))
    assert await bus.latest("flowGenerations", "g1") is None
    gone = ResourceEvent.from_resource(generation("g3", "queued"), event="delete")
    await bus.publish(gone)
    late = ResourceEvent.from_resource(generation("g3", "finished", seconds=9), event="update")
    await bus.publish(late)
    assert await bus.latest("flowGenerations", "g3") == gone
    async with await bus.subscribe("flowGenerations", "g9") as sub:
        assert bus.subscription_count == 1
        assert sub is not None
    assert bus.subscription_count == 0
    waiting = await bus.subscribe("flowGenerations", "g9")
    await bus.aclose()
    assert bus.subscription_count == 0
    with pytest.raises(BusClosedError):
        await waiting.get()
    expiring = InMemoryBus(latest_ttl=0.001)
    await expiring.publish(new)
    await asyncio.sleep(0.01)
    assert await expiring.latest("flowGenerations", "g1") is None


def test_resource_events_round_trip_as_json_and_reject_garbage() -> None:
    event = ResourceEvent.from_resource(generation("g1", "finished", seconds=3), event="update")
    assert ResourceEvent.from_json(event.to_json()) == event
    for bad in (b"{", b"[]", b'{"event": "update"}', b'{"resource": {"type": 1}, "event": "x"}'):
        with pytest.raises(ValueError, match="not a resource event"):
            ResourceEvent.from_json(bad)
    odd = ResourceEvent.from_resource(
        {"type": "x", "id": "1", "attributes": {"updatedAt": "yesterday", "status": 3}},
        event="update",
    )
    assert odd.updated_at is None
    assert odd.status is None
    assert "resource" not in repr(odd)


async def test_an_older_update_arriving_while_a_newer_one_is_handled_is_stale() -> None:
    receiver = WebhookReceiver(secret=SECRET)
    started: list[str] = []
    release = asyncio.Event()

    @receiver.on()
    async def slow(payload: WebhookPayload) -> None:
        assert isinstance(payload.resource, FlowGeneration)
        started.append(str(payload.resource.status))
        await release.wait()

    newer = asyncio.create_task(
        receiver.handle(headers(), delivery(generation("g1", "finished", seconds=10)))
    )
    await asyncio.sleep(0.01)  # the newer delivery's handler is running now
    older = await receiver.handle(headers(), delivery(generation("g1", "processing", seconds=5)))
    release.set()
    assert (await newer).reason == "ok"
    assert older.reason == "stale"
    assert started == ["finished"]


async def test_copies_arriving_during_a_slow_dedupe_lookup_run_handlers_once() -> None:
    class SlowDedupe(InMemoryDedupe):
        async def claim(self, key: str, lease: float) -> Claim:
            await asyncio.sleep(0.01)  # a Redis or database round trip
            return await super().claim(key, lease)

    receiver = WebhookReceiver(secret=SECRET, dedupe=SlowDedupe())
    calls: list[str] = []

    @receiver.on()
    async def handler(payload: WebhookPayload) -> None:
        calls.append(payload.id)

    body = delivery(generation("g1", "finished"), payload_id="p1")
    results = await asyncio.gather(*(receiver.handle(headers(), body) for _ in range(3)))
    assert sorted(r.reason for r in results) == ["duplicate", "duplicate", "ok"]
    assert calls == ["p1"]


async def test_a_create_retried_after_a_newer_update_still_reaches_its_handler() -> None:
    receiver = WebhookReceiver(secret=SECRET)
    created: list[str] = []
    failures = [RuntimeError("database is down")]

    @receiver.on("flowGenerations", "create")
    async def on_create(payload: WebhookPayload) -> None:
        if failures:
            raise failures.pop()
        created.append(payload.resource.id)

    create = delivery(generation("g1", "queued"), event="create", payload_id="c1")
    assert (await receiver.handle(headers(), create)).status == 500
    update = delivery(generation("g1", "processing", seconds=5), payload_id="u1")
    assert (await receiver.handle(headers(), update)).reason == "ok"
    retried = await receiver.handle(headers(), create)
    assert (retried.status, retried.reason) == (200, "ok")
    assert created == ["g1"]
