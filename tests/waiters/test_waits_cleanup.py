"""What happens while a wait that has its answer cleans up (stops its poll, its merge pumps,
closes its subscription): a cancellation of the awaiting task arriving then still cancels
it, and the wait's own deadline passing then does not turn the answer into a timeout."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable

import pytest

from recrubo_async.bus import InMemoryBus
from recrubo_async.models import Resource
from recrubo_async.testing import Emulator
from recrubo_async.waiters import CompletionWaiter, HybridWaiter, PollingWaiter
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
