"""Servers of the aiohttp receiver benchmark: a bare aiohttp handler, and the receiver's
adapter (``add_routes``).

Run as ``python -m benchmarks._webhook_servers bare|receiver PORT``. Both are a plain
``web.run_app`` with the access log off, so the only difference is the handler.
"""

from __future__ import annotations

import sys

from aiohttp import web

from benchmarks._raw_sender import SECRET
from recrubo_async.bus import InMemoryBus
from recrubo_async.webhooks import WebhookReceiver


async def bare(request: web.Request) -> web.Response:
    """The floor: read the whole body, answer 200 with a small JSON body; nothing else."""
    await request.read()
    return web.Response(status=200, body=b'{"status":"ok"}', content_type="application/json")


def main() -> None:
    kind, port = sys.argv[1], int(sys.argv[2])
    app = web.Application()
    if kind == "bare":
        app.router.add_post("/webhooks", bare)
    else:
        WebhookReceiver(secret=SECRET, bus=InMemoryBus()).add_routes(app, "/webhooks")
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


if __name__ == "__main__":
    main()
