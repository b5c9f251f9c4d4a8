"""The aiohttp adapter, over real loopback sockets."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from recrubo_async.bus import InMemoryBus
from recrubo_async.webhooks import WebhookPayload, WebhookReceiver

from ..support.deliveries import SECRET, delivery, generation, headers
from ..support.raw_http import request_head
from ..support.servers import receiver_app, serve


@pytest.fixture
async def served() -> AsyncIterator[tuple[str, WebhookReceiver, list[WebhookPayload]]]:
    receiver = WebhookReceiver(secret=SECRET, bus=InMemoryBus(), max_body=4096)
    received: list[WebhookPayload] = []

    @receiver.on()
    async def record(payload: WebhookPayload) -> None:
        received.append(payload)

    async with serve(receiver_app(receiver, "/hooks/recrubo")) as served:
        yield served.url("/hooks/recrubo"), receiver, received


async def test_aiohttp_route_accepts_a_verified_delivery(
    served: tuple[str, WebhookReceiver, list[WebhookPayload]],
) -> None:
    url, _, received = served
    async with aiohttp.ClientSession() as session:
        body = delivery(generation("g1", "finished"))
        async with session.post(url, data=body, headers=headers()) as resp:
            assert resp.status == 200
            assert await resp.json() == {"status": "ok"}
            assert resp.headers["Content-Type"] == "application/json"
        async with session.post(url, data=body, headers=headers()) as resp:
            assert await resp.json() == {"status": "duplicate"}
        async with session.post(url, data=b"[]", headers=headers()) as resp:
            assert (resp.status, await resp.json()) == (400, {"status": "bad payload"})
            assert resp.headers["Content-Type"] == "application/json"
        async with session.post(url, data=body, headers=headers("nope")) as resp:
            assert resp.status == 401
            assert resp.headers["Content-Type"] == "application/json"
            text = await resp.text()
            assert SECRET not in text
    assert len(received) == 1


async def test_aiohttp_route_refuses_large_bodies_by_header_and_by_stream(
    served: tuple[str, WebhookReceiver, list[WebhookPayload]],
) -> None:
    url, _, received = served

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(100):
            yield b"x" * 1024

    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=b"x" * 5000, headers=headers()) as resp:
            assert resp.status == 413
        # No Content-Length (chunked): the adapter stops reading at the limit.
        async with session.post(url, data=chunks(), headers=headers()) as resp:
            assert resp.status == 413
        async with session.post(url, data=b"{}", headers=headers()) as resp:
            assert resp.status == 400
    assert received == []


async def test_a_sender_that_hangs_up_after_a_whole_body_is_dropped_quietly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The body has fully arrived, then the sender leaves before the handler runs (a
    middleware awaited first): aiohttp parks the error on the stream. Nobody hears an
    answer; nothing is handled and nothing is logged as an error."""
    receiver = WebhookReceiver(secret=SECRET)
    handled: list[str] = []

    @receiver.on()
    async def record(payload: WebhookPayload) -> None:
        handled.append(payload.id)

    hung_up = asyncio.Event()

    @web.middleware
    async def slow(request: web.Request, handler: Any) -> web.StreamResponse:
        await hung_up.wait()  # e.g. authentication or tracing that awaits
        await asyncio.sleep(0.05)
        response: web.StreamResponse = await handler(request)
        return response

    app = web.Application(middlewares=[slow])
    receiver.add_routes(app, "/hooks")
    body = delivery(generation("g1", "finished"), payload_id="left")
    head = request_head("/hooks", secret=SECRET.encode(), content_length=len(body))
    with caplog.at_level(logging.WARNING):
        async with serve(app) as served:
            _, writer = await asyncio.open_connection("127.0.0.1", served.port)
            writer.write(head + body)
            await writer.drain()
            writer.close()
            await writer.wait_closed()
            await asyncio.sleep(0.05)
            hung_up.set()
            await asyncio.sleep(0.3)
    assert handled == []
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
