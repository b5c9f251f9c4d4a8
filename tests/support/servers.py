"""Serving an app on a free loopback port: one way for aiohttp apps, one for ASGI apps.

Not ``aiohttp.test_utils.TestServer``: it always turns on ``handler_cancellation``, so a
receiver would see its handler cancelled when a sender hangs up, where aiohttp's default
(and a user's ``web.run_app``) lets it finish.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import attrs
import uvicorn
from aiohttp import web

from recrubo_async.webhooks import WebhookReceiver

#: Generous: a loaded 2-core machine may take a while, and no test waits this long on
#: success.
PATIENCE = 30.0


@attrs.frozen
class Served:
    """Where an app is served."""

    port: int

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@contextlib.asynccontextmanager
async def serve(app: web.Application, **runner_options: Any) -> AsyncIterator[Served]:
    """Serve ``app`` on a free loopback port until the block ends.

    Args:
        runner_options: for ``web.AppRunner``; the access log is off unless given.
    """
    runner = web.AppRunner(app, **{"access_log": None, **runner_options})
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        yield Served(runner.addresses[0][1])
    finally:
        await runner.cleanup()


def receiver_app(receiver: WebhookReceiver, path: str = "/webhooks") -> web.Application:
    """An aiohttp app with ``receiver``'s routes at ``path``."""
    app = web.Application()
    receiver.add_routes(app, path)
    return app


@contextlib.asynccontextmanager
async def uvicorn_server(app: Any) -> AsyncIterator[int]:
    """Serve an ASGI app with a real ``uvicorn.Server`` in a task; yield its port."""
    # proto=IPPROTO_TCP: asyncio sets TCP_NODELAY on accepted sockets only then (see
    # silent_proxy.py), so an answer written in two pieces is not held by Nagle.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port: int = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        lifespan="on",
        log_config=None,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))

    async def started() -> None:
        while not server.started:
            if task.done():
                await task  # raise what stopped it
                raise RuntimeError("uvicorn stopped before it started (lifespan failed?)")
            await asyncio.sleep(0.01)

    try:
        await asyncio.wait_for(started(), PATIENCE)
        yield port
    finally:
        server.should_exit = True
        await task
        sock.close()


#: Serves a receiver (on ``/webhooks``) until the block ends; yields the port.
Serve = Callable[[WebhookReceiver], AbstractAsyncContextManager[int]]


@contextlib.asynccontextmanager
async def serve_aiohttp(receiver: WebhookReceiver) -> AsyncIterator[int]:
    """``receiver.add_routes`` in an aiohttp app."""
    async with serve(receiver_app(receiver)) as served:
        yield served.port


def serve_asgi(receiver: WebhookReceiver) -> AbstractAsyncContextManager[int]:
    """``receiver.asgi_app()`` under uvicorn."""
    return uvicorn_server(receiver.asgi_app())
