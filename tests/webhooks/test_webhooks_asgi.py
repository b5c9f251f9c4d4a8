"""``WebhookReceiver.asgi_app()`` served by a real uvicorn, alone and mounted in Starlette."""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

import aiohttp
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount, Route

from recrubo_async.bus import InMemoryBus, ResourceEvent
from recrubo_async.webhooks import WebhookPayload, WebhookReceiver

from ..support.deliveries import SECRET, delivery, generation, headers
from ..support.raw_http import post_raw
from ..support.servers import PATIENCE, uvicorn_server


def recording_receiver(**kwargs: Any) -> tuple[WebhookReceiver, list[str]]:
    receiver = WebhookReceiver(secret=SECRET, **kwargs)
    handled: list[str] = []

    @receiver.on()
    async def record(payload: WebhookPayload) -> None:
        await asyncio.sleep(0.05)  # long enough for concurrent copies to overlap
        handled.append(payload.id)

    return receiver, handled


async def test_served_alone_it_answers_every_documented_status() -> None:
    bus = InMemoryBus()
    receiver, handled = recording_receiver(bus=bus, max_body=4096)
    body = delivery(generation("g1", "finished"), payload_id="p1")
    async with uvicorn_server(receiver.asgi_app()) as port:
        url = f"http://127.0.0.1:{port}/any/path"
        async with aiohttp.ClientSession() as session:
            async with session.post(url, data=body, headers=headers()) as resp:
                assert (resp.status, await resp.json()) == (200, {"status": "ok"})
                assert resp.content_type == "application/json"
            async with session.post(url, data=body, headers=headers()) as resp:
                assert (resp.status, await resp.json()) == (200, {"status": "duplicate"})
            older = delivery(generation("g1", "processing", seconds=-5))
            async with session.post(url, data=older, headers=headers()) as resp:
                assert (resp.status, await resp.json()) == (200, {"status": "stale"})
            async with session.post(url, data=b"{}", headers=headers()) as resp:
                assert (resp.status, await resp.json()) == (400, {"status": "bad payload"})
            async with session.post(url, data=body, headers=headers("nope")) as resp:
                assert (resp.status, await resp.json()) == (401, {"status": "unauthorized"})
                assert SECRET not in await resp.text()
            async with session.post(url, data=b"x" * 5000, headers=headers()) as resp:
                assert (resp.status, await resp.json()) == (413, {"status": "body too large"})
            for method in ("GET", "PUT", "DELETE"):
                async with session.request(method, url, headers=headers()) as resp:
                    assert resp.status == 405
                    assert resp.headers["Allow"] == "POST"
                    assert await resp.json() == {"status": "method not allowed"}
    assert handled == ["p1"]


async def test_mounted_in_starlette_it_receives_under_the_mount_path() -> None:
    """``Mount`` serves the path with a trailing slash; ``Route`` serves the exact path."""
    receiver, handled = recording_receiver()
    app = Starlette(
        routes=[
            Mount("/webhooks/recrubo", receiver.asgi_app()),
            Route("/hooks/recrubo", receiver.asgi_app()),
        ]
    )
    async with uvicorn_server(app) as port:
        for path, pid in (("/webhooks/recrubo/", "p2"), ("/hooks/recrubo", "p2b")):
            body = delivery(generation(pid, "finished"), payload_id=pid)
            assert await post_raw(port, path, SECRET.encode(), body) == (200, {"status": "ok"})
            assert await post_raw(port, path, b"wrong", body) == (401, {"status": "unauthorized"})
    assert handled == ["p2", "p2b"]


async def test_concurrent_copies_of_a_delivery_run_the_handlers_once() -> None:
    receiver, handled = recording_receiver()
    body = delivery(generation("g3", "finished"), payload_id="p3")
    async with uvicorn_server(receiver.asgi_app()) as port:
        url = f"http://127.0.0.1:{port}/"
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def deliver() -> str:
                async with session.post(url, data=body, headers=headers()) as resp:
                    assert resp.status == 200
                    answer: dict[str, str] = await resp.json()
                    return answer["status"]

            answers = await asyncio.wait_for(
                asyncio.gather(*(deliver() for _ in range(20))), PATIENCE
            )
    assert sorted(answers) == ["duplicate"] * 19 + ["ok"]
    assert handled == ["p3"]


async def test_a_verified_delivery_reaches_the_bus() -> None:
    bus = InMemoryBus()
    receiver = WebhookReceiver(secret=SECRET, bus=bus)
    got: list[ResourceEvent] = []
    async with uvicorn_server(receiver.asgi_app()) as port:
        subscription = await bus.subscribe("flowGenerations", "g4")
        try:
            body = delivery(generation("g4", "finished"))
            assert await post_raw(port, "/", SECRET.encode(), body) == (200, {"status": "ok"})
            got.append(await asyncio.wait_for(subscription.get(), PATIENCE))
        finally:
            await subscription.close()
    assert [(e.type, e.id) for e in got] == [("flowGenerations", "g4")]


async def test_the_lifespan_protocol_completes_startup_and_shutdown() -> None:
    """Driven by hand, as a server does: each phase is acknowledged, then the app returns."""
    app = WebhookReceiver(secret=SECRET).asgi_app()
    incoming: asyncio.Queue[MutableMapping[str, Any]] = asyncio.Queue()
    sent: list[MutableMapping[str, Any]] = []

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    for message in ({"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}):
        incoming.put_nowait(message)
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}}
    await asyncio.wait_for(app(scope, incoming.get, send), PATIENCE)
    assert [m["type"] for m in sent] == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]


def test_asgi_app_repr_shows_no_secret() -> None:
    app = WebhookReceiver(secret=SECRET).asgi_app()
    assert SECRET not in repr(app)


@pytest.mark.parametrize("method", ["GET", "HEAD"])
async def test_other_methods_do_not_read_or_dispatch(method: str) -> None:
    receiver, handled = recording_receiver()
    app = receiver.asgi_app()
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> MutableMapping[str, Any]:
        raise AssertionError("a non-POST request's body must not be read")

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "headers": headers_raw(), "path": "/"}
    await app(scope, receive, send)
    assert sent[0]["status"] == 405
    assert handled == []


def headers_raw() -> list[tuple[bytes, bytes]]:
    return [(k.lower().encode(), v.encode()) for k, v in headers().items()]
