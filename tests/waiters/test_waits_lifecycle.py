"""Waits against the emulator over real sockets: flow runs, watch, deletes, timeouts and
cancellation, and what a finished or cancelled wait leaves behind."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from recrubo_async import (
    Client,
    JobFailedError,
    ResourceDeletedError,
    WaitTimeoutError,
)
from recrubo_async.bus import InMemoryBus, ResourceEvent
from recrubo_async.models import FlowGeneration, FlowRun, Resource
from recrubo_async.waiters import (
    CompletionWaiter,
    HybridWaiter,
    PollingWaiter,
    WebhookWaiter,
)

from ..support.deployment import FAST_POLL, deployment
from ..support.timing import eventually, result_of
from ._jobs import finish_jobs, flow_and_thread, jobs_created, sdk_tasks


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
