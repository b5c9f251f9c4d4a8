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

LEASE = 0.5
PATIENCE = 30.0


class LosingProxy:
    """Forwards to Redis, except the first write carrying ``marker``, which it drops."""

    def __init__(self, upstream_port: int, marker: bytes) -> None:
        self.upstream_port = upstream_port
        self.marker = marker
        self.lost = asyncio.Event()
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []
        self._pumps: set[asyncio.Task[object]] = set()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._pumps.add(task)
        self._writers.append(writer)
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        self._writers.append(up_writer)

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter, ask: bool) -> None:
            while data := await src.read(65536):
                if ask and self.marker in data and not self.lost.is_set():
                    self.lost.set()  # this request never reaches Redis
                    continue
                dst.write(data)
                await dst.drain()

        await asyncio.gather(
            pump(reader, up_writer, True), pump(up_reader, writer, False), return_exceptions=True
        )

    async def __aenter__(self) -> LosingProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for w in self._writers:
            w.close()
        for pump in self._pumps:
            pump.cancel()
        await asyncio.gather(*self._pumps, return_exceptions=True)
        await asyncio.gather(*(w.wait_closed() for w in self._writers), return_exceptions=True)
        await self._server.wait_closed()


@pytest.fixture
async def proxy(redis_server: RedisServer) -> AsyncIterator[LosingProxy]:
    async with LosingProxy(redis_server.port, _MARK_DONE.sha.encode()) as running:
        yield running


async def test_a_delivery_whose_done_was_cancelled_is_still_marked_and_never_runs_again(
    proxy: LosingProxy, admin: aioredis.Redis
) -> None:
    client = aioredis.Redis(host="127.0.0.1", port=proxy.port)
    store = RedisDedupe(client=client, prefix="done-cancel")
    receiver = WebhookReceiver(secret=SECRET, dedupe=store, dedupe_lease=LEASE, busy_wait=0)
    calls: list[str] = []

    @receiver.on()
    async def handler(payload: WebhookPayload) -> None:
        calls.append(payload.id)

    body = delivery(generation("g1", "finished"), payload_id="p-done-1")
    try:
        first = asyncio.create_task(receiver.handle(headers(), body))
        await asyncio.wait_for(proxy.lost.wait(), PATIENCE)  # done() is waiting for Redis
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
