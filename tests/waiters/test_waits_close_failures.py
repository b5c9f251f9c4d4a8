"""A wait that has its outcome keeps it when cleaning up fails.

Closing what a wait observed runs user code too: a custom bus's ``Subscription.close()``,
a custom waiter's ``finally``. A failure there (a bus whose server went away as the job
finished) is logged as a warning; it neither replaces the wait's answer nor its error, nor
turns a cancellation of the awaiting task into something else.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncGenerator, Callable

import pytest

from recrubo_async.bus import InMemoryBus, ResourceEvent, Subscription
from recrubo_async.bus._local import LocalSubscription
from recrubo_async.errors import ResourceDeletedError
from recrubo_async.models import FlowGeneration, Resource
from recrubo_async.testing import Emulator
from recrubo_async.waiters import CompletionWaiter, HybridWaiter, PollingWaiter, WebhookWaiter
from recrubo_async.waiters._source import StateSource

from ..support.deployment import Deployment, deployment, generate, generation, tenant
from ..support.timing import eventually


class BusGone(OSError):
    """What the failing close raises: a name no other failure in these tests has."""


class FailingCloseBus:
    """An ``InMemoryBus`` whose subscriptions close, then raise."""

    def __init__(self) -> None:
        self._bus = InMemoryBus()
        self.closes = 0

    @property
    def subscription_count(self) -> int:
        return self._bus.subscription_count

    async def publish(self, event: ResourceEvent) -> bool:
        return await self._bus.publish(event)

    async def subscribe(self, type: str, id: str) -> Subscription:
        return _FailingSubscription(await self._bus.subscribe(type, id), self)

    async def latest(self, type: str, id: str) -> ResourceEvent | None:
        return await self._bus.latest(type, id)

    async def aclose(self) -> None:
        await self._bus.aclose()


class _FailingSubscription:
    """A subscription that is closed all the same, then says its close failed."""

    def __init__(self, sub: LocalSubscription, bus: FailingCloseBus) -> None:
        self._sub = sub
        self._bus = bus

    async def get(self) -> ResourceEvent:
        return await self._sub.get()

    async def close(self) -> None:
        self._bus.closes += 1
        await self._sub.close()
        raise BusGone("the bus's server went away while unsubscribing")

    async def __aenter__(self) -> _FailingSubscription:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


WAITERS: dict[str, Callable[[FailingCloseBus], CompletionWaiter]] = {
    "webhook": lambda bus: WebhookWaiter(bus),
    "hybrid": lambda bus: HybridWaiter(bus, safety_poll_interval=60),
}


def close_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name.startswith("recrubo_async") and r.levelno == logging.WARNING and r.exc_info
    ]


async def finished_through(bus: FailingCloseBus, kind: str) -> FlowGeneration:
    """``create_and_wait`` on ``kind``'s waiter over ``bus``, the job finished (and its
    webhook delivered) once the wait has subscribed."""
    async with deployment(clock="manual", bus=bus) as env:
        task = asyncio.create_task(generate(env, WAITERS[kind](bus)))
        await eventually(lambda: bus.subscription_count == 1, what="the wait's subscription")
        await env.emu.advance(30)
        return await asyncio.wait_for(task, 10)


@pytest.mark.parametrize("kind", sorted(WAITERS))
async def test_a_wait_settled_by_its_webhook_keeps_its_answer_when_the_close_fails(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    bus = FailingCloseBus()
    gen = await finished_through(bus, kind)
    assert gen.status == "finished"
    assert bus.closes == 1
    assert bus.subscription_count == 0
    (warning,) = close_warnings(caplog)
    assert warning.exc_info is not None and warning.exc_info[0] is BusGone
    assert gen.id in warning.getMessage()


@pytest.mark.parametrize("kind", sorted(WAITERS))
async def test_a_delete_is_still_the_outcome_when_the_close_fails(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    bus = FailingCloseBus()
    async with deployment(clock="manual", bus=bus) as env:
        gen = await env.generation()
        task = asyncio.create_task(env.client.flow_generations.wait(gen, waiter=WAITERS[kind](bus)))
        await eventually(lambda: bus.subscription_count == 1, what="the wait's subscription")
        await eventually(lambda: env.emu.stats.gets[gen.id] > 0, what="the wait's first look")
        deleted = ResourceEvent.from_resource(
            {"type": "flowGenerations", "id": gen.id, "attributes": {}}, event="delete"
        )
        assert await bus.publish(deleted)
        with pytest.raises(ResourceDeletedError):
            await asyncio.wait_for(task, 10)
        assert bus.closes == 1
        assert [w.exc_info[0] for w in close_warnings(caplog) if w.exc_info] == [BusGone]


@pytest.mark.parametrize("kind", sorted(WAITERS))
async def test_a_cancelled_wait_is_cancelled_when_the_close_fails(kind: str) -> None:
    bus = FailingCloseBus()
    async with deployment(clock="manual", bus=bus) as env:
        gen = await env.generation()
        task = asyncio.create_task(env.client.flow_generations.wait(gen, waiter=WAITERS[kind](bus)))
        await eventually(lambda: bus.subscription_count == 1, what="the wait's subscription")
        task.cancel()
        await asyncio.wait((task,), timeout=10)
        assert task.cancelled()
        assert bus.closes == 1
        assert bus.subscription_count == 0


class _FailingCleanUp:
    """A custom waiter whose clean-up raises once it has given its answer."""

    sync_create = False

    def __init__(self) -> None:
        self.closed = False

    async def observe(self, source: StateSource[Resource]) -> AsyncGenerator[Resource, None]:
        try:
            while True:
                yield await source.fetch()
                await asyncio.sleep(0.01)
        finally:
            self.closed = True
            raise BusGone("the custom waiter's clean-up failed")


async def test_a_custom_waiters_failing_clean_up_does_not_replace_the_answer(
    production: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    async with tenant(production) as client:
        gen = await generation(client)
        waiter = _FailingCleanUp()
        task = asyncio.create_task(client.flow_generations.wait(gen, waiter=waiter, timeout=30))
        await eventually(lambda: production.stats.gets[gen.id] > 0, what="the first poll")
        await production.advance(30)
        done = await asyncio.wait_for(task, 10)
        assert done.status == "finished"
        assert waiter.closed
        assert [w.exc_info[0] for w in close_warnings(caplog) if w.exc_info] == [BusGone]


async def test_a_polling_wait_is_unaffected(production: Emulator) -> None:
    """The plain path, for contrast: nothing to warn about."""
    async with tenant(production) as client:
        gen = await generation(client)
        task = asyncio.create_task(
            client.flow_generations.wait(gen, waiter=PollingWaiter(interval=0.02), timeout=30)
        )
        await eventually(lambda: production.stats.gets[gen.id] > 0, what="the first poll")
        await production.advance(30)
        assert (await asyncio.wait_for(task, 10)).status == "finished"


class _SlowClose:
    """A subscription whose close takes a round trip and mishandles a cancellation arriving
    meanwhile: turns it into an error of its own, or swallows it."""

    def __init__(self, sub: Subscription, mode: str, entered: asyncio.Event) -> None:
        self._sub = sub
        self._mode = mode
        self._entered = entered

    async def get(self) -> ResourceEvent:
        return await self._sub.get()

    async def close(self) -> None:
        self._entered.set()
        try:
            await asyncio.sleep(1)  # the unsubscribe's round trip; cancelled before it ends
        except asyncio.CancelledError:
            if self._mode == "converts":
                raise BusGone("connection reset while unsubscribing") from None
        finally:
            await self._sub.close()

    async def __aenter__(self) -> _SlowClose:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


class SlowCloseBus(FailingCloseBus):
    def __init__(self, mode: str) -> None:
        super().__init__()
        self.mode = mode
        self.closing = asyncio.Event()

    async def subscribe(self, type: str, id: str) -> Subscription:
        return _SlowClose(await self._bus.subscribe(type, id), self.mode, self.closing)


async def cancelled_while_closing(
    env: Deployment, bus: SlowCloseBus, kind: str
) -> asyncio.Task[FlowGeneration]:
    """A wait through ``kind``'s waiter over ``bus`` that has its answer and is closing its
    subscription when its task is cancelled (a shutdown): the task, once it has ended."""
    task = asyncio.create_task(generate(env, WAITERS[kind](bus)))
    await eventually(lambda: bus.subscription_count == 1, what="the wait's subscription")
    await env.emu.advance(30)
    await asyncio.wait_for(bus.closing.wait(), 10)
    assert not task.done()
    task.cancel()
    await asyncio.wait((task,), timeout=10)
    return task


@pytest.mark.parametrize("mode", ["converts", "swallows"])
@pytest.mark.parametrize("kind", sorted(WAITERS))
async def test_a_cancellation_during_a_close_that_mishandles_it_still_cancels(
    kind: str, mode: str
) -> None:
    """The wait has its answer and is closing its subscription when its task is cancelled
    (a shutdown): the task ends cancelled, whatever the close made of the cancellation."""
    bus = SlowCloseBus(mode)
    async with deployment(clock="manual", bus=bus) as env:
        task = await cancelled_while_closing(env, bus, kind)
        assert task.cancelled()
        # Closed when the cancelled wait ends, also where HybridWaiter closes it in its
        # merge's pump: the pump is waited for (``_tasks.stop``), not left closing.
        assert bus.subscription_count == 0


class _OwnCancellation(_FailingSubscription):
    """A close that cancels a task of its own and then fails: the cancellation it caught
    is not the wait's."""

    async def close(self) -> None:
        helper = asyncio.get_running_loop().create_task(asyncio.sleep(5))
        await asyncio.sleep(0)
        helper.cancel()
        try:
            await helper
        except asyncio.CancelledError:
            await super().close()


