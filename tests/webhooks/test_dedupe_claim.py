"""Dedupe as an atomic claim with a lease, and ordering through the bus, across replicas.

Two ``WebhookReceiver`` objects, each with its own Redis connections, stand for two web
replicas sharing one Redis: a delivery handed to both at once runs its handlers once; a
copy arriving while the other replica still handles it waits, then answers ``duplicate``
(or 503 ``in progress`` past ``busy_wait``); a failed handler releases its claim so the
retry runs; an update older than one another replica published is answered ``stale``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import attrs
import pytest
import redis.asyncio as aioredis

from recrubo_async.bus import InMemoryBus, RedisBus, ResourceEvent
from recrubo_async.models import FlowGeneration
from recrubo_async.webhooks import (
    DedupeStore,
    InMemoryDedupe,
    RedisDedupe,
    WebhookPayload,
    WebhookReceiver,
    WebhookResult,
)
from recrubo_async.webhooks._dedupe import _TAKEN_HERE

from ..support.deliveries import SECRET, delivery, generation, headers
from ..support.redis_server import RedisServer
from ..support.timing import eventually


@attrs.define
class Replica:
    receiver: WebhookReceiver
    bus: RedisBus
    dedupe: RedisDedupe
    runs: list[str] = attrs.Factory(list)


@pytest.fixture
async def replicas(redis_server: RedisServer) -> AsyncIterator[tuple[Replica, Replica]]:
    made: list[Replica] = []
    for _ in range(2):
        bus, dedupe = RedisBus(redis_server.url), RedisDedupe(redis_server.url)
        replica = Replica(WebhookReceiver(secret=SECRET, bus=bus, dedupe=dedupe), bus, dedupe)
        made.append(replica)
    try:
        yield made[0], made[1]
    finally:
        for replica in made:
            await replica.bus.aclose()
            await replica.dedupe.aclose()


def record(replica: Replica, gate: asyncio.Event | None = None) -> None:
    @replica.receiver.on()
    async def handler(payload: WebhookPayload) -> None:
        assert isinstance(payload.resource, FlowGeneration)
        replica.runs.append(f"{payload.id}:{payload.resource.status}")
        if gate is not None:
            await gate.wait()


# -- the stores --------------------------------------------------------------------------


async def test_in_memory_claims_are_exclusive_until_done_released_or_expired() -> None:
    store = InMemoryDedupe()
    assert await store.claim("p1", 60) == "claimed"
    assert await store.claim("p1", 60) == "busy"
    await store.release("p1")
    assert await store.claim("p1", 60) == "claimed"
    await store.done("p1")
    assert await store.claim("p1", 60) == "done"
    await store.release("p1")  # a done delivery stays done
    assert await store.claim("p1", 60) == "done"
    assert await store.claim("p2", 0.01) == "claimed"
    await asyncio.sleep(0.05)
    assert await store.claim("p2", 60) == "claimed", "an expired lease is free again"
    bounded = InMemoryDedupe(max_entries=2)
    for key in ("a", "b", "c"):
        await bounded.done(key)
    assert len(bounded) == 2
    assert await bounded.claim("a", 1) == "claimed"


async def test_redis_claims_are_atomic_across_connections(redis_server: RedisServer) -> None:
    """Forty claims of one id from four stores (four connections) at once: one wins."""
    stores = [RedisDedupe(redis_server.url) for _ in range(4)]
    try:
        answers = await asyncio.gather(*(stores[i % 4].claim("p1", 30) for i in range(40)))
        assert sorted(answers).count("claimed") == 1
        assert set(answers) == {"claimed", "busy"}
        winner = next(s for s in stores if s._tokens)
        await winner.done("p1")
        assert {await s.claim("p1", 30) for s in stores} == {"done"}
        assert "redis://" not in repr(winner)
    finally:
        for store in stores:
            await store.aclose()


async def test_an_expired_redis_claim_cannot_free_or_finish_another_replicas_claim(
    redis_server: RedisServer,
) -> None:
    slow, fast = RedisDedupe(redis_server.url), RedisDedupe(redis_server.url)
    admin = aioredis.Redis.from_url(redis_server.url, decode_responses=True)
    try:
        assert await slow.claim("p1", 0.05) == "claimed"
        await asyncio.sleep(0.15)  # slow's lease ran out while its handler ran
        assert await fast.claim("p1", 30) == "claimed"
        await slow.release("p1")
        assert await slow.claim("p1", 30) == "busy", "slow freed fast's claim"
        await slow.done("p1")
        value = await admin.get("recrubo:dedupe:p1")
        assert str(value).startswith("claim:"), "slow overwrote fast's claim"
        await fast.done("p1")
        assert await admin.get("recrubo:dedupe:p1") == "done"
        assert 0 < await admin.ttl("recrubo:dedupe:p1") <= 48 * 3600
    finally:
        await admin.aclose()
        await slow.aclose()
        await fast.aclose()


@pytest.mark.parametrize("kind", ["redis", "memory"])
async def test_receivers_sharing_one_store_act_only_on_their_own_claims(
    kind: str, request: pytest.FixtureRequest
) -> None:
    """Two receivers of one process share a store (one per organization, say). A's lease
    runs out while its handler still runs, B claims the delivery, then A's handler fails:
    A's release must not free B's claim (the store held one token per delivery id, so A
    used B's), or a third copy runs the handlers while B still runs them."""
    lease, patience = 0.2, 30.0
    redis_stores: list[RedisDedupe] = []
    shared: DedupeStore
    other_replica: DedupeStore
    if kind == "redis":
        url = request.getfixturevalue("redis_server").url
        redis_stores = [RedisDedupe(url, prefix="shared") for _ in range(2)]
        shared, other_replica = redis_stores
    else:
        shared = other_replica = InMemoryDedupe()
    a = WebhookReceiver(secret=SECRET, dedupe=shared, dedupe_lease=lease, busy_wait=0)
    b = WebhookReceiver(secret=SECRET, dedupe=shared, dedupe_lease=patience, busy_wait=0)
    c = WebhookReceiver(secret=SECRET, dedupe=other_replica, busy_wait=0)
    a_started, a_fail, b_started, b_finish = (asyncio.Event() for _ in range(4))
    running: list[str] = []

    @a.on()
    async def slow_then_fails(payload: WebhookPayload) -> None:
        running.append("a")
        a_started.set()
        await a_fail.wait()
        raise RuntimeError("A's handler failed after its lease ran out")

    @b.on()
    async def slow(payload: WebhookPayload) -> None:
        running.append("b")
        b_started.set()
        await b_finish.wait()

    @c.on()
    async def third(payload: WebhookPayload) -> None:
        running.append("c")

    body = delivery(generation("g1", "finished"), payload_id="p-shared")
    task_b: asyncio.Task[WebhookResult] | None = None
    try:
        task_a = asyncio.create_task(a.handle(headers(), body))
        await asyncio.wait_for(a_started.wait(), patience)
        await asyncio.sleep(lease * 4)  # A's lease runs out; its handler still runs
        task_b = asyncio.create_task(b.handle(headers(), body))
        await asyncio.wait_for(b_started.wait(), patience)  # B claimed it since
        a_fail.set()
        assert (await asyncio.wait_for(task_a, patience)).status == 500
        answer = await c.handle(headers(), body)
        assert running == ["a", "b"], running
        assert (answer.status, answer.reason) == (503, "in progress")
        b_finish.set()
        assert (await asyncio.wait_for(task_b, patience)).reason == "ok"
        # B's done marked it: a later copy is a duplicate on every receiver.
        for receiver in (a, b, c):
            assert (await receiver.handle(headers(), body)).reason == "duplicate"
        assert running == ["a", "b"], running
    finally:
        b_finish.set()
        if task_b is not None:
            await asyncio.wait_for(task_b, patience)
        for store in redis_stores:
            await store.aclose()


# -- receivers sharing one Redis ---------------------------------------------------------


async def test_one_delivery_sent_to_both_replicas_at_once_runs_once(
    replicas: tuple[Replica, Replica],
) -> None:
    a, b = replicas
    record(a)
    record(b)
    bodies = [delivery(generation(f"g{i}", "finished", seconds=5)) for i in range(30)]
    results = await asyncio.gather(
        *(r.receiver.handle(headers(), body) for body in bodies for r in (a, b))
    )
    assert all(r.status == 200 for r in results), {(r.status, r.reason) for r in results}
    assert sorted(r.reason for r in results).count("ok") == 30
    assert len(a.runs) + len(b.runs) == 30
    assert len(set(a.runs) | set(b.runs)) == 30


async def test_a_copy_arriving_while_the_other_replica_handles_it_waits_then_is_a_duplicate(
    replicas: tuple[Replica, Replica],
) -> None:
    """Regression for the check-then-act race: before claims, B saw "not handled" while
    A's handler still ran, and ran the handlers a second time."""
    a, b = replicas
    gate = asyncio.Event()
    record(a, gate)
    record(b)
    body = delivery(generation("g1", "finished", seconds=5), payload_id="p1")
    first = asyncio.create_task(a.receiver.handle(headers(), body))
    await eventually(lambda: bool(a.runs), 10, "A's handler started")
    second = asyncio.create_task(b.receiver.handle(headers(), body))
    await asyncio.sleep(0.2)
    assert not second.done(), "B must wait for A's outcome, not answer at once"
    gate.set()
    assert (await first).reason == "ok"
    assert ((await second).status, (await second).reason) == (200, "duplicate")
    assert a.runs == ["p1:finished"] and b.runs == []


async def test_past_busy_wait_the_copy_is_answered_503_in_progress(
    redis_server: RedisServer,
) -> None:
    bus = InMemoryBus()
    stores = [RedisDedupe(redis_server.url) for _ in range(2)]
    try:
        a = WebhookReceiver(secret=SECRET, bus=bus, dedupe=stores[0])
        b = WebhookReceiver(secret=SECRET, bus=bus, dedupe=stores[1], busy_wait=0.1)
        gate = asyncio.Event()

        @a.on()
        async def slow(payload: WebhookPayload) -> None:
            await gate.wait()

        @b.on()  # replicas run the same code: b has the handler too
        async def quick(payload: WebhookPayload) -> None:
            return None

        body = delivery(generation("g1", "finished"), payload_id="p1")
        first = asyncio.create_task(a.handle(headers(), body))
        await asyncio.sleep(0.1)
        busy = await b.handle(headers(), body)
        assert (busy.status, busy.reason) == (503, "in progress")
        gate.set()
        assert (await first).reason == "ok"
        assert (await b.handle(headers(), body)).reason == "duplicate"
    finally:
        for store in stores:
            await store.aclose()


async def test_a_failed_handler_releases_its_claim_so_the_retry_runs_on_any_replica(
    replicas: tuple[Replica, Replica],
) -> None:
    a, b = replicas
    failures = [RuntimeError("database is down")]

    @a.receiver.on()
    async def flaky(payload: WebhookPayload) -> None:
        if failures:
            raise failures.pop()

    record(b)
    body = delivery(generation("g1", "finished", seconds=5), payload_id="p1")
    assert (await a.receiver.handle(headers(), body)).status == 500
    retry = await b.receiver.handle(headers(), body)
    assert (retry.status, retry.reason) == (200, "ok")
    assert b.runs == ["p1:finished"]


async def test_an_update_older_than_one_another_replica_published_is_stale(
    replicas: tuple[Replica, Replica],
) -> None:
    """Regression: the Lua script refused the older state but ``publish()`` dropped the
    answer, so replica B dispatched it and answered ``ok``."""
    a, b = replicas
    record(a)
    record(b)
    newer = delivery(generation("g1", "finished", seconds=10), payload_id="new")
    older = delivery(generation("g1", "processing", seconds=5), payload_id="old")
    assert (await a.receiver.handle(headers(), newer)).reason == "ok"
    result = await b.receiver.handle(headers(), older)
    assert (result.status, result.reason) == (200, "stale")
    assert a.runs == ["new:finished"] and b.runs == []
    latest = await b.bus.latest("flowGenerations", "g1")
    assert latest is not None and latest.status == "finished"
    # Answered, so it is done: a redelivery of it is a duplicate.
    assert (await a.receiver.handle(headers(), older)).reason == "duplicate"


async def test_publish_answers_whether_the_state_was_the_newest(
    replicas: tuple[Replica, Replica],
) -> None:
    a, _ = replicas
    new = ResourceEvent.from_resource(generation("g1", "finished", seconds=2), event="update")
    old = ResourceEvent.from_resource(generation("g1", "queued", seconds=1), event="update")
    memory = InMemoryBus()
    for bus in (a.bus, memory):
        assert await bus.publish(new) is True
        assert await bus.publish(old) is False
        assert await bus.publish(new) is True  # the same state again is not older


async def test_a_bus_whose_publish_returns_none_counts_as_accepted() -> None:
    class OldBus(InMemoryBus):
        async def publish(self, event: ResourceEvent) -> None:  # type: ignore[override]
            await super().publish(event)

    receiver = WebhookReceiver(secret=SECRET, bus=OldBus())
    ran: list[str] = []

    @receiver.on()
    async def handler(payload: WebhookPayload) -> None:
        ran.append(payload.id)

    body = delivery(generation("g1", "finished"), payload_id="p1")
    assert (await receiver.handle(headers(), body)).reason == "ok"
    assert ran == ["p1"]


# -- stores written for the old protocol -------------------------------------------------


async def test_a_contains_add_store_still_works_with_a_deprecation_warning() -> None:
    class OldStore:
        def __init__(self) -> None:
            self.seen: set[str] = set()

        async def contains(self, key: str) -> bool:
            return key in self.seen

        async def add(self, key: str) -> None:
            self.seen.add(key)

    store = OldStore()
    with pytest.warns(DeprecationWarning, match="claim"):
        receiver = WebhookReceiver(secret=SECRET, dedupe=store)  # type: ignore[arg-type]

    @receiver.on()
    async def handled(payload: WebhookPayload) -> None:
        return None

    body = delivery(generation("g1", "finished"), payload_id="p1")
    assert (await receiver.handle(headers(), body)).reason == "ok"
    assert (await receiver.handle(headers(), body)).reason == "duplicate"
    assert store.seen == {"p1"}


def test_something_that_is_no_store_is_refused() -> None:
    with pytest.raises(TypeError, match="claim"):
        WebhookReceiver(secret=SECRET, dedupe=object())  # type: ignore[arg-type]


def test_the_stores_satisfy_the_protocol() -> None:
    assert isinstance(InMemoryDedupe(), DedupeStore)
    store = RedisDedupe("redis://127.0.0.1:1/0")  # parses the URL only; never connects
    assert isinstance(store, DedupeStore)
    with pytest.raises(ValueError, match="exactly one"):
        RedisDedupe()
    for value in (float("nan"), -1, 0):
        with pytest.raises(ValueError, match="dedupe_lease"):
            WebhookReceiver(secret=SECRET, dedupe_lease=value)
        with pytest.raises(ValueError, match="busy_wait"):
            WebhookReceiver(secret=SECRET, busy_wait=value if value != 0 else -1)


async def test_claims_finished_in_another_task_are_not_kept_by_the_claiming_task() -> None:
    """``asyncio.shield(store.done(key))`` (done must take effect even if the caller is
    cancelled) forgets the token in the shielded task's context copy only: the claiming
    task must not keep every spent token (a set copied on every claim)."""
    store = InMemoryDedupe(max_entries=10)
    for i in range(200):
        key = f"delivery-{i}"
        assert await store.claim(key, 30.0) == "claimed"
        await asyncio.shield(store.done(key))
        assert await store.claim(key, 30.0) == "done"
    assert len(_TAKEN_HERE.get()) <= 1  # at most the last one, dropped at the next claim
