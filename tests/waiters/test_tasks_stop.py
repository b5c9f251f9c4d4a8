"""``_tasks.stop``: the one rule by which an owner ends its background tasks (a wait's
pumps and poll, the Redis bus's listener, a dedupe store's writes).

Nothing outlives its owner, also when the owner is cancelled while its tasks are still
ending: the owner's cancellation propagates once they have ended, as with
``asyncio.TaskGroup``. The tasks are told once: a cancellation of the owner arriving
while they clean up does not break into their clean-up.
"""

from __future__ import annotations

import asyncio
import gc
import weakref

import pytest

from recrubo_async._tasks import stop


class Stubborn:
    """A task that takes its time to end: its clean-up outlasts every cancellation until
    ``release`` is set, counting the cancellations it was sent. Used as ``async with``: on
    the way out it is released, so that a failing test does not leave it running."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.cancels = 0
        self.cleaning = asyncio.Event()
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            self.cancels += 1
        self.cleaning.set()
        while not self.release.is_set():
            try:
                await self.release.wait()
            except asyncio.CancelledError:
                self.cancels += 1

    async def __aenter__(self) -> Stubborn:
        await asyncio.sleep(0)  # the task is in its sleep
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.release.set()
        await asyncio.wait((self.task,), timeout=10)


async def settle() -> None:
    """Let the loop run whatever the last step made ready (a cancellation delivered, the
    tasks it would wake)."""
    for _ in range(10):
        await asyncio.sleep(0)


async def test_a_cancelled_owner_waits_for_its_tasks_then_is_cancelled() -> None:
    async with Stubborn() as stubborn:
        owner = asyncio.create_task(stop(stubborn.task))
        await asyncio.wait_for(stubborn.cleaning.wait(), 10)
        owner.cancel()
        await settle()
        assert not owner.done() and not stubborn.task.done()
        stubborn.release.set()
        await asyncio.wait((owner,), timeout=10)
        assert owner.cancelled()
        assert stubborn.task.done()


async def test_the_owner_cancelled_again_does_not_break_into_its_tasks_clean_up() -> None:
    async with Stubborn() as stubborn:
        owner = asyncio.create_task(stop(stubborn.task))
        await asyncio.wait_for(stubborn.cleaning.wait(), 10)
        for _ in range(3):
            owner.cancel()
            await settle()
        assert stubborn.cancels == 1, "the task's clean-up was interrupted"
        assert not owner.done()
        stubborn.release.set()
        await asyncio.wait((owner,), timeout=10)
        assert owner.cancelled()


async def test_a_timeout_of_the_owner_is_a_timeout_once_its_tasks_have_ended() -> None:
    """A deadline around the owner (``wait_for``, ``asyncio.timeout``) still reads as a
    timeout: the cancellation it sent is the one that propagates."""
    async with Stubborn() as stubborn:
        owner = asyncio.create_task(asyncio.wait_for(stop(stubborn.task), 0.05))
        await asyncio.sleep(0.2)  # a timer due after the deadline's: it has fired
        assert not owner.done()
        assert stubborn.cancels == 1
        stubborn.release.set()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(owner, 10)
        assert stubborn.task.done()


async def test_an_interrupted_stop_leaves_no_cycle_holding_the_ended_tasks() -> None:
    """What the stopped tasks held goes when they end, without waiting for the cyclic
    garbage collector: the cancellation re-raised does not keep ``stop``'s frame alive."""

    class Held:
        pass

    async def cleans_up(release: asyncio.Event, held: Held) -> None:
        try:
            await asyncio.sleep(3600)
        finally:
            await release.wait()

    gc.collect()
    gc.disable()
    try:
        release = asyncio.Event()
        held = Held()
        alive = weakref.ref(held)
        task = asyncio.create_task(cleans_up(release, held))
        del held
        await asyncio.sleep(0)
        owner = asyncio.create_task(stop(task))
        await settle()
        owner.cancel()
        await settle()
        release.set()
        await asyncio.wait((owner,), timeout=10)
        assert owner.cancelled()
        del owner, task
        await settle()
        assert alive() is None
    finally:
        gc.enable()


async def test_ended_tasks_have_their_outcomes_read_and_the_owner_returns() -> None:
    async def fails() -> None:
        raise OSError("failed before it was stopped")

    failing = asyncio.create_task(fails())
    await asyncio.sleep(0)
    sleeping = asyncio.create_task(asyncio.sleep(3600))
    await stop(failing, sleeping)
    assert sleeping.cancelled()
    # Read by stop(): the loop's "exception was never retrieved" would otherwise log it.
    assert failing.done() and not failing.cancelled()
    assert failing._log_traceback is False