class OwnCancellationBus(FailingCloseBus):
    async def subscribe(self, type: str, id: str) -> Subscription:
        return _OwnCancellation(await self._bus.subscribe(type, id), self)


@pytest.mark.skipif(
    sys.version_info < (3, 11), reason="Python 3.10 counts no cancellations: told by context"
)
@pytest.mark.parametrize("kind", sorted(WAITERS))
async def test_a_cancellation_the_close_made_itself_does_not_cancel_the_wait(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    bus = OwnCancellationBus()
    gen = await finished_through(bus, kind)
    assert gen.status == "finished"
    assert bus.closes == 1 and bus.subscription_count == 0
    assert [w.exc_info[0] for w in close_warnings(caplog) if w.exc_info] == [BusGone]


class _RoundTripClose(_SlowClose):
    """A close that is one round trip and not made safe against a cancellation: cut short,
    it leaves the subscription registered (many a client library's unsubscribe)."""

    async def close(self) -> None:
        self._entered.set()
        await asyncio.sleep(0.2)
        await self._sub.close()


class RoundTripCloseBus(SlowCloseBus):
    async def subscribe(self, type: str, id: str) -> Subscription:
        return _RoundTripClose(await self._bus.subscribe(type, id), self.mode, self.closing)


async def test_a_hybrid_wait_cancelled_during_its_close_lets_the_close_finish(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """HybridWaiter closes its subscription in its merge's pump, which the wait cancelled
    once to end it. A cancellation of the wait arriving then is not sent into that close
    again: the wait ends cancelled once the close is done, nothing subscribed, nothing
    logged. (WebhookWaiter closes in the awaiting task itself: there a cancellation
    reaches the close, which has to be safe against it.)"""
    bus = RoundTripCloseBus("plain")
    async with deployment(clock="manual", bus=bus) as env:
        task = await cancelled_while_closing(env, bus, "hybrid")
        assert task.cancelled()
        assert bus.subscription_count == 0
        assert close_warnings(caplog) == []
