"""Completion waiters against the emulator over real sockets: each waiter, each outcome."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import pytest

from recrubo_async import (
    Client,
    JobFailedError,
    ResourceDeletedError,
    WaitTimeoutError,
)
from recrubo_async.bus import InMemoryBus, ResourceEvent
from recrubo_async.bus._local import LocalSubscription
from recrubo_async.models import FlowGeneration, FlowRun, Resource, VacancyAnalysis
from recrubo_async.testing import Faults
from recrubo_async.waiters import (
    CompletionWaiter,
    HybridWaiter,
    PollingWaiter,
    SyncWaiter,
    WebhookWaiter,
)

from ..support.deployment import CONTEXT, FAST_POLL, PARAMETERS, Deployment, deployment, generate
from ..support.timing import eventually, result_of


def sdk_tasks() -> list[asyncio.Task[object]]:
    """Tasks running code of the SDK's waiters or buses (poll loops, merge pumps).

    Not the waits themselves: a task made from ``wait()`` runs ``run_wait``'s coroutine.
    """
    found = []
    for task in asyncio.all_tasks():
        code = getattr(task.get_coro(), "cr_code", None)
        filename = code.co_filename if code is not None else ""
        if code is not None and code.co_name == "run_wait":
            continue
        if "recrubo_async/waiters" in filename or "recrubo_async/bus" in filename:
            found.append(task)
    return found


JOB_TYPES = ("flowGenerations", "flowRuns", "vacancyAnalyses")


def jobs_created(env: Deployment) -> int:
    return sum(env.emu.stats.created[t] for t in JOB_TYPES)


async def finish_jobs(env: Deployment, baseline: int, seconds: float = 30) -> None:
    """Once the wait's POST is in, move the manual clock past every job's end."""
    await eventually(lambda: jobs_created(env) > baseline)
    await env.emu.advance(seconds)


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


async def test_a_failed_flow_run_raises_job_failed_with_its_state() -> None:
    async with deployment(mode="sandbox", clock="manual") as env:
        flow, thread = await flow_and_thread(env)
        env.emu.script_flow_run_outcome("exception", flow_id=flow)
        baseline = jobs_created(env)
        task = asyncio.create_task(
            env.client.flow_runs.create_and_wait(
                flow_id=flow, message_thread_id=thread, waiter=PollingWaiter(**FAST_POLL)
            )
        )
        await finish_jobs(env, baseline)
        with pytest.raises(JobFailedError) as info:
            await result_of(task)
        assert isinstance(info.value.resource, FlowRun)
        assert info.value.resource.status == "exception"


async def test_flow_run_until_started_returns_the_running_run() -> None:
    async with deployment(mode="sandbox", clock="manual") as env:
        flow, thread = await flow_and_thread(env)
        env.emu.script_flow_run_outcome("running", flow_id=flow)
        baseline = jobs_created(env)
        task = asyncio.create_task(
            env.client.flow_runs.create_and_wait(
                flow_id=flow,
                message_thread_id=thread,
                until="started",
                waiter=WebhookWaiter(env.bus),
            )
        )
        await finish_jobs(env, baseline, seconds=2)
        run = await result_of(task)
        assert run.status == "running"


async def test_watch_yields_each_status_once_and_ends_at_a_terminal_one() -> None:
    async with deployment(mode="sandbox", clock="manual") as env:
        flow, thread = await flow_and_thread(env)
        run = await env.client.flow_runs.create(flow_id=flow, message_thread_id=thread)
        seen: list[str | None] = []

        async def collect() -> None:
            async for state in env.client.flow_runs.watch(run, waiter=WebhookWaiter(env.bus)):
                seen.append(str(state.status))

        task = asyncio.create_task(collect())
        await eventually(lambda: seen == ["queued"])
        await env.emu.advance(2)
        await eventually(lambda: seen[-1] == "running")
        await env.emu.advance(30)
        await asyncio.wait_for(task, 5)
        assert seen == ["queued", "running", "finished"]


async def test_a_polling_wait_has_left_its_poll_loop_when_it_returns() -> None:
    # Not some loop iterations later, when the garbage collector finalizes a generator.
    async with deployment(clock="manual") as env:
        gen = await env.generation()
        waiter = PollingWaiter(**FAST_POLL)

        async def wait_then_count() -> int:
            await env.client.flow_generations.wait(gen, waiter=waiter)
            return waiter.active_polls  # read before this task yields to the loop again

        task = asyncio.create_task(wait_then_count())
        await eventually(lambda: waiter.active_polls == 1)
        await env.emu.advance(30)
        assert await result_of(task) == 0


async def test_closing_watch_early_releases_the_poll_loop_at_once() -> None:
    async with deployment(clock="manual") as env:
        gen = await env.generation()
        waiter = PollingWaiter(**FAST_POLL)
        watch = env.client.flow_generations.watch(gen, waiter=waiter)
        async with contextlib.aclosing(watch) as states:
            async for state in states:
                assert state.status == "queued"
                break
        assert waiter.active_polls == 0
        assert not sdk_tasks()


async def test_deleting_the_resource_while_polling_raises_resource_deleted() -> None:
    async with deployment(clock="manual") as env:
        gen = await env.generation()
        task = asyncio.create_task(
            env.client.flow_generations.wait(gen, waiter=PollingWaiter(**FAST_POLL))
        )
        await eventually(lambda: env.emu.stats.gets[gen.id] >= 1)
        await env.client.flow_generations.delete(gen)
        with pytest.raises(ResourceDeletedError, match="deleted"):
            await result_of(task)


async def test_a_delete_webhook_raises_resource_deleted() -> None:
    async with deployment(clock="manual") as env:
        gen = await env.generation()
        assert isinstance(env.bus, InMemoryBus)
        bus = env.bus
        task = asyncio.create_task(env.client.flow_generations.wait(gen, waiter=WebhookWaiter(bus)))
        await eventually(lambda: bus.subscription_count == 1)
        await bus.publish(
            ResourceEvent.from_resource(
                {"type": "flowGenerations", "id": gen.id, "attributes": {}}, event="delete"
            )
        )
        with pytest.raises(ResourceDeletedError):
            await result_of(task)
        assert bus.subscription_count == 0


async def test_the_overall_timeout_raises_with_the_last_state_seen() -> None:
    async with deployment(clock="manual") as env:
        gen = await env.generation()
        with pytest.raises(WaitTimeoutError) as info:
            await env.client.flow_generations.wait(
                gen, timeout=0.2, waiter=PollingWaiter(**FAST_POLL)
            )
        last = info.value.last_seen
        assert isinstance(last, FlowGeneration)
        assert last.status == "queued"
        assert "timeout=" in str(info.value)


@pytest.mark.parametrize("kind", ["polling", "webhook", "hybrid"])
async def test_cancelling_a_wait_leaves_nothing_behind(kind: str) -> None:
    async with deployment(clock="manual") as env:
        assert isinstance(env.bus, InMemoryBus)
        poller = PollingWaiter(**FAST_POLL)
        waiters: dict[str, CompletionWaiter] = {
            "polling": poller,
            "webhook": WebhookWaiter(env.bus),
            "hybrid": HybridWaiter(env.bus, safety_poll_interval=0.01),
        }
        waiter = waiters[kind]
        gen = await env.generation()
        tasks = [
            asyncio.create_task(env.client.flow_generations.wait(gen, waiter=waiter))
            for _ in range(5)
        ]
        await asyncio.sleep(0.1)
        assert sdk_tasks() or kind == "webhook"  # poll loops and pumps were running
        for task in tasks:
            task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert all(isinstance(r, asyncio.CancelledError) for r in results)
        await asyncio.sleep(0)
        assert env.bus.subscription_count == 0
        assert poller.active_polls == 0
        if isinstance(waiter, WebhookWaiter):
            assert waiter.fallback.active_polls == 0
        assert sdk_tasks() == []
        # The remote job is left alone.
        assert (await env.client.flow_generations.retrieve(gen)).status == "queued"


async def flow_and_thread(env: Deployment) -> tuple[str, str]:
    gen = await generate(env, SyncWaiter())
    assert gen.flow_id is not None
    thread = await env.client.message_threads.create(channel="whatsapp", identifier="31612345678")
    return gen.flow_id, thread.id


async def test_a_timeout_inside_on_status_is_not_the_waits_timeout() -> None:
    async with deployment(clock="manual") as env:
        gen = await env.generation()

        async def slow_display(status: str | None, state: Resource) -> None:
            await asyncio.wait_for(asyncio.sleep(1), 0.01)

        for timeout in (60.0, None):
            with pytest.raises(asyncio.TimeoutError) as info:
                await env.client.flow_generations.wait(
                    gen, timeout=timeout, on_status=slow_display, waiter=PollingWaiter(**FAST_POLL)
                )
            assert not isinstance(info.value, WaitTimeoutError)


async def test_a_shared_poll_outlives_the_client_that_started_it() -> None:
    async with deployment(clock="manual") as env:
        gen = await env.generation()
        shared = PollingWaiter(**FAST_POLL)
        token = env.client._config.api_key.reveal()
        other = Client(token, base_url=env.emu.base_url)
        first = asyncio.create_task(other.flow_generations.wait(gen, waiter=shared))
        await eventually(lambda: shared.listeners == 1)
        second = asyncio.create_task(env.client.flow_generations.wait(gen, waiter=shared))
        await eventually(lambda: shared.listeners == 2)
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        await other.aclose()  # the client whose wait started the poll loop is gone
        await env.emu.advance(30)
        assert (await result_of(second)).status == "finished"
