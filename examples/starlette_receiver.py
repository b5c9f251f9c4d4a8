"""Receiving Recrubo webhooks in Starlette (or FastAPI) by mounting the receiver's ASGI app.

``receiver.asgi_app()`` is a complete ASGI application: it checks the secret header
before reading any of the body (401), reads the body under ``max_body`` (413) and
``read_timeout`` (408), then verifies, decodes, dedupes and dispatches the delivery and
answers ``{"status": reason}``. Mounting it is all a real service needs; with FastAPI it
is the same line, ``app.mount("/webhooks/recrubo", receiver.asgi_app())``.

To stay self-contained this script runs the app in-process, with no server and no
network: it calls the ASGI app with one request at a time, exactly as uvicorn would after
reading a request off a socket. The deliveries are built by hand in the shape Recrubo
sends (a ``webhookPayload`` document with the organization's secret in
``X-Recrubo-Webhook-Secret``), so no API is needed either::

    python examples/starlette_receiver.py

In a service, a server runs it: ``uvicorn --app-dir examples starlette_receiver:app``
(uvicorn is not a dependency of this project, so this script does not). A mount serves
the path with a trailing slash (the bare path is answered with a redirect, which a
webhook sender may not follow), so the organization's webhook URL is
``https://your.host/webhooks/recrubo/``.
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
from starlette.routing import Mount
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


app = Starlette(routes=[Mount("/webhooks/recrubo", receiver.asgi_app())])


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


async def post(body: bytes, secret: str = SECRET, *, method: str = "POST") -> tuple[int, Any]:
    """One request to ``/webhooks/recrubo/`` through the ASGI app, as a server sends it."""
    headers = [(b"content-type", b"application/vnd.api+json")]
    if secret:
        headers.append((SECRET_HEADER.lower().encode(), secret.encode()))
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": "/webhooks/recrubo/",
        "raw_path": b"/webhooks/recrubo/",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
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
        # Refused before the body is read: a stranger cannot make the service read 1 MiB.
        ("a delivery with a wrong secret", delivery("finished", now), "guessed"),
        ("a delivery without the secret header", delivery("finished", now), ""),
        ("a body that is not a webhookPayload", b'{"data": []}', SECRET),
        ("a body over max_body", b"x" * (receiver.max_body + 1), SECRET),
    ]
    for label, body, secret in steps:
        print(f"POST {label}:")
        status, answer = await post(body, secret)
        print(f"    -> {status} {answer}")
    print("GET (only POST is accepted):")
    status, answer = await post(b"", method="GET")
    print(f"    -> {status} {answer}")


if __name__ == "__main__":
    asyncio.run(main())
