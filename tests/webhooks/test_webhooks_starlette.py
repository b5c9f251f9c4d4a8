"""The framework-neutral core used from Starlette (an ASGI framework, no aiohttp server)."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from recrubo_async.webhooks import WebhookPayload, WebhookReceiver

from ..support.deliveries import SECRET, delivery, generation, headers


def make_app(receiver: WebhookReceiver) -> Starlette:
    async def recrubo_webhook(request: Request) -> JSONResponse:
        result = await receiver.handle(request.headers, await request.body())
        return JSONResponse({"status": result.reason}, status_code=result.status)

    return Starlette(routes=[Route("/webhooks", recrubo_webhook, methods=["POST"])])


async def call_asgi(app: Starlette, body: bytes, hdrs: dict[str, str]) -> tuple[int, Any]:
    """Drive the ASGI app as a server would, for one POST."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/webhooks",
        "raw_path": b"/webhooks",
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in hdrs.items()],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }
    sent = False
    messages: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        messages.append(message)

    await app(scope, receive, send)
    status = next(m["status"] for m in messages if m["type"] == "http.response.start")
    payload = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return status, orjson.loads(payload)


async def test_starlette_route_verifies_and_dispatches_through_the_core() -> None:
    receiver = WebhookReceiver(secret=SECRET)
    got: list[str] = []

    @receiver.on("flowGenerations", "update")
    async def on_update(payload: WebhookPayload) -> None:
        got.append(payload.resource.id)

    app = make_app(receiver)
    body = delivery(generation("g7", "finished"))
    assert await call_asgi(app, body, headers()) == (200, {"status": "ok"})
    assert await call_asgi(app, body, headers()) == (200, {"status": "duplicate"})
    assert await call_asgi(app, body, headers("wrong")) == (401, {"status": "unauthorized"})
    assert got == ["g7"]
