"""Receiving Recrubo webhooks in a FastAPI service, served by uvicorn, with a health check.

The receiver's ASGI app is mounted on the FastAPI app: it checks the secret header before
reading any of the body, reads the body under ``max_body`` and ``read_timeout``, then
decodes, dedupes, publishes and dispatches each delivery. ``/healthz`` proves a round trip
through the completion bus (``await bus.check()``), as a load balancer's probe would.

To stay self-contained this script serves the app with uvicorn on a free loopback port and
sends it two deliveries itself (as Recrubo would), then stops::

    python examples/fastapi_receiver.py

In a service, run ``uvicorn service:app`` and point the organization's webhook URL at
``https://your.host/webhooks/recrubo/`` (a mount serves the path with a trailing slash).
With several replicas, use ``RedisBus`` and ``RedisDedupe`` (docs/deployment.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timezone

import aiohttp
import orjson
import uvicorn
from fastapi import FastAPI

from recrubo_async.bus import InMemoryBus
from recrubo_async.models import FlowGeneration
from recrubo_async.webhooks import SECRET_HEADER, WebhookPayload, WebhookReceiver

SECRET = "the organization's webhookSecret"  # in a service: from the environment

bus = InMemoryBus()  # RedisBus(url) across processes
receiver = WebhookReceiver(secret=SECRET, bus=bus)


@receiver.on("flowGenerations", "update")
async def generation_changed(payload: WebhookPayload) -> None:
    generation = payload.resource  # already decoded into the typed model
    if isinstance(generation, FlowGeneration):
        print(f"    handler: generation {generation.id} is {generation.status}")


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    await bus.aclose()  # the bus (a Redis connection, in a service) closes with the app


app = FastAPI(lifespan=lifespan)
app.mount("/webhooks/recrubo", receiver.asgi_app())


@app.get("/healthz")
async def healthz() -> dict[str, float]:
    """Healthy when a state published on the bus comes back (BusCheckError otherwise)."""
    return {"bus_round_trip_seconds": await bus.check(timeout=5)}


def delivery(status: str) -> bytes:
    """A delivery as Recrubo builds it: the resource's new state inside a webhookPayload."""
    resource = {
        "type": "flowGenerations",
        "id": "0d6b1f52-2c1e-4a59-9d0f-5b8e3f1c7a10",
        "attributes": {
            "flowType": "vacancy_application_flow",
            "status": status,
            "updatedAt": datetime.now(timezone.utc).isoformat(),
        },
    }
    payload = {"webhookId": str(uuid.uuid4()), "event": "update", "resource": resource}
    document = {"data": {"type": "webhookPayload", "id": str(uuid.uuid4()), "attributes": payload}}
    return orjson.dumps(document)


async def main() -> None:
    # The receiver logs rejections (never the secret); show those lines in place.
    logging.basicConfig(stream=sys.stdout, format="    log: %(name)s: %(message)s")
    # IPPROTO_TCP, not the default 0: asyncio sets TCP_NODELAY on accepted connections only
    # for a socket that says it is TCP (otherwise small answers wait on Nagle's algorithm).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_config=None, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no "started" event
        await asyncio.sleep(0.01)
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            for label, secret in (("a delivery", SECRET), ("a delivery with a wrong secret", "x")):
                print(f"POST {label}:")
                async with http.post(
                    f"{base}/webhooks/recrubo/",
                    data=delivery("finished"),
                    headers={SECRET_HEADER: secret, "Content-Type": "application/vnd.api+json"},
                ) as resp:
                    print(f"    -> {resp.status} {await resp.json()}")
            async with http.get(f"{base}/healthz") as resp:
                measured = "bus_round_trip_seconds" in await resp.json()
                print(f"GET /healthz -> {resp.status}, bus round trip measured: {measured}")
    finally:
        server.should_exit = True
        await serving


if __name__ == "__main__":
    asyncio.run(main())
