"""Servers of the aiohttp receiver benchmark: a bare aiohttp handler, and the receiver's
adapter (``add_routes``), in one process.

Run as ``python -m benchmarks._webhook_servers BARE_PORT RECEIVER_PORT``: one event loop,
two ``web.AppRunner`` sites (what ``web.run_app`` sets up), the access log off, so the
only difference is the handler. One process rather than one per server: two processes
running the same code can differ by several percent for a whole run (the OpenTelemetry
benchmark's finding, benchmarks/findings.md, session 15), which a verdict on a ratio
must not take for the SDK's. SIGTERM (or SIGINT) stops both.
"""

from __future__ import annotations

import asyncio
import signal
import sys

from aiohttp import web

from benchmarks._raw_sender import SECRET
from recrubo_async.bus import InMemoryBus
from recrubo_async.webhooks import WebhookReceiver


async def bare(request: web.Request) -> web.Response:
    """The floor: read the whole body, answer 200 with a small JSON body; nothing else."""
    await request.read()
    return web.Response(status=200, body=b'{"status":"ok"}', content_type="application/json")


def application(kind: str) -> web.Application:
    app = web.Application()
    if kind == "bare":
        app.router.add_post("/webhooks", bare)
    else:
        WebhookReceiver(secret=SECRET, bus=InMemoryBus()).add_routes(app, "/webhooks")
    return app


async def serve(ports: dict[str, int]) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    runners = []
    try:
        for kind, port in ports.items():
            runner = web.AppRunner(application(kind), access_log=None)
            runners.append(runner)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", port).start()
        await stop.wait()
    finally:
        for runner in runners:
            await runner.cleanup()


def main() -> None:
    asyncio.run(serve({"bare": int(sys.argv[1]), "receiver": int(sys.argv[2])}))


if __name__ == "__main__":
    main()
