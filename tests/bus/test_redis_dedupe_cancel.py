"""A RedisDedupe write whose caller stops waiting is still finished.

A request cancelled (server shutdown, aiohttp's handler cancellation on a disconnect)
after its handlers succeeded, while ``done()`` waits for Redis: the store has already
forgotten the claim's token, so unless it finishes the mark itself, every redelivery is
"busy" for the lease and the next one after it runs the handlers again. A TCP proxy in
front of Redis loses the first mark-done on its way, so only the store's own retry can
mark the delivery.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from recrubo_async.webhooks import RedisDedupe, WebhookPayload, WebhookReceiver
from recrubo_async.webhooks._redis_dedupe import _MARK_DONE

from ..support.deliveries import SECRET, delivery, generation, headers
from ..support.redis_server import RedisServer
from ..support.silent_proxy import SilencingProxy

LEASE = 0.5
PATIENCE = 30.0


@pytest.fixture
async def proxy(redis_server: RedisServer) -> AsyncIterator[tuple[SilencingProxy, asyncio.Event]]:
    """A proxy that loses the first mark-done on its way to Redis, and when it has."""
    marker = _MARK_DONE.sha.encode().upper()
    lost = asyncio.Event()

    def first_mark_done(_connection: int, data: bytes) -> bool:
        if marker in data and not lost.is_set():
            lost.set()
            return True
        return False

    async with SilencingProxy(redis_server.port) as running:
        running.drop_when = first_mark_done
        yield running, lost


async def test_a_delivery_whose_done_was_cancelled_is_still_marked_and_never_runs_again(
    proxy: tuple[SilencingProxy, asyncio.Event], admin: aioredis.Redis
) -> None:
    running, lost = proxy
    client = aioredis.Redis(host="127.0.0.1", port=running.port)
    store = RedisDedupe(client=client, prefix="done-cancel")
    receiver = WebhookReceiver(secret=SECRET, dedupe=store, dedupe_lease=LEASE, busy_wait=0)
    calls: list[str] = []

    @receiver.on()
    async def handler(payload: WebhookPayload) -> None:
        calls.append(payload.id)

    body = delivery(generation("g1", "finished"), payload_id="p-done-1")
    try:
        first = asyncio.create_task(receiver.handle(headers(), body))
        await asyncio.wait_for(lost.wait(), PATIENCE)  # done() is waiting for Redis
        first.cancel()  # the request is cancelled just then
        with contextlib.suppress(asyncio.CancelledError):
            await first
        assert calls == ["p-done-1"]  # the handler ran to its end

        # The store marks it by itself (the lost request never reached Redis).
        loop = asyncio.get_running_loop()
        deadline = loop.time() + PATIENCE
        while (held := await admin.get("done-cancel:dedupe:p-done-1")) != b"done":
            assert loop.time() < deadline, f"never marked done: {held!r}"
            await asyncio.sleep(0.05)

        await asyncio.sleep(LEASE * 2)  # Recrubo's retry comes after the lease
        again = await receiver.handle(headers(), body)
        assert (again.status, again.reason) == (200, "duplicate")
        assert calls == ["p-done-1"], "the handlers ran twice for one delivery"
    finally:
        await store.aclose()
        await client.aclose()
