"""A worker process for the multi-process tests: ``create_and_wait`` many flow generations
at once, resolved through a ``RedisBus`` fed by a receiver in another process.

Run from the repository root (keys come from the environment, never argv)::

    RECRUBO_API_KEY=... RECRUBO_BASE_URL=... REDIS_URL=... \\
        python -m tests.support.mp_worker --name w1 --count 250 --waiter webhook

``--waiter webhook`` is a ``WebhookWaiter`` with no fallback poll; ``--waiter hybrid`` a
``HybridWaiter`` whose safety-net poll starts after ``--safety-poll`` seconds. With
``--spread S`` the calls start evenly over S seconds (all of them still overlap) instead of
all at once. JSON lines on stdout, flushed one by one:

* ``{"event": "queued", "id": ...}`` as each create call answers (``on_status``);
* ``{"event": "result", "id", "status", "flow_id", "via"}`` as each await returns, where
  ``via`` is ``"bus"`` when a finished state for it came out of the Redis bus (pub/sub or
  the stored latest state) and ``"api"`` when only the API said so (the waiter's GET or
  its safety-net poll);
* ``{"event": "error", "error": ...}`` for each wait that raised;
* ``{"event": "summary", "results", "errors", "reconnects"}`` last.

The exit status is 0 only when every wait returned a finished generation.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from types import TracebackType
from typing import Any

import orjson

from recrubo_async import Client
from recrubo_async.bus import RedisBus, ResourceEvent
from recrubo_async.bus._protocol import Subscription
from recrubo_async.models import Resource
from recrubo_async.waiters import CompletionWaiter, HybridWaiter, WebhookWaiter

from .deployment import CONTEXT, PARAMETERS


def emit(**fields: Any) -> None:
    sys.stdout.write(orjson.dumps(fields).decode() + "\n")
    sys.stdout.flush()


class TracingBus:
    """A ``CompletionBus`` that hands everything to a ``RedisBus`` and notes which
    generations' ``finished`` state it delivered to a waiter.

    ``WebhookWaiter`` looks at its sources in order (create answer, bus latest, one GET, then
    bus events) and stops at the first finished state, so an id noted here was resolved by
    Redis, not by the GET.
    """

    def __init__(self, inner: RedisBus) -> None:
        self.inner = inner
        self.finished_via_bus: set[str] = set()

    def note(self, event: ResourceEvent | None) -> None:
        if event is not None and event.status == "finished":
            self.finished_via_bus.add(event.id)

    async def publish(self, event: ResourceEvent) -> None:
        await self.inner.publish(event)

    async def subscribe(self, type: str, id: str) -> Subscription:
        return _TracingSubscription(await self.inner.subscribe(type, id), self)

    async def latest(self, type: str, id: str) -> ResourceEvent | None:
        event = await self.inner.latest(type, id)
        self.note(event)
        return event

    async def aclose(self) -> None:
        await self.inner.aclose()


class _TracingSubscription:
    def __init__(self, inner: Subscription, bus: TracingBus) -> None:
        self._inner = inner
        self._bus = bus

    async def get(self) -> ResourceEvent:
        event = await self._inner.get()
        self._bus.note(event)
        return event

    async def close(self) -> None:
        await self._inner.close()

    async def __aenter__(self) -> _TracingSubscription:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.support.mp_worker")
    parser.add_argument("--name", required=True)
    parser.add_argument("--count", type=int, default=250)
    parser.add_argument("--waiter", choices=("webhook", "hybrid"), default="webhook")
    parser.add_argument("--safety-poll", type=float, default=2.0)
    parser.add_argument("--spread", type=float, default=0.0, help="seconds to start them over")
    parser.add_argument("--timeout", type=float, default=45.0, help="each wait's limit")
    return parser.parse_args()


async def main(args: argparse.Namespace) -> int:
    redis_bus = RedisBus(os.environ["REDIS_URL"], reconnect_delay=0.05, max_reconnect_delay=0.5)
    bus = TracingBus(redis_bus)
    waiter: CompletionWaiter
    if args.waiter == "webhook":
        waiter = WebhookWaiter(bus)
    else:
        waiter = HybridWaiter(bus, safety_poll_interval=args.safety_poll, max_interval=5.0)
    results = errors = 0

    def queued(status: str | None, state: Resource) -> None:
        if status == "queued":
            emit(event="queued", id=state.id)

    async def one(index: int) -> None:
        nonlocal results, errors
        await asyncio.sleep(args.spread * index / args.count)
        try:
            gen = await client.flow_generations.create_and_wait(
                flow_type="vacancy_application_flow",
                parameters=PARAMETERS,
                context=CONTEXT,
                waiter=waiter,
                on_status=queued,
                timeout=args.timeout,
            )
        except Exception as exc:
            errors += 1
            emit(event="error", error=f"{type(exc).__name__}: {exc}")
            return
        results += 1
        emit(
            event="result",
            id=gen.id,
            status=str(gen.status),
            flow_id=gen.flow_id,
            via="bus" if gen.id in bus.finished_via_bus else "api",
        )

    try:
        async with Client(max_retries=5) as client:  # key and URL from the environment
            await asyncio.gather(*(one(i) for i in range(args.count)))
    finally:
        await bus.aclose()
    emit(event="summary", results=results, errors=errors, reconnects=redis_bus.reconnects)
    return 0 if results == args.count and errors == 0 else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
