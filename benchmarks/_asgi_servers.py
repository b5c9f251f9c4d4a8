"""Servers of the ASGI receiver benchmark: a bare ASGI handler, and ``receiver.asgi_app()``.

Run as ``python -m benchmarks._asgi_servers bare|receiver PORT``. Both run under one
uvicorn configuration (:func:`config`), so the only difference is the application.
"""

from __future__ import annotations

import sys
from typing import Any

import uvicorn

from recrubo_async.bus import InMemoryBus
from recrubo_async.webhooks import WebhookReceiver

SECRET = "bench-secret"

_OK = b'{"status":"ok"}'
_HEADERS = [
    (b"content-type", b"application/json"),
    (b"content-length", str(len(_OK)).encode("ascii")),
]


async def bare(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The floor: read the whole body, answer 200 with a small JSON body; nothing else."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
    await send({"type": "http.response.body", "body": _OK})


def config(app: Any, port: int) -> uvicorn.Config:
    """The one uvicorn configuration both applications are served with.

    uvicorn's own defaults for ``http`` and ``loop`` (``auto``: httptools and uvloop when
    installed, else h11 and asyncio): what ``uvicorn module:app`` gives a user here.
    """
    return uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        lifespan="on",
        access_log=False,
        log_level="warning",
        log_config=None,
    )


def main() -> None:
    kind, port = sys.argv[1], int(sys.argv[2])
    if kind == "bare":
        app: Any = bare
    else:
        app = WebhookReceiver(secret=SECRET, bus=InMemoryBus()).asgi_app()
    uvicorn.Server(config(app, port)).run()


if __name__ == "__main__":
    main()
