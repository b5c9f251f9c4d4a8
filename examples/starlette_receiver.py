"""Receiving Recrubo webhooks in Starlette (or FastAPI) with the framework-neutral core.

``WebhookReceiver.handle(headers, body)`` verifies the secret, decodes, dedupes and
dispatches one delivery, and returns the status to answer; it never raises into the
framework. The Starlette route below is all a real service needs.

To stay self-contained this script runs the app in-process, with no server and no
network: it calls the ASGI app with one request at a time, exactly as uvicorn would after
reading a request off a socket. The deliveries are built by hand in the shape Recrubo
sends (a ``webhookPayload`` document with the organization's secret in
``X-Recrubo-Webhook-Secret``), so no API is needed either::

    python examples/starlette_receiver.py

In a service, a server runs it: ``uvicorn --app-dir examples starlette_receiver:app``
(uvicorn is not a dependency of this project, so this script does not).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Message

from recrubo_async.models import FlowGeneration
from recrubo_async.webhooks import SECRET_HEADER, WebhookPayload, WebhookReceiver

SECRET = "the organization's webhookSecret"  # in a service: from the environment

receiver = WebhookReceiver(secret=SECRET)


@receiver.on("flowGenerations", "update")
async def generation_changed(payload: WebhookPayload) -> None:
    generation = payload.resource  # already decoded into the typed model
    if isinstance(generation, FlowGeneration):
        print(f"    handler: generation {generation.id} is {generation.status}")


async def recrubo_webhook(request: Request) -> JSONResponse:
    result = await receiver.handle(request.headers, await request.body())
    return JSONResponse({"status": result.reason}, status_code=result.status)


app = Starlette(routes=[Route("/webhooks/recrubo", recrubo_webhook, methods=["POST"])])


def delivery(status: str, updated_at: datetime, *, payload_id: str | None = None) -> bytes:
    """A delivery as Recrubo builds it: the resource's new state inside a webhookPayload."""
    resource = {
        "type": "flowGenerations",
        "id": "0d6b1f52-2c1e-4a59-9d0f-5b8e3f1c7a10",
        "attributes": {
            "flowType": "vacancy_application_flow",
            "status": status,
            "updatedAt": updated_at.isoformat(),
        },
    }
    return orjson.dumps(
        {
            "data": {
                "type": "webhookPayload",
                "id": payload_id or str(uuid.uuid4()),  # Recrubo's WebhookLog id
                "attributes": {
                    "webhookId": "5a7a2f4e-0d5c-4b8e-9a37-3f6f0e2b1c11",
                    "event": "update",
                    "fields": ["status"],
                    "resource": resource,
                },
            }
        }
    )


async def post(body: bytes, secret: str = SECRET) -> tuple[int, Any]:
    """One ``POST /webhooks/recrubo`` through the ASGI app, as a server would send it."""
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/webhooks/recrubo",
        "raw_path": b"/webhooks/recrubo",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (SECRET_HEADER.lower().encode(), secret.encode()),
            (b"content-type", b"application/vnd.api+json"),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    request_sent = False
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal request_sent
        if request_sent:
            return {"type": "http.disconnect"}
        request_sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    answer = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, orjson.loads(answer)


async def main() -> None:
    # The receiver logs every rejection (never the secret); show those lines in place.
    logging.basicConfig(stream=sys.stdout, format="    log: %(name)s: %(message)s")
    now = datetime.now(timezone.utc)
    finished = delivery("finished", now)
    steps = [
        ("a delivery", finished, SECRET),
        # Recrubo retries a delivery it thinks failed, with the same payload id.
        ("the same delivery again (a retry)", finished, SECRET),
        # Deliveries can arrive out of order: an older state must not win.
        ("a late, older update", delivery("processing", now - timedelta(seconds=5)), SECRET),
        ("a delivery with a wrong secret", delivery("finished", now), "guessed"),
        ("a body that is not a webhookPayload", b'{"data": []}', SECRET),
    ]
    for label, body, secret in steps:
        print(f"POST {label}:")
        status, answer = await post(body, secret)
        print(f"    -> {status} {answer}")


if __name__ == "__main__":
    asyncio.run(main())
