"""A web replica for the multi-process tests: ``WebhookReceiver`` publishing to a ``RedisBus``.

Run from the repository root (secrets come from the environment, never argv)::

    RECRUBO_WEBHOOK_SECRET=... REDIS_URL=redis://127.0.0.1:6379/0 \\
        python -m tests.support.mp_receiver

It listens on a free loopback port and prints JSON lines on stdout:

* ``{"event": "listening", "port": N}`` once it accepts deliveries on ``/webhooks``;
* ``{"event": "publish_failed", "id", "status", "started"}`` for every delivery whose
  publish to Redis failed (the receiver then answers 500, so the emulator delivers it
  again later); ``started``: ``time.monotonic()`` when the publish began (the system's
  monotonic clock, comparable across processes on Linux). A publish that began before
  Redis went away may have run there with its answer lost.

With ``REPLICA_RECORD=1`` it is one of several replicas: it dedupes through ``RedisDedupe``
and its one handler appends each delivery id it runs to the Redis list ``test:runs``.

Its Redis client gives up on an unreachable server after two quick retries instead of
redis-py's default of a few seconds of reconnecting: a web replica should answer a
delivery promptly (500) rather than hold it until the sender times out.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from typing import Any

import orjson
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

from recrubo_async.bus import RedisBus, ResourceEvent
from recrubo_async.bus._protocol import Subscription
from recrubo_async.webhooks import RedisDedupe, WebhookPayload, WebhookReceiver

from .servers import receiver_app, serve


def emit(**fields: Any) -> None:
    sys.stdout.write(orjson.dumps(fields).decode() + "\n")
    sys.stdout.flush()


class ReportingBus:
    """A ``CompletionBus`` that hands everything to a ``RedisBus`` and reports, on stdout,
    each state it failed to publish."""

    def __init__(self, inner: RedisBus) -> None:
        self.inner = inner

    async def publish(self, event: ResourceEvent) -> bool:
        started = time.monotonic()
        try:
            return await self.inner.publish(event)
        except Exception:
            emit(event="publish_failed", id=event.id, status=event.status, started=started)
            raise

    async def subscribe(self, type: str, id: str) -> Subscription:
        return await self.inner.subscribe(type, id)

    async def latest(self, type: str, id: str) -> ResourceEvent | None:
        return await self.inner.latest(type, id)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def main() -> None:
    secret = os.environ["RECRUBO_WEBHOOK_SECRET"]
    client = aioredis.Redis.from_url(
        os.environ["REDIS_URL"], retry=Retry(ExponentialBackoff(cap=0.05, base=0.01), 2)
    )
    bus = ReportingBus(RedisBus(client=client))
    if os.environ.get("REPLICA_RECORD") == "1":
        receiver = WebhookReceiver(secret=secret, bus=bus, dedupe=RedisDedupe(client=client))

        @receiver.on()
        async def record(payload: WebhookPayload) -> None:
            # Counted in Redis, so the test sees every replica's runs in one list.
            await asyncio.sleep(0.01)  # a handler's own work, so copies overlap it
            await client.rpush("test:runs", payload.id)

    else:
        receiver = WebhookReceiver(secret=secret, bus=bus)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with serve(
            receiver_app(receiver), handle_signals=False, shutdown_timeout=1.0
        ) as served:
            emit(event="listening", port=served.port)
            await stop.wait()
    finally:
        await bus.aclose()
        await client.aclose()


if __name__ == "__main__":
    asyncio.run(main())
