"""A webhook ends a wait even while its check GET is in flight; a safety poll that settles
a wait (a state it ended on, or a delete it found) is reported, and one that did not (a
wait that timed out, a watch broken off) is not.

GETs are slowed by the emulator's latency fault; ``finished`` is published on the bus as
a receiver would, long before the GET could answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import pytest

from recrubo_async import Hooks, ResourceDeletedError, WaitEvent, WaitTimeoutError
from recrubo_async.bus import InMemoryBus
from recrubo_async.testing import Emulator, Faults
from recrubo_async.waiters import HybridWaiter, WebhookWaiter

from ..support.deployment import deployment, finished_event, generation, tenant
from ..support.timing import eventually

SLOW_GETS = Faults(latency=3.0, methods={"GET"}, resources={"flow-generations"})


def look_tasks() -> list[asyncio.Task[object]]:
    """Tasks still running a waiter's check GET."""
    return [t for t in asyncio.all_tasks() if getattr(t.get_coro(), "__name__", "") in {"_look"}]


async def test_a_webhook_ends_the_wait_while_the_check_get_is_slow(production: Emulator) -> None:
    bus = InMemoryBus()
    async with tenant(production) as client:
        gen = await generation(client)
        production.faults = SLOW_GETS
        waiter = WebhookWaiter(bus)

        async def publish_soon() -> None:
            await asyncio.sleep(0.3)
            await bus.publish(finished_event(gen.id))

        publisher = asyncio.create_task(publish_soon())
        # Without the GET running beside the subscription, the wait is stuck behind it
        # for 3 s and times out at 2 s.
        # On the created model, as create_and_wait does: this client has seen it, so a
        # bus state may settle the wait before its own GET answers.
        done = await client.flow_generations.wait(gen, waiter=waiter, timeout=2)
        await publisher
        assert done.status == "finished"
        assert look_tasks() == []  # the GET was cancelled, not left running
        assert bus.subscription_count == 0


async def test_cancelling_the_wait_cancels_its_check_get(production: Emulator) -> None:
    bus = InMemoryBus()
    async with tenant(production) as client:
        gen = await generation(client)
        production.faults = SLOW_GETS
        task = asyncio.create_task(client.flow_generations.wait(gen.id, waiter=WebhookWaiter(bus)))
        loop = asyncio.get_running_loop()
        give_up = loop.time() + 10
        # The GET is in flight (answered only after 3 s): a look task exists. The server's
        # own count is not waited for: it is taken after the latency, so by then the
        # answer may already be back.
        while not look_tasks():
            assert loop.time() < give_up
            await asyncio.sleep(0.01)
        assert len(look_tasks()) == 1
        assert not task.done()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert look_tasks() == []
        assert bus.subscription_count == 0


async def test_the_check_get_still_settles_a_wait_when_no_event_comes(production: Emulator) -> None:
    bus = InMemoryBus()
    async with tenant(production) as client:
        gen = await generation(client)
        await production.advance(30)  # finished, and no webhook configured: only the GET can tell
        production.faults = Faults(latency=0.3, methods={"GET"})
        done = await client.flow_generations.wait(gen.id, waiter=WebhookWaiter(bus), timeout=30)
        assert done.status == "finished"
        assert bus.subscription_count == 0


async def test_a_safety_poll_that_settles_a_wait_logs_one_warning_a_minute(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="recrubo_async.waiters")
    # Every webhook lost: only the safety poll can settle the waits.
    async with deployment(clock="manual", faults=Faults(webhook_drop=1.0)) as env:
        waiter = HybridWaiter(env.bus, safety_poll_interval=0.05, max_interval=0.05)
        gens = [await env.generation() for _ in range(3)]
        tasks = [
            asyncio.create_task(env.client.flow_generations.wait(g.id, waiter=waiter, timeout=30))
            for g in gens
        ]
        await asyncio.sleep(0.2)  # each wait's own GET has answered queued
        await env.emu.advance(30)
        assert {(await t).status for t in tasks} == {"finished"}
    assert waiter.safety_poll_settled == 3
    warnings = [r for r in caplog.records if r.name == "recrubo_async.waiters"]
    assert len(warnings) == 1  # rate-limited: one per minute per waiter
    message = warnings[0].getMessage()
    assert warnings[0].levelno == logging.WARNING
    for hint in ("webhookUrl", "prefix", "bus.check()", "lost or misrouted"):
        assert hint in message
    assert "waiter-test-secret" not in message


