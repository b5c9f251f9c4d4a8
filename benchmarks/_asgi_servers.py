"""Servers of the ASGI receiver benchmark: a bare ASGI handler, and ``receiver.asgi_app()``,
in one process.

Run as ``python -m benchmarks._asgi_servers BARE_PORT RECEIVER_PORT``: two
``uvicorn.Server`` in one event loop, under one configuration (:func:`config`), so the
only difference is the application. One process rather than one per server: two
processes running the same code can differ by several percent for a whole run (the
OpenTelemetry benchmark's finding, benchmarks/findings.md, session 15), which a verdict
on a ratio must not take for the SDK's. SIGTERM (or SIGINT) stops both: each server
passes a signal it handled on to the handler it replaced (uvicorn's ``capture_signals``).
"""

from __future__ import annotations

import asyncio
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


async def serve(ports: dict[str, int]) -> None:
    apps: dict[str, Any] = {
        "bare": bare,
        "receiver": WebhookReceiver(secret=SECRET, bus=InMemoryBus()).asgi_app(),
    }
    servers = [uvicorn.Server(config(apps[kind], port)) for kind, port in ports.items()]
    await asyncio.gather(*(server.serve() for server in servers))


def event_loop(config: uvicorn.Config) -> asyncio.AbstractEventLoop:
    """A new loop of the kind ``uvicorn.Server.run()`` runs in for ``config`` (``loop="auto"``:
    uvloop when installed): the two servers share one, so ``run()`` itself cannot serve."""
    factory = getattr(config, "get_loop_factory", None)  # uvicorn 0.36+
    if factory is not None:
        make = factory()
        return make() if make is not None else asyncio.new_event_loop()
    getattr(config, "setup_event_loop")()  # noqa: B009 - older uvicorn: sets the policy
    return asyncio.new_event_loop()


def main() -> None:
    loop = event_loop(config(bare, 0))
    try:
        loop.run_until_complete(serve({"bare": int(sys.argv[1]), "receiver": int(sys.argv[2])}))
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        loop.close()


if __name__ == "__main__":
    main()
