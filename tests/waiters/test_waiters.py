"""Completion waiters against the emulator over real sockets: each waiter, each outcome."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from recrubo_async import Client
from recrubo_async.bus import InMemoryBus
from recrubo_async.bus._local import LocalSubscription
from recrubo_async.errors import ResponseTooLargeError
from recrubo_async.models import Resource, VacancyAnalysis
from recrubo_async.testing import Emulator, Faults
from recrubo_async.waiters import (
    CompletionWaiter,
    HybridWaiter,
    PollingWaiter,
    SyncWaiter,
    WebhookWaiter,
)
from recrubo_async.waiters._polling import is_transient

from ..support.deployment import (
    CONTEXT,
    FAST_POLL,
    PARAMETERS,
    deployment,
    generate,
    generation,
    tenant,
)
from ..support.scripted_server import Reply, ScriptedServer
from ..support.timing import eventually, result_of
from ._jobs import finish_jobs, jobs_created


async def test_polling_waiter_returns_the_finished_generation_and_reports_statuses() -> None:
    async with deployment(clock="manual") as env:
        statuses: list[str | None] = []

        async def on_status(status: str | None, state: Resource) -> None:
            statuses.append(status)

        waiter = PollingWaiter(**FAST_POLL)
        baseline = jobs_created(env)
        task = asyncio.create_task(generate(env, waiter, on_status=on_status))
        await finish_jobs(env, baseline)
        gen = await result_of(task)
        assert gen.status == "finished"
        assert gen.flow_id is not None
        assert statuses[0] == "queued"
        assert statuses[-1] == "finished"
        assert len(statuses) == len(set(statuses))
        assert waiter.active_polls == 0
        assert waiter.listeners == 0


async def test_the_client_default_waiter_is_a_polling_waiter_used_by_every_call() -> None:
    waiter = PollingWaiter(**FAST_POLL)
    async with deployment(clock="manual", client_options={"waiter": waiter}) as env:
        assert env.client.waiter is waiter
        baseline = jobs_created(env)
        task = asyncio.create_task(
            env.client.flow_generations.create_and_wait(
                flow_type="vacancy_application_flow", parameters=PARAMETERS, context=CONTEXT
            )
        )
        await finish_jobs(env, baseline)
        assert (await result_of(task)).status == "finished"
        assert waiter.polls >= 1


async def test_sync_waiter_in_the_sandbox_needs_no_poll() -> None:
    async with deployment(mode="sandbox", clock="manual") as env:
        waiter = SyncWaiter(fallback=PollingWaiter(**FAST_POLL))
        gen = await generate(env, waiter)
        assert gen.status == "finished"
        assert env.emu.stats.requests["POST /flow-generations"] == 1
        assert env.emu.stats.gets[gen.id] == 0
        analysis = await env.client.vacancy_analyses.create_and_wait(
            input_text="Driver with a B license; speaks Dutch.", waiter=waiter
        )
        assert isinstance(analysis, VacancyAnalysis)
        assert analysis.analyze_result is not None
        assert env.emu.stats.gets[analysis.id] == 0


async def test_sync_waiter_falls_back_when_production_ignores_the_flag() -> None:
    async with deployment(mode="production", clock="manual") as env:
        fallback = PollingWaiter(**FAST_POLL)
        baseline = jobs_created(env)
        task = asyncio.create_task(generate(env, SyncWaiter(fallback=fallback)))
        await finish_jobs(env, baseline)
        gen = await result_of(task)
        assert gen.status == "finished"
        assert fallback.polls >= 1


async def test_webhook_waiter_resolves_from_events_with_one_get() -> None:
    async with deployment(clock="manual") as env:
        waiter = WebhookWaiter(env.bus)
        baseline = jobs_created(env)
        task = asyncio.create_task(generate(env, waiter))
        await finish_jobs(env, baseline)
        gen = await result_of(task)
        assert gen.status == "finished"
        assert env.emu.stats.gets[gen.id] == 1  # the look after subscribing, nothing more
        assert isinstance(env.bus, InMemoryBus)
        assert env.bus.subscription_count == 0


async def test_webhook_waiter_can_fall_back_to_polling() -> None:
    async with deployment(clock="manual", faults=Faults(webhook_drop=1.0)) as env:
        waiter = WebhookWaiter(
            env.bus, fallback_poll_after=0.05, fallback=PollingWaiter(**FAST_POLL)
        )
        baseline = jobs_created(env)
        task = asyncio.create_task(generate(env, waiter))
        await finish_jobs(env, baseline)
        assert (await result_of(task)).status == "finished"


async def test_hybrid_waiter_resolves_by_safety_poll_when_webhooks_are_lost() -> None:
    async with deployment(clock="manual", faults=Faults(webhook_drop=1.0)) as env:
        waiter = HybridWaiter(env.bus, safety_poll_interval=0.05)
        baseline = jobs_created(env)
        task = asyncio.create_task(generate(env, waiter))
        await finish_jobs(env, baseline)
        gen = await result_of(task)
        assert gen.status == "finished"
        assert env.emu.deliveries == [] or all(not d.ok for d in env.emu.deliveries)


async def test_hybrid_waiter_resolves_by_webhook_before_any_safety_poll() -> None:
    async with deployment(clock="manual") as env:
        waiter = HybridWaiter(env.bus, safety_poll_interval=60)
        baseline = jobs_created(env)
        task = asyncio.create_task(generate(env, waiter))
        await finish_jobs(env, baseline)
        gen = await result_of(task)
        assert env.emu.stats.gets[gen.id] == 1


class LateSubscribingBus(InMemoryBus):
    """Lets the job finish (and its webhook arrive) before the subscription is made: the
    race between create and subscribe, which cannot be timed reliably otherwise."""

    def __init__(self) -> None:
        super().__init__()
        self.before_subscribe: Callable[[], object] | None = None

    async def subscribe(self, type: str, id: str) -> LocalSubscription:
        if self.before_subscribe is not None:
            result = self.before_subscribe()
            if asyncio.iscoroutine(result):
                await result
        return await super().subscribe(type, id)


@pytest.mark.parametrize("kind", ["webhook", "hybrid"])
async def test_a_job_finishing_between_create_and_subscribe_is_still_seen(kind: str) -> None:
    bus = LateSubscribingBus()
    # Every GET of the generation fails, so only the bus's latest state can settle the wait.
    faults = Faults(rate_503=1.0, methods={"GET"}, resources={"flow-generations"})
    async with deployment(
        clock="manual", bus=bus, faults=faults, client_options={"max_retries": 0}
    ) as env:

        async def finish_first() -> None:
            await env.emu.advance(30)
            await eventually(lambda: any(d.ok for d in env.emu.deliveries))

        bus.before_subscribe = finish_first
        waiter: CompletionWaiter = (
            WebhookWaiter(bus) if kind == "webhook" else HybridWaiter(bus, safety_poll_interval=60)
        )
        gen = await asyncio.wait_for(generate(env, waiter), 10)
        assert gen.status == "finished"
        assert env.emu.stats.gets[gen.id] == 0  # settled by the bus's latest state alone


async def test_many_waits_on_one_id_share_one_poll() -> None:
    async with deployment(clock="manual") as env:
        gen = await env.generation()
        waiter = PollingWaiter(interval=0.05, max_interval=0.05, jitter=0.0)
        loop = asyncio.get_running_loop()
        started = loop.time()
        tasks = [
            asyncio.create_task(env.client.flow_generations.wait(gen.id, waiter=waiter))
            for _ in range(100)
        ]
        await asyncio.sleep(0.5)
        assert waiter.active_polls == 1
        assert waiter.listeners == 100
        await env.emu.advance(30)
        results = await asyncio.gather(*tasks)
        elapsed = loop.time() - started
        assert {r.status for r in results} == {"finished"}
        gets = env.emu.stats.gets[gen.id]
        assert gets <= elapsed / 0.05 + 2  # one GET per interval, not one per wait
        assert waiter.active_polls == 0
        assert waiter.listeners == 0


#: A flow generation the scripted API answers with once its 408s are spent.
GID = "6f2cb2b5-aadf-4875-8765-27626a87a474"
FINISHED = {
    "data": {
        "type": "flowGenerations",
        "id": GID,
        "attributes": {"status": "finished", "updatedAt": "2026-01-01T12:00:00Z"},
    }
}
WAITERS_FOR_408: dict[str, Callable[[], CompletionWaiter]] = {
    "polling": lambda: PollingWaiter(**FAST_POLL),
    # A wait on an id: its look after subscribing is tried again (after 1 s) until it answers.
    "webhook": lambda: WebhookWaiter(InMemoryBus()),
}


@pytest.mark.parametrize("kind", sorted(WAITERS_FOR_408))
async def test_a_408_after_the_clients_retries_does_not_end_a_wait(kind: str) -> None:
    """The client retries a 408 like a 429 or a 5xx; the wait's next GET tries again too."""
    async with ScriptedServer(default=Reply(body=FINISHED)) as server:
        server.add(Reply(status=408, body={"errors": [{"status": "408", "title": "Timeout"}]}))
        async with Client("k" * 32, base_url=server.url, max_retries=0) as client:
            waiter = WAITERS_FOR_408[kind]()
            done = await client.flow_generations.wait(GID, waiter=waiter, timeout=30)
        assert done.status == "finished"
        assert len(server.requests) == 2  # the 408, then the GET that answered


def test_an_oversized_answer_is_not_transient() -> None:
    error = ResponseTooLargeError(
        "too large", method="GET", url="https://x/flow-generations/1", status=200, limit=64
    )
    assert not is_transient(error)


async def test_a_poll_whose_answer_is_too_large_ends_the_wait(production: Emulator) -> None:
    async with tenant(production) as client:
        gen = await generation(client)
        small = client.with_options(max_response_size=64)
        with pytest.raises(ResponseTooLargeError):  # every GET of it is over the limit
            await small.flow_generations.retrieve(gen.id)
        with pytest.raises(ResponseTooLargeError):
            await small.flow_generations.wait(gen.id, waiter=PollingWaiter(**FAST_POLL), timeout=3)
