"""Acceptance tests of the webhook receiver, driven by real deliveries from the emulator.

The emulator POSTs webhooks to a ``WebhookReceiver`` mounted on an aiohttp app on loopback
(``add_routes``); nothing is synthesized (bodies built by hypothesis are in
``test_webhooks_fuzz.py``). Every scenario runs on the emulator's manual clock, so retries
and held-back deliveries happen exactly when ``advance`` says, and every test is bounded
by a timeout.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, ParamSpec

import pytest

from recrubo_async import Client
from recrubo_async.bus import InMemoryBus
from recrubo_async.models import Candidate, FlowGeneration
from recrubo_async.testing import Delivery, Emulator, Faults
from recrubo_async.webhooks import WebhookEvent, WebhookPayload, WebhookReceiver

from ..support.deployment import deployment
from ..support.servers import receiver_app, serve

P = ParamSpec("P")

SECRET = "whsec-emulator-acceptance-0001"
OLD_SECRET = "whsec-rotation-old-0001"
NEW_SECRET = "whsec-rotation-new-0002"
#: Emulated seconds between delivery attempts: the real 24-hour schedule, compressed.
RETRIES = (2.0, 4.0, 8.0, 16.0, 32.0)
#: Longer than every retry of RETRIES together, so advancing by it runs them all.
PAST_ALL_RETRIES = sum(RETRIES) + 1
#: How long a delivery (or a test) may take before it counts as hung, in real seconds.
RECEIVER_TIMEOUT = 2.0
TEST_TIMEOUT = 10.0


def bounded(
    seconds: float = TEST_TIMEOUT,
) -> Callable[[Callable[P, Awaitable[None]]], Callable[P, Coroutine[Any, Any, None]]]:
    """Fail a test that has not finished within ``seconds`` instead of hanging the run."""

    def wrap(test: Callable[P, Awaitable[None]]) -> Callable[P, Coroutine[Any, Any, None]]:
        @functools.wraps(test)
        async def run(*args: P.args, **kwargs: P.kwargs) -> None:
            await asyncio.wait_for(test(*args, **kwargs), seconds)

        return run

    return wrap


@asynccontextmanager
async def served(receiver: WebhookReceiver, path: str = "/hooks/recrubo") -> AsyncIterator[str]:
    """Mount ``receiver`` on an aiohttp app on loopback; yields the webhook URL."""
    async with serve(receiver_app(receiver, path), shutdown_timeout=1.0) as server:
        yield server.url(path)


def emulator(**options: Any) -> Emulator:
    """A production-mode emulator on a manual clock with a compressed retry schedule."""
    settings_: dict[str, Any] = {
        "mode": "production",
        "clock": "manual",
        "seed": 11,
        "webhook_retry_schedule": RETRIES,
        "webhook_timeout": RECEIVER_TIMEOUT,
        **options,
    }
    return Emulator(**settings_)


def attempts_of(deliveries: list[Delivery], payload_id: str) -> list[tuple[int, int | None]]:
    """(attempt, status) of every delivery of one payload, duplicates included."""
    return [(d.attempt, d.status) for d in deliveries if d.payload_id == payload_id]


def updated_at(payload: WebhookPayload) -> datetime:
    value = getattr(payload.resource, "updated_at", None)
    assert isinstance(value, datetime), payload
    return value


# -- 1. happy path ------------------------------------------------------------------------


@bounded()
async def test_candidate_create_update_and_delete_reach_typed_handlers_with_event_and_fields() -> (
    None
):
    bus = InMemoryBus()
    receiver = WebhookReceiver(secret=SECRET, bus=bus)
    seen: dict[str, list[WebhookPayload]] = {"create": [], "update": [], "delete": []}

    @receiver.on("candidates", "create")
    async def created(payload: WebhookPayload) -> None:
        seen["create"].append(payload)

    @receiver.on("candidates", "update")
    async def updated(payload: WebhookPayload) -> None:
        seen["update"].append(payload)

    @receiver.on("candidates", "delete")
    async def deleted(payload: WebhookPayload) -> None:
        seen["delete"].append(payload)

    async with served(receiver) as url, emulator() as emu:
        org = await emu.create_organization("Happy")
        async with Client(org.token, base_url=emu.base_url) as client:
            await client.organizations.configure_webhooks(url=url, secret=SECRET)
            subs = await client.webhooks.subscribe(
                "candidates", events=["create", "update", "delete"]
            )
            sub_ids = {str(s.event): s.id for s in subs}
            assert set(sub_ids) == {"create", "update", "delete"}

            cand = await client.candidates.create(phone="31600000001", first_name="Ada")
            await emu.advance(0)
            assert [p.resource.id for p in seen["create"]] == [cand.id]
            await client.candidates.update(cand, first_name="Grace")
            await emu.advance(0)
            assert len(seen["update"]) == 1
            await client.candidates.delete(cand)
            await emu.advance(0)

        [create], [update], [delete] = seen["create"], seen["update"], seen["delete"]
        for payload, event in ((create, "create"), (update, "update"), (delete, "delete")):
            assert isinstance(payload.resource, Candidate)
            assert payload.resource.id == cand.id
            assert payload.event is WebhookEvent(event)
            assert payload.webhook_id == sub_ids[event]
            assert payload.raw_resource["type"] == "candidates"

        assert isinstance(create.resource, Candidate)
        assert create.resource.first_name == "Ada"
        assert create.resource.phone == "31600000001"
        assert {"firstName", "phone", "email", "createdAt", "updatedAt"} <= set(create.fields)

        assert isinstance(update.resource, Candidate)
        assert update.resource.first_name == "Grace"
        assert set(update.fields) == {"firstName", "updatedAt"}
        assert updated_at(update) > updated_at(create)

        assert isinstance(delete.resource, Candidate)
        assert delete.fields == ()
        assert delete.resource.first_name == "Grace"  # the last state before deletion

        # Three payloads, each delivered once and answered 200.
        assert [(d.event, d.attempt, d.status) for d in emu.deliveries] == [
            ("create", 1, 200),
            ("update", 1, 200),
            ("delete", 1, 200),
        ]
        assert len({d.payload_id for d in emu.deliveries}) == 3
        latest = await bus.latest("candidates", cand.id)
        assert latest is not None and latest.event == "delete"


# -- 2. secrets ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "org_secret", [pytest.param("whsec-someone-else", id="wrong"), pytest.param(None, id="missing")]
)
@bounded()
async def test_every_delivery_attempt_with_a_wrong_or_missing_secret_is_401_and_never_handled(
    org_secret: str | None,
) -> None:
    bus = InMemoryBus()
    receiver = WebhookReceiver(secret=SECRET, bus=bus)
    handled: list[WebhookPayload] = []

    @receiver.on()
    async def anything(payload: WebhookPayload) -> None:
        handled.append(payload)

    async with served(receiver) as url, emulator() as emu:
        org = await emu.create_organization(
            "Misconfigured", webhook_url=url, webhook_secret=org_secret
        )
        async with Client(org.token, base_url=emu.base_url) as client:
            await client.webhooks.subscribe("candidates", events=["create"])
            cand = await client.candidates.create(phone="31600000002")
        await emu.advance(0)
        assert [(d.attempt, d.status) for d in emu.deliveries] == [(1, 401)]
        await emu.advance(PAST_ALL_RETRIES)

        log = emu.deliveries
        assert [(d.attempt, d.status) for d in log] == [(n, 401) for n in range(1, 7)]
        assert len({d.payload_id for d in log}) == 1
        assert all(not d.ok and d.error == "HTTP 401" for d in log)
        gaps = [(b.at - a.at).total_seconds() for a, b in itertools.pairwise(log)]
        assert gaps == list(RETRIES)
        assert emu.stats.webhooks["gave_up"] == 1
        assert handled == []
        assert await bus.latest("candidates", cand.id) is None


@bounded()
async def test_during_secret_rotation_deliveries_with_the_old_and_the_new_secret_are_accepted() -> (
    None
):
    receiver = WebhookReceiver(secret=NEW_SECRET, secrets=[OLD_SECRET])
    # Accepts only the new secret: proves the emulator really switched.
    strict = WebhookReceiver(secret=NEW_SECRET)
    strict_seen: list[str | None] = []

    @strict.on("candidates", "update")
    async def strictly(payload: WebhookPayload) -> None:
        assert isinstance(payload.resource, Candidate)
        strict_seen.append(payload.resource.first_name)

    calls: Counter[str] = Counter()
    handled: dict[str, str | None] = {}

    @receiver.on("candidates")
    async def record(payload: WebhookPayload) -> None:
        calls[payload.id] += 1
        assert isinstance(payload.resource, Candidate)
        if payload.resource.first_name == "Flaky" and calls[payload.id] == 1:
            raise RuntimeError("first attempt fails, so it is retried after the switch")
        handled[payload.id] = payload.resource.first_name

    async with (
        served(receiver) as url,
        served(strict, "/hooks/strict") as strict_url,
        emulator() as emu,
    ):
        org = await emu.create_organization("Rotating", webhook_url=url, webhook_secret=OLD_SECRET)
        async with Client(org.token, base_url=emu.base_url) as client:
            await client.webhooks.subscribe("candidates", events=["create"])
            await client.candidates.create(phone="31600000003", first_name="Before")
            await client.candidates.create(phone="31600000004", first_name="Flaky")
            await emu.advance(0)
            assert sorted(d.status or 0 for d in emu.deliveries) == [200, 500]

            # The organization switches to the new secret; the receiver still knows the old.
            await client.organizations.configure_webhooks(url=url, secret=NEW_SECRET)
            after = await client.candidates.create(phone="31600000005", first_name="After")
            await client.webhooks.subscribe("candidates", events=["update"], webhook_url=strict_url)
            await client.candidates.update(after, first_name="After2")
            await emu.advance(PAST_ALL_RETRIES)

        assert sorted(v or "" for v in handled.values()) == ["After", "Before", "Flaky"]
        assert strict_seen == ["After2"]
        assert all(d.status != 401 for d in emu.deliveries)
        assert [d.status for d in emu.deliveries if d.ok] == [200, 200, 200, 200]
        flaky = next(pid for pid, name in handled.items() if name == "Flaky")
        # Published under the old secret, redelivered after the switch, still accepted.
        assert attempts_of(emu.deliveries, flaky) == [(1, 500), (2, 200)]


# -- 3. duplicated, delayed, reordered ----------------------------------------------------

GenerationSeen = list[tuple[str, str, datetime]]


def _record_generations(receiver: WebhookReceiver) -> tuple[GenerationSeen, Counter[str]]:
    seen: GenerationSeen = []
    calls: Counter[str] = Counter()

    @receiver.on("flowGenerations")
    async def record(payload: WebhookPayload) -> None:
        calls[payload.id] += 1
        assert isinstance(payload.resource, FlowGeneration)
        seen.append((payload.id, str(payload.resource.status), updated_at(payload)))
        await asyncio.sleep(0)  # a handler doing I/O yields to the loop

    return seen, calls


def _assert_ordered_once_and_finished(
    seen: GenerationSeen, calls: Counter[str], deliveries: list[Delivery]
) -> None:
    assert calls and max(calls.values()) == 1, calls  # each payload id handled at most once
    # Updates are ordered; the create (queued) is an event of its own and is dispatched
    # even when it arrives after an update.
    times = [t for _, status, t in seen if status != "queued"]
    assert times == sorted(times), seen  # never an older update after a newer one
    assert [status for _, status, _ in seen if status != "queued"][-1] == "finished", seen
    assert all(d.ok for d in deliveries), deliveries
    delivered = {d.payload_id for d in deliveries}
    assert set(calls) <= delivered
    # webhook_duplicate=1.0: every payload arrived twice (the second answered "duplicate").
    assert Counter(d.payload_id for d in deliveries) == dict.fromkeys(delivered, 2)
    assert sum(d.duplicate for d in deliveries) == len(delivered)


#: Seeds whose draws cover in-order arrival and every way a generation's states overtake
#: each other (the queued, the processing, or both arriving after a newer state).
SEEDS = (1, 2, 7, 8, 9, 13, 24)


@bounded()
async def test_seeded_duplicated_delayed_reordered_generation_webhooks_run_once_in_order() -> None:
    faults = Faults(webhook_duplicate=1.0, webhook_delay=0.5, webhook_reorder=0.5, reorder_window=5)
    overtaken = 0
    for seed in SEEDS:
        async with deployment(
            clock="manual", seed=seed, faults=faults, webhook_timeout=RECEIVER_TIMEOUT
        ) as env:
            seen, calls = _record_generations(env.receiver)
            await env.client.webhooks.subscribe("flowGenerations", events=["create"])
            gen = await env.generation()
            assert gen.status == "queued"
            await env.emu.advance(60)  # queued -> processing -> finished, every delivery due

            _assert_ordered_once_and_finished(seen, calls, env.emu.deliveries)
            latest = await env.bus.latest("flowGenerations", gen.id)
            assert latest is not None and latest.status == "finished", seed
            assert env.emu.stats.faults["webhook_duplicate"] == 3, seed
            assert env.emu.stats.faults["webhook_delay"] == 3, seed
            overtaken += len(_stale(env.emu, calls))
    assert overtaken > 0  # some older states really did arrive late (and were dropped)


def _stale(emu: Emulator, handled: Counter[str]) -> set[str]:
    """Payloads delivered (200) whose handlers never ran: the late, older states."""
    return {d.payload_id for d in emu.deliveries if d.payload_id not in handled}


@bounded()
async def test_an_older_generation_state_overtaken_by_a_newer_is_acknowledged_not_dispatched() -> (
    None
):
    async with deployment(
        clock="manual",
        seed=42,
        faults=Faults(webhook_duplicate=1.0, webhook_delay=0.5),
        webhook_timeout=RECEIVER_TIMEOUT,
    ) as env:
        emu = env.emu
        seen, calls = _record_generations(env.receiver)
        await env.client.webhooks.subscribe("flowGenerations", events=["create"])
        gen = await env.generation()
        await emu.advance(0.5)  # the create (queued) arrives
        assert [s for _, s, _ in seen] == ["queued"]

        # Hold back only the payload of the queued -> processing change (timings: 1 s queued,
        # 3 s processing), long enough for the finished one to overtake it.
        emu.faults = Faults(
            webhook_duplicate=1.0, webhook_delay=0.5, webhook_reorder=1.0, reorder_window=10
        )
        await emu.advance(0.5)  # t=1: processing is published, held back until t=11.5
        emu.faults = Faults(webhook_duplicate=1.0, webhook_delay=0.5)
        await emu.advance(4)  # t=5: finished published at t=4, delivered at t=4.5
        assert [s for _, s, _ in seen] == ["queued", "finished"]
        sub = await env.bus.subscribe("flowGenerations", gen.id)
        await emu.advance(10)  # t=15: the processing payload finally arrives

        assert [s for _, s, _ in seen] == ["queued", "finished"]
        _assert_ordered_once_and_finished(seen, calls, emu.deliveries)
        [late] = _stale(emu, calls)
        assert attempts_of(emu.deliveries, late) == [(1, 200), (1, 200)]
        finished_id = seen[-1][0]
        order = [d.payload_id for d in emu.deliveries if not d.duplicate]
        assert order.index(finished_id) < order.index(late)  # it really was overtaken
        assert emu.stats.faults["webhook_reorder"] == 1
        latest = await env.bus.latest("flowGenerations", gen.id)
        assert latest is not None and latest.status == "finished"
        with pytest.raises(asyncio.TimeoutError):  # nothing older was published to waiters
            await asyncio.wait_for(sub.get(), 0.05)
        await sub.close()


# -- 5. a failing handler and the emulator's redelivery -----------------------------------


@bounded()
async def test_a_failing_handler_gets_a_redelivery_on_the_retry_schedule_handled_exactly_once() -> (
    None
):
    async with deployment(
        clock="manual",
        seed=5,
        faults=Faults(webhook_duplicate=1.0),
        webhook_retry_schedule=RETRIES,
        webhook_timeout=RECEIVER_TIMEOUT,
    ) as env:
        emu = env.emu
        tries: Counter[str] = Counter()
        successes: Counter[str] = Counter()
        statuses: dict[str, str] = {}

        @env.receiver.on("flowGenerations", "update")
        async def flaky(payload: WebhookPayload) -> None:
            tries[payload.id] += 1
            assert isinstance(payload.resource, FlowGeneration)
            if payload.resource.status == "processing" and tries[payload.id] == 1:
                raise RuntimeError("the database is down for a moment")
            successes[payload.id] += 1
            statuses[payload.id] = str(payload.resource.status)

        gen = await env.generation()
        await emu.advance(1)  # t=1: processing delivered, the handler fails: 500
        [failed] = emu.deliveries
        assert (failed.attempt, failed.status, failed.duplicate) == (1, 500, False)
        assert successes == Counter()

        await emu.advance(RETRIES[0] - 0.01)  # the retry is not due yet
        assert len(emu.deliveries) == 1
        await emu.advance(0.01)  # t=3: the retry, duplicated by the fault
        assert attempts_of(emu.deliveries, failed.payload_id) == [(1, 500), (2, 200), (2, 200)]
        retry, duplicate = emu.deliveries[1:]
        assert (retry.at - failed.at).total_seconds() == RETRIES[0]
        assert (retry.duplicate, duplicate.duplicate) == (False, True)

        await emu.advance(PAST_ALL_RETRIES)  # finished, and no further attempt of anything
        assert successes == Counter(dict.fromkeys(statuses, 1))
        assert sorted(statuses.values()) == ["finished", "processing"]
        assert tries[failed.payload_id] == 2
        assert statuses[failed.payload_id] == "processing"
        assert attempts_of(emu.deliveries, failed.payload_id) == [(1, 500), (2, 200), (2, 200)]
        assert emu.stats.webhooks["gave_up"] == 0
        latest = await env.bus.latest("flowGenerations", gen.id)
        assert latest is not None and latest.status == "finished"
