"""A wait's timeout: raised when due and only then, never in place of a cancellation.

Each test parks a real ``client.flow_generations.wait()`` (its GET answered by the
emulator over a socket) on the in-process bus, then drives the deadline against a
completion or a cancellation. Races within one event-loop iteration are made by blocking
the loop past the deadline with ``time.sleep``, so that both things are due at once and
their order is the loop's: callbacks already queued run before the timers that fell due.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sys
import time
import weakref
from collections.abc import Callable, Coroutine
from typing import Any
from unittest import mock

import pytest

from recrubo_async import Hooks, WaitTimeoutError
from recrubo_async.bus import InMemoryBus, ResourceEvent
from recrubo_async.models import FlowGeneration, Resource
from recrubo_async.resources.flow_generations import FlowGenerations
from recrubo_async.waiters import WaitToken, WebhookWaiter
from recrubo_async.waiters._waitable import Waitable

from ..support.deployment import CONTEXT, PARAMETERS, Deployment, deployment
from ..support.timing import eventually, result_of

pytestmark = pytest.mark.skipif(
    sys.version_info < (3, 11), reason="3.10 times waits out with asyncio.wait_for"
)

if sys.version_info >= (3, 11):
    from asyncio import timeout
else:  # pragma: no cover - skipped on 3.10 (mypy checks as 3.10)
    timeout: Any = None

#: Long enough to park the wait first (a GET to the emulator), short enough for a test.
SHORT = 0.5


def finished_event(gen: FlowGeneration) -> ResourceEvent:
    return ResourceEvent.from_resource(
        {"type": "flowGenerations", "id": gen.id, "attributes": {"status": "finished"}},
        event="update",
    )


def bus_of(env: Deployment) -> InMemoryBus:
    assert isinstance(env.bus, InMemoryBus)
    return env.bus


async def parked_wait(
    env: Deployment, gen: FlowGeneration, **kwargs: Any
) -> tuple[asyncio.Task[FlowGeneration], float, float]:
    """A wait started in a task, once it is parked on the bus.

    Returns the task and two loop times, ``started`` and ``parked``, between which the
    wait's deadline was set: a timed wait's deadline is within ``timeout`` after them.
    ``on_status`` sees the GET's state; the wait then parks without yielding to the loop
    again, so it is parked whenever the test runs next.
    """
    seen: list[str | None] = []

    def on_status(status: str | None, state: Resource) -> None:
        seen.append(status)

    loop = asyncio.get_running_loop()
    started = loop.time()
    waiter = WebhookWaiter(bus_of(env))
    task = asyncio.create_task(
        env.client.flow_generations.wait(gen, waiter=waiter, on_status=on_status, **kwargs)
    )
    await eventually(lambda: seen == ["queued"])
    assert bus_of(env).subscription_count == 1
    return task, started, loop.time()


def publish_now(bus: InMemoryBus, event: ResourceEvent) -> None:
    """Publish from a plain callback: ``InMemoryBus.publish`` never suspends."""
    step = bus.publish(event)
    try:
        step.send(None)
    except StopIteration:
        return
    raise AssertionError("InMemoryBus.publish suspended")


def block_loop(seconds: float) -> None:
    time.sleep(seconds)  # the loop stands still: timers fall due together


async def test_a_timed_out_wait_raises_wait_timeout_error_at_its_deadline() -> None:
    async with deployment(clock="manual") as env:
        gen = await env.generation()
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(WaitTimeoutError) as info:
            await env.client.flow_generations.wait(
                gen, timeout=SHORT, waiter=WebhookWaiter(bus_of(env))
            )
        elapsed = loop.time() - started
        assert SHORT <= elapsed < SHORT + 1.0
        assert str(info.value) == (
            f"flowGenerations {gen.id} did not reach 'finished' within {SHORT:g}s "
            "(last seen: queued); wait longer with timeout=, or resume later with a WaitToken"
        )
        last = info.value.last_seen
        assert isinstance(last, FlowGeneration) and last.status == "queued"
        # The chain asyncio.timeout made: CancelledError -> TimeoutError -> WaitTimeoutError.
        cause = info.value.__cause__
        assert type(cause) is TimeoutError
        assert isinstance(cause.__cause__, asyncio.CancelledError)
        # The deadline's cancellation was withdrawn: this task goes on as if never cancelled.
        task: Any = asyncio.current_task()
        assert task.cancelling() == 0
        await asyncio.sleep(0.01)
        with pytest.raises(TimeoutError):
            async with timeout(0.01):
                await asyncio.sleep(1)
        assert bus_of(env).subscription_count == 0


async def test_the_default_timeout_applies_when_wait_is_given_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("recrubo_async.waiters._waitable.DEFAULT_WAIT_TIMEOUT", SHORT)
    async with deployment(clock="manual") as env:
        gen = await env.generation()
        with pytest.raises(WaitTimeoutError, match=rf"within {SHORT:g}s \(last seen: queued\)"):
            await env.client.flow_generations.wait(gen, waiter=WebhookWaiter(bus_of(env)))


async def test_a_zero_timeout_times_out_before_anything_is_seen() -> None:
    async with deployment(clock="manual") as env:
        gen = await env.generation()
        with pytest.raises(WaitTimeoutError, match=r"within 0s \(last seen: nothing yet\)") as info:
            await env.client.flow_generations.wait(
                gen, timeout=0, waiter=WebhookWaiter(bus_of(env))
            )
        assert info.value.last_seen is None


async def test_a_wait_that_ends_first_leaves_no_timer_holding_its_task() -> None:
    async with deployment(clock="manual") as env:
        gen = await env.generation()
        task, _, _ = await parked_wait(env, gen)  # the default 900 s timeout
        await bus_of(env).publish(finished_event(gen))
        assert (await result_of(task)).status == "finished"
        # A timer still armed would hold the task (through its callback) for 900 s.
        ref = weakref.ref(task)
        del task
        await asyncio.sleep(0)  # the loop's own references to it are gone after a turn
        gc.collect()
        assert ref() is None
        assert bus_of(env).subscription_count == 0


async def test_cancelling_a_timed_wait_raises_cancelled_error_not_a_timeout() -> None:
    async with deployment(clock="manual") as env:
        gen = await env.generation()
        task, _, _ = await parked_wait(env, gen, timeout=60)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert task.cancelled()
        assert bus_of(env).subscription_count == 0


async def test_a_cancellation_just_before_the_deadline_stays_a_cancellation() -> None:
    async with deployment(clock="manual") as env:
        gen = await env.generation()
        task, started, parked = await parked_wait(env, gen, timeout=SHORT)
        loop = asyncio.get_running_loop()
        # Due just before the deadline: both run before the task does, cancel first.
        cancel_at = started + SHORT - 0.01
        assert parked < cancel_at
        loop.call_at(cancel_at, task.cancel)
        block_loop(SHORT + 0.2)
        with pytest.raises(asyncio.CancelledError):
            await task
        assert task.cancelled()
        assert bus_of(env).subscription_count == 0


async def test_a_cancellation_just_after_the_deadline_stays_a_cancellation() -> None:
    async with deployment(clock="manual") as env:
        gen = await env.generation()
        task, _, parked = await parked_wait(env, gen, timeout=SHORT)
        loop = asyncio.get_running_loop()
        # Due just after the deadline: both run before the task does, deadline first.
        loop.call_at(parked + SHORT + 0.01, task.cancel)
        block_loop(SHORT + 0.3)
        with pytest.raises(asyncio.CancelledError):
            await task
        assert task.cancelled()
        assert bus_of(env).subscription_count == 0


async def test_a_completion_just_before_the_deadline_wins() -> None:
    async with deployment(clock="manual") as env:
        gen = await env.generation()
        task, _, _ = await parked_wait(env, gen, timeout=SHORT)
        publish_now(bus_of(env), finished_event(gen))  # the wait's wake-up is queued
        block_loop(SHORT + 0.2)
        assert (await result_of(task)).status == "finished"
        assert bus_of(env).subscription_count == 0


async def test_a_completion_just_after_the_deadline_is_too_late() -> None:
    async with deployment(clock="manual") as env:
        gen = await env.generation()
        task, _, parked = await parked_wait(env, gen, timeout=SHORT)
        loop = asyncio.get_running_loop()
        # Due just after the deadline: the wait is cancelled before the event arrives.
        loop.call_at(parked + SHORT + 0.01, publish_now, bus_of(env), finished_event(gen))
        block_loop(SHORT + 0.3)
        with pytest.raises(WaitTimeoutError) as info:
            await result_of(task)
        last = info.value.last_seen
        assert isinstance(last, FlowGeneration) and last.status == "queued"
        assert not task.cancelled()
        assert bus_of(env).subscription_count == 0


async def test_an_outer_timeout_that_fires_first_raises_its_own_timeout_error() -> None:
    async with deployment(clock="manual") as env:
        gen = await env.generation()
        with pytest.raises(TimeoutError) as info:
            async with timeout(SHORT):
                await env.client.flow_generations.wait(
                    gen, timeout=60, waiter=WebhookWaiter(bus_of(env))
                )
        assert not isinstance(info.value, WaitTimeoutError)


async def test_a_wait_timing_out_inside_a_longer_outer_timeout_leaves_it_alone() -> None:
    async with deployment(clock="manual") as env:
        gen = await env.generation()
        async with timeout(30) as outer:
            with pytest.raises(WaitTimeoutError):
                await env.client.flow_generations.wait(
                    gen, timeout=SHORT, waiter=WebhookWaiter(bus_of(env))
                )
            await asyncio.sleep(0.01)
        assert not outer.expired()


async def test_a_task_that_swallowed_a_cancellation_still_times_out() -> None:
    async with deployment(clock="manual") as env:
        gen = await env.generation()

        async def after_a_swallowed_cancellation() -> None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(10)  # not uncancelled: task.cancelling() stays 1
            await env.client.flow_generations.wait(
                gen, timeout=SHORT, waiter=WebhookWaiter(bus_of(env))
            )

        task = asyncio.create_task(after_a_swallowed_cancellation())
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(WaitTimeoutError):
            await result_of(task)


async def test_wait_is_a_coroutine_function_raising_argument_errors_when_awaited() -> None:
    async with deployment(clock="manual") as env:
        assert asyncio.iscoroutinefunction(env.client.flow_generations.wait)
        assert isinstance(mock.create_autospec(FlowGenerations).wait, mock.AsyncMock)
        waits: list[tuple[Callable[[], Coroutine[Any, Any, Any]], str]] = [
            (lambda: env.client.flow_runs.wait("x", until="done"), "is not a state of"),
            (lambda: env.client.flow_runs.wait(""), "not a safe path segment"),
            (
                lambda: env.client.flow_generations.wait(
                    WaitToken(type="flowRuns", id="r1", until="terminal")
                ),
                "this WaitToken is for flowRuns",
            ),
        ]
        for make, message in waits:
            wait = make()  # nothing raised yet
            with pytest.raises(ValueError, match=message):
                await wait
        assert isinstance(env.client.flow_generations, Waitable)


@pytest.mark.parametrize("reported", [False, True], ids=["plain", "on_wait hook"])
async def test_create_and_wait_reports_the_timeout_asked_for_not_the_time_left(
    reported: bool,
) -> None:
    """The create takes part of the timeout; the message still names the one given."""
    options: dict[str, Any] = {"hooks": Hooks(on_wait=lambda event: None)} if reported else {}
    async with deployment(clock="manual", client_options=options) as env:
        with pytest.raises(WaitTimeoutError) as info:
            await env.client.flow_generations.create_and_wait(
                flow_type="vacancy_application_flow",
                parameters=PARAMETERS,
                context=CONTEXT,
                timeout=SHORT,
                waiter=WebhookWaiter(bus_of(env)),
            )
        assert f"within {SHORT:g}s (last seen: queued)" in str(info.value)
