"""``Hooks(on_wait=...)``: every finished wait reports one ``WaitEvent``, saying how it ended,
what settled it, how long it took and how many GET answers it received. Each wait runs the
real SDK against the emulator, webhooks delivered over loopback to a real receiver."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from recrubo_async import (
    Client,
    Hooks,
    JobFailedError,
    ResourceDeletedError,
    WaitEvent,
    WaitTimeoutError,
)
from recrubo_async.bus import InMemoryBus
from recrubo_async.models import FlowGeneration, FlowRun, Resource
from recrubo_async.testing import Emulator, Faults
from recrubo_async.waiters import (
    CompletionWaiter,
    HybridWaiter,
    PollingWaiter,
    SyncWaiter,
    WebhookWaiter,
)

from ..support.deployment import (
    CONTEXT,
    FAST_POLL,
    PARAMETERS,
    Deployment,
    deployment,
    finished_event,
    generation,
    tenant,
)
from ..support.scripted_server import Reply, ScriptedServer
from ..support.timing import eventually, result_of


@asynccontextmanager
async def reporting(events: list[WaitEvent], **emulator_options: Any) -> AsyncIterator[Deployment]:
    """A deployment (manual clock unless told) whose client reports waits into ``events``."""
    options: dict[str, Any] = {"clock": "manual", **emulator_options}
    hooks = Hooks(on_wait=events.append)
    async with deployment(client_options={"hooks": hooks}, **options) as env:
        yield env


def gets_served(env: Deployment) -> int:
    return sum(env.emu.stats.gets.values())


def created(env: Deployment) -> int:
    return sum(env.emu.stats.created.values())


def generate(env: Deployment, waiter: CompletionWaiter, **kwargs: Any) -> asyncio.Task[Any]:
    return asyncio.create_task(
        env.client.flow_generations.create_and_wait(
            flow_type="vacancy_application_flow",
            parameters=PARAMETERS,
            context=CONTEXT,
            waiter=waiter,
            **kwargs,
        )
    )


async def after_first_look(env: Deployment, task: asyncio.Task[Any], gets_before: int) -> None:
    """Once the wait has created its job and read it queued, move the clock past its end."""
    await eventually(lambda: gets_served(env) > gets_before or task.done(), what="first look")
    await env.emu.advance(30)


def only(events: list[WaitEvent]) -> WaitEvent:
    assert len(events) == 1, events
    return events[0]


async def test_a_create_and_wait_settled_by_a_webhook_says_webhook_and_one_get() -> None:
    events: list[WaitEvent] = []
    async with reporting(events) as env:
        gets_before = gets_served(env)
        task = generate(env, WebhookWaiter(env.bus))
        await after_first_look(env, task, gets_before)
        gen = await result_of(task)
        event = only(events)
        assert event == WaitEvent(
            type="flowGenerations",
            id=gen.id,
            outcome="done",
            settled_by="webhook",
            duration=event.duration,
            gets=1,  # the look after subscribing
        )
        assert event.duration >= 0
        assert env.emu.stats.gets[gen.id] == 1


async def test_a_polled_wait_says_poll_and_counts_the_gets_it_received() -> None:
    events: list[WaitEvent] = []
    async with reporting(events) as env:
        gets_before = gets_served(env)
        task = generate(env, PollingWaiter(**FAST_POLL))
        await after_first_look(env, task, gets_before)
        gen = await result_of(task)
        event = only(events)
        assert (event.type, event.id, event.outcome, event.settled_by) == (
            "flowGenerations",
            gen.id,
            "done",
            "poll",
        )
        # Every GET answer the wait took; one still on its way when it ended is not one.
        assert 2 <= event.gets <= env.emu.stats.gets[gen.id]


async def test_a_bare_id_webhook_wait_counts_the_look_its_held_webhook_state_needed(
    production: Emulator,
) -> None:
    """A wait on an id (a WaitToken, ``wait("...")``) holds the bus's state until its own GET
    answers; the held state then ends it, and that GET answer is one it received."""
    events: list[WaitEvent] = []
    async with tenant(production, hooks=Hooks(on_wait=events.append)) as client:
        gen = await generation(client)
        bus = InMemoryBus()
        await bus.publish(finished_event(gen.id))  # the webhook came before the wait
        gets_before = production.stats.gets[gen.id]
        done = await client.flow_generations.wait(gen.id, waiter=WebhookWaiter(bus), timeout=10)
        assert done.status == "finished"
        assert production.stats.gets[gen.id] - gets_before == 1  # the look, and only it
    event = only(events)
    assert (event.outcome, event.settled_by, event.gets) == ("done", "webhook", 1)


async def test_a_wait_the_hybrid_safety_poll_settles_says_safety_poll() -> None:
    events: list[WaitEvent] = []
    async with reporting(events, faults=Faults(webhook_drop=1.0)) as env:
        waiter = HybridWaiter(env.bus, safety_poll_interval=0.05)
        gets_before = gets_served(env)
        task = generate(env, waiter)
        await after_first_look(env, task, gets_before)
        gen = await result_of(task)
        event = only(events)
        assert (event.id, event.outcome, event.settled_by) == (gen.id, "done", "safety_poll")
        assert event.gets >= 2  # the look, then at least one safety poll
        assert waiter.safety_poll_settled == 1


async def test_a_sandbox_sync_create_says_sync_and_no_gets() -> None:
    events: list[WaitEvent] = []
    async with reporting(events, mode="sandbox") as env:
        gen = await generate(env, SyncWaiter(fallback=PollingWaiter(**FAST_POLL)))
        assert gen.status == "finished"
        assert only(events) == WaitEvent(
            type="flowGenerations",
            id=gen.id,
            outcome="done",
            settled_by="sync",
            duration=events[0].duration,
            gets=0,
        )


async def test_a_sync_create_production_ignores_is_settled_by_the_fallback_poll() -> None:
    events: list[WaitEvent] = []
    async with reporting(events, mode="production") as env:
        gets_before = gets_served(env)
        task = generate(env, SyncWaiter(fallback=PollingWaiter(**FAST_POLL)))
        await after_first_look(env, task, gets_before)
        await result_of(task)
        assert only(events).settled_by == "poll"


async def test_a_create_answer_that_is_already_final_says_create() -> None:
    """An API answering a (non-sync) create with a finished job: no emulator does that."""
    finished = {
        "data": {
            "type": "flowGenerations",
            "id": "0b6a3c1e-5f0e-4c39-9a53-3d1f5f0c8a11",
            "attributes": {"status": "finished", "updatedAt": "2026-01-01T12:00:00Z"},
        }
    }
    events: list[WaitEvent] = []
    async with ScriptedServer() as server:
        server.add(Reply(status=201, body=finished))
        async with Client(
            "key-1234567890", base_url=server.url, hooks=Hooks(on_wait=events.append)
        ) as client:
            gen = await client.flow_generations.create_and_wait(
                flow_type="vacancy_application_flow",
                parameters=PARAMETERS,
                context=CONTEXT,
                waiter=PollingWaiter(**FAST_POLL),
            )
        assert len(server.requests) == 1  # the POST, and no GET
    assert gen.status == "finished"
    assert (only(events).settled_by, events[0].gets) == ("create", 0)


async def test_a_failed_flow_run_says_failed_and_what_delivered_the_failure() -> None:
    events: list[WaitEvent] = []
    async with reporting(events, mode="sandbox") as env:
        flow = await generate(env, SyncWaiter())
        assert flow.flow_id is not None
        thread = await env.client.message_threads.create(
            channel="whatsapp", identifier="31612345678"
        )
        env.emu.script_flow_run_outcome("exception", flow_id=flow.flow_id)
        events.clear()  # the generation's own wait
        gets_before = gets_served(env)
        task = asyncio.create_task(
            env.client.flow_runs.create_and_wait(
                flow_id=flow.flow_id, message_thread_id=thread.id, waiter=WebhookWaiter(env.bus)
            )
        )
        await after_first_look(env, task, gets_before)
        with pytest.raises(JobFailedError) as info:
            await result_of(task)
        run = info.value.resource
        assert isinstance(run, FlowRun)
        event = only(events)
        assert (event.type, event.id, event.outcome, event.settled_by, event.gets) == (
            "flowRuns",
            run.id,
            "failed",
            "webhook",
            1,
        )


async def test_a_job_deleted_while_polling_says_deleted_by_poll() -> None:
    events: list[WaitEvent] = []
    async with reporting(events) as env:
        gen = await env.generation()
        task = asyncio.create_task(
            env.client.flow_generations.wait(gen, waiter=PollingWaiter(**FAST_POLL))
        )
        await eventually(lambda: env.emu.stats.gets[gen.id] >= 1)
        await env.client.flow_generations.delete(gen)
        with pytest.raises(ResourceDeletedError):
            await result_of(task)
        event = only(events)
        assert (event.id, event.outcome, event.settled_by) == (gen.id, "deleted", "poll")
        assert event.gets >= 2  # a state, then the 404


async def test_a_job_deleted_by_webhook_says_deleted_by_webhook() -> None:
    events: list[WaitEvent] = []
    async with reporting(events) as env:
        gen = await env.generation()
        task = asyncio.create_task(
            env.client.flow_generations.wait(gen, waiter=WebhookWaiter(env.bus))
        )
        await eventually(lambda: env.emu.stats.gets[gen.id] >= 1)  # its look answered
        await env.client.flow_generations.delete(gen)
        await env.emu.advance(1)  # deliveries run on the emulator's clock
        with pytest.raises(ResourceDeletedError):
            await result_of(task)
        event = only(events)
        assert (event.outcome, event.settled_by, event.gets) == ("deleted", "webhook", 1)


async def test_a_timed_out_wait_says_timed_out_settled_by_nothing() -> None:
    events: list[WaitEvent] = []
    async with reporting(events) as env:
        gen = await env.generation()
        with pytest.raises(WaitTimeoutError):
            await env.client.flow_generations.wait(
                gen, timeout=0.2, waiter=PollingWaiter(**FAST_POLL)
            )
        event = only(events)
        assert (event.id, event.outcome, event.settled_by) == (gen.id, "timed_out", None)
        assert event.gets >= 1
        assert event.duration >= 0.15  # from the wait's start: at least its timeout


@pytest.mark.parametrize("kind", ["polling", "hybrid"])
async def test_a_cancelled_wait_says_cancelled_and_is_still_cancelled(kind: str) -> None:
    events: list[WaitEvent] = []
    async with reporting(events) as env:
        waiter: CompletionWaiter = (
            PollingWaiter(**FAST_POLL)
            if kind == "polling"
            else HybridWaiter(env.bus, safety_poll_interval=0.01)
        )
        gen = await env.generation()
        task = asyncio.create_task(env.client.flow_generations.wait(gen, waiter=waiter))
        await eventually(lambda: env.emu.stats.gets[gen.id] >= 1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        event = only(events)
        assert (event.id, event.outcome, event.settled_by) == (gen.id, "cancelled", None)


async def test_an_error_ending_a_wait_says_error() -> None:
    events: list[WaitEvent] = []
    async with reporting(events) as env:
        gen = await env.generation()

        def broken(status: str | None, state: Resource) -> None:
            raise KeyError("a bug in the caller's callback")

        with pytest.raises(KeyError):
            await env.client.flow_generations.wait(
                gen, waiter=PollingWaiter(**FAST_POLL), on_status=broken
            )
        assert (only(events).outcome, events[0].settled_by) == ("error", None)


async def test_a_raising_hook_is_logged_and_leaves_the_outcome_alone(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[WaitEvent] = []

    def broken(event: WaitEvent) -> None:
        raise RuntimeError("hook bug")

    async def recorded(event: WaitEvent) -> None:
        await asyncio.sleep(0)
        seen.append(event)

    hooks = Hooks(on_wait=[broken, recorded])
    async with deployment(mode="sandbox", clock="manual", client_options={"hooks": hooks}) as env:
        with caplog.at_level(logging.ERROR, logger="recrubo_async.hooks"):
            gen = await env.client.flow_generations.create_and_wait(
                flow_type="vacancy_application_flow",
                parameters=PARAMETERS,
                context=CONTEXT,
                waiter=SyncWaiter(),
            )
    assert isinstance(gen, FlowGeneration)
    assert gen.status == "finished"
    assert [e.outcome for e in seen] == ["done"]  # the async hook after it still ran
    assert any("hook bug" in r.getMessage() or r.exc_info for r in caplog.records)


async def test_without_on_wait_hooks_a_wait_is_the_bare_wait_loop() -> None:
    """No hooks, no cost: the coroutine a wait returns is ``run_wait`` itself."""
    events: list[WaitEvent] = []
    async with deployment(clock="manual") as env:
        plain = env.client.flow_generations.wait("g1", timeout=1)
        assert plain.cr_code.co_name == "run_wait"  # type: ignore[attr-defined]
        plain.close()
        reporting_client = env.client.with_options(hooks=Hooks(on_wait=events.append))
        wrapped = reporting_client.flow_generations.wait("g1", timeout=1)
        assert wrapped.cr_code.co_name == "run_reported_wait"  # type: ignore[attr-defined]
        wrapped.close()
    assert events == []
