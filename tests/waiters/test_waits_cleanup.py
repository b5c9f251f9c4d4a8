"""What happens while a wait that has its answer cleans up (stops its poll, its merge pumps,
closes its subscription): a cancellation of the awaiting task arriving then still cancels
it, and the wait's own deadline passing then does not turn the answer into a timeout."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from datetime import datetime, timedelta, timezone

import pytest

from recrubo_async.bus import InMemoryBus, ResourceEvent
from recrubo_async.bus._local import LocalSubscription
from recrubo_async.errors import ResourceDeletedError, WaitTimeoutError
from recrubo_async.models import Resource
from recrubo_async.testing import Emulator
from recrubo_async.waiters import CompletionWaiter, HybridWaiter, PollingWaiter, WebhookWaiter
from recrubo_async.waiters._source import StateSource

from ..support.deployment import FAST_POLL, generation, tenant
from ..support.timing import eventually

WAITERS: dict[str, Callable[[], CompletionWaiter]] = {
    "polling": lambda: PollingWaiter(**FAST_POLL),
    # The bus never hears of the job: the safety poll settles it (the merge's clean-up).
    "hybrid": lambda: HybridWaiter(InMemoryBus(), safety_poll_interval=0.05, max_interval=0.1),
}


@pytest.mark.parametrize("kind", sorted(WAITERS))
async def test_a_cancellation_arriving_while_a_wait_cleans_up_is_not_lost(
    production: Emulator, kind: str
) -> None:
    async with tenant(production) as client:
        gen = await generation(client)
        waiter = WAITERS[kind]()
        me: list[asyncio.Task[None]] = []
        reached_next_job = asyncio.Event()

        def on_status(label: str | None, state: Resource) -> None:
            if label == "finished":
                # Someone cancels the worker as its wait ends (a shutdown, a TaskGroup
                # sibling failing): the request lands in the wait's clean-up.
                asyncio.get_running_loop().call_soon(me[0].cancel)

        async def worker() -> None:
            await client.flow_generations.wait(gen, waiter=waiter, on_status=on_status, timeout=30)
            reached_next_job.set()  # a cancelled worker must not go on to its next job
            await asyncio.Event().wait()

        task = asyncio.create_task(worker())
        me.append(task)
        await eventually(lambda: production.stats.gets[gen.id] > 0, what="the first poll")
        await production.advance(30)
        done, _ = await asyncio.wait((task,), timeout=10)
        if not done:
            task.cancel()
            await asyncio.wait((task,))
        assert not reached_next_job.is_set(), "the cancellation was swallowed by the clean-up"
        assert task.cancelled()


class _SlowToClose:
    """A waiter whose clean-up (closing what it subscribed to, say) outlasts the deadline."""

    sync_create = False

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout

    async def observe(self, source: StateSource[Resource]) -> AsyncGenerator[Resource, None]:
        loop = asyncio.get_running_loop()
        # The wait's deadline is at most this far from now: its clock started earlier.
        past_the_deadline = loop.time() + self.timeout + 0.5
        try:
            yield await source.fetch()
        finally:
            await asyncio.sleep(past_the_deadline - loop.time())


async def test_the_deadline_passing_while_a_wait_cleans_up_keeps_its_answer(
    production: Emulator,
) -> None:
    async with tenant(production) as client:
        gen = await generation(client)
        await production.advance(30)
        timeout = 2.0
        done = await client.flow_generations.wait(
            gen, waiter=_SlowToClose(timeout), timeout=timeout
        )
        assert done.status == "finished"


# A delete that ends a wait, then a clean-up that outlasts the deadline.
SLOW_CLOSE_TIMEOUT = 1.5


class _SlowSub:
    def __init__(self, inner: LocalSubscription) -> None:
        self._inner = inner

    async def get(self) -> ResourceEvent:
        return await self._inner.get()

    async def close(self) -> None:
        # An unsubscribe round trip to a slow Redis, say: it outlasts the deadline.
        await self._inner.close()
        await asyncio.sleep(SLOW_CLOSE_TIMEOUT + 1.0)

    async def __aenter__(self) -> _SlowSub:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class _SlowCloseBus:
    def __init__(self) -> None:
        self.inner = InMemoryBus()

    async def publish(self, event: ResourceEvent) -> bool | None:
        return await self.inner.publish(event)

    async def subscribe(self, type: str, id: str) -> _SlowSub:
        return _SlowSub(await self.inner.subscribe(type, id))

    async def latest(self, type: str, id: str) -> ResourceEvent | None:
        return await self.inner.latest(type, id)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_a_delete_before_the_deadline_is_not_reported_as_a_timeout(
    production: Emulator,
) -> None:
    async with tenant(production) as client:
        gen = await generation(client)
        bus = _SlowCloseBus()
        waiter = WebhookWaiter(bus)
        task = asyncio.create_task(
            client.flow_generations.wait(gen, waiter=waiter, timeout=SLOW_CLOSE_TIMEOUT)
        )
        await eventually(lambda: production.stats.gets[gen.id] > 0, what="the look")
        at = datetime.now(timezone.utc) + timedelta(minutes=5)
        await bus.publish(
            ResourceEvent.from_resource(
                {
                    "type": "flowGenerations",
                    "id": gen.id,
                    "attributes": {"updatedAt": at.isoformat()},
                },
                event="delete",
            )
        )
        # The delete reached the wait well before its deadline: that is its outcome.
        with pytest.raises(ResourceDeletedError):
            await task


def look_at_another_job() -> None:
    raise ResourceDeletedError("flowGenerations other-id was deleted")


async def test_a_delete_an_on_status_callback_caught_is_not_the_waits_outcome(
    production: Emulator,
) -> None:
    """Only the wait's own delete decides it: one its callback caught (another job it
    looked at) and was handling when the deadline passed leaves the wait timed out."""
    async with tenant(production) as client:
        gen = await generation(client)  # production: stays queued here
        calls = 0

        async def on_status(label: str | None, state: Resource) -> None:
            nonlocal calls
            calls += 1
            if calls > 1:
                return
            try:
                look_at_another_job()
            except ResourceDeletedError:
                await asyncio.sleep(3.0)  # the deadline passes while it handles that

        with pytest.raises(WaitTimeoutError):
            await client.flow_generations.wait(
                gen, waiter=PollingWaiter(**FAST_POLL), timeout=0.5, on_status=on_status
            )