async def test_a_wait_settled_by_the_bus_logs_no_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="recrubo_async.waiters")
    async with deployment(clock="manual") as env:
        waiter = HybridWaiter(env.bus, safety_poll_interval=60)
        gen = await env.generation()
        task = asyncio.create_task(
            env.client.flow_generations.wait(gen.id, waiter=waiter, timeout=30)
        )
        await asyncio.sleep(0.2)
        await env.emu.advance(30)
        assert (await task).status == "finished"
    assert waiter.safety_poll_settled == 0
    assert [r for r in caplog.records if r.name == "recrubo_async.waiters"] == []


async def test_a_wait_timing_out_on_a_safety_poll_state_is_not_counted_as_settled(
    production: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="recrubo_async.waiters")
    async with tenant(production) as client:
        gen = await generation(client)  # queued
        # The bus never hears of it (webhooks lost): only the safety poll sees "processing".
        waiter = HybridWaiter(InMemoryBus(), safety_poll_interval=0.05, max_interval=0.05)

        async def slow_progress(label: str | None, state: object) -> None:
            if label == "processing":
                await asyncio.Event().wait()  # still reporting it when the deadline passes

        task = asyncio.create_task(
            client.flow_generations.wait(
                gen.id, waiter=waiter, on_status=slow_progress, timeout=1.5
            )
        )
        await eventually(lambda: production.stats.gets[gen.id] > 0, what="the first look")
        await production.advance(1.5)  # queued -> processing
        with pytest.raises(WaitTimeoutError):
            await asyncio.wait_for(task, 10)
    assert waiter.safety_poll_settled == 0  # nothing settled: the job still runs
    assert [r for r in caplog.records if r.name == "recrubo_async.waiters"] == []


async def test_a_watch_broken_off_on_a_safety_poll_state_is_not_counted_as_settled(
    production: Emulator,
) -> None:
    async with tenant(production) as client:
        gen = await generation(client)
        waiter = HybridWaiter(InMemoryBus(), safety_poll_interval=0.05, max_interval=0.05)
        seen: list[str | None] = []
        watch = client.flow_generations.watch(gen.id, waiter=waiter)
        async with contextlib.aclosing(watch) as states:
            async for state in states:
                seen.append(state.status)
                if state.status == "queued":
                    await production.advance(1.5)  # processing: only the safety poll sees it
                else:
                    break  # the caller has seen enough; the job runs on
    assert seen == ["queued", "processing"]
    assert waiter.safety_poll_settled == 0


async def test_a_delete_the_safety_poll_finds_is_counted_as_settled(production: Emulator) -> None:
    events: list[WaitEvent] = []
    async with tenant(production, hooks=Hooks(on_wait=events.append)) as client:
        gen = await generation(client)
        waiter = HybridWaiter(InMemoryBus(), safety_poll_interval=0.05, max_interval=0.05)
        task = asyncio.create_task(client.flow_generations.wait(gen, waiter=waiter, timeout=20))
        # The look after subscribing and a safety poll have answered: only the safety poll
        # is left to see the delete, whose webhook is lost.
        await eventually(lambda: production.stats.gets[gen.id] >= 2, what="the look and a poll")
        await client.flow_generations.delete(gen)
        with pytest.raises(ResourceDeletedError):
            await asyncio.wait_for(task, 10)
    assert [(e.outcome, e.settled_by) for e in events] == [("deleted", "safety_poll")]
    assert waiter.safety_poll_settled == 1  # the counter operators watch agrees with it
