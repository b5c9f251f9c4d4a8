"""``recrubo_async.webhooks.aiohttp``: the receiver's aiohttp glue as a public module of its
own, which the receiver delegates to and which never imports the receiver."""

from __future__ import annotations

import ast
import subprocess
import sys
from types import ModuleType

import aiohttp
from aiohttp import web

from recrubo_async.webhooks import WebhookPayload, WebhookReceiver, _body, _result
from recrubo_async.webhooks import aiohttp as webhooks_aiohttp

from ..support.deliveries import SECRET, delivery, generation, headers
from ..support.raw_http import post_raw
from ..support.servers import serve


async def test_add_routes_serves_verified_deliveries_and_refuses_strangers() -> None:
    receiver = WebhookReceiver(secret=SECRET)
    received: list[WebhookPayload] = []

    @receiver.on()
    async def record(payload: WebhookPayload) -> None:
        received.append(payload)

    app = web.Application()
    webhooks_aiohttp.add_routes(receiver, app, "/hooks")
    async with serve(app) as served, aiohttp.ClientSession() as session:
        body = delivery(generation("g1", "finished"))
        async with session.post(served.url("/hooks"), data=body, headers=headers()) as resp:
            assert (resp.status, await resp.json()) == (200, {"status": "ok"})
        async with session.post(served.url("/hooks"), data=body, headers=headers("no")) as resp:
            assert resp.status == 401
        async with session.get(served.url("/hooks")) as resp:
            assert resp.status == 405
    assert [p.resource.id for p in received] == ["g1"]


async def test_handler_and_expect_handler_mount_on_a_route_of_your_own() -> None:
    receiver = WebhookReceiver(secret=SECRET)
    app = web.Application()
    app.router.add_route(
        "POST",
        "/mine",
        webhooks_aiohttp.handler(receiver),
        expect_handler=webhooks_aiohttp.expect_handler(receiver),
    )
    async with serve(app) as served:
        body = delivery(generation("g2", "queued"))
        assert (await post_raw(served.port, "/mine", SECRET.encode(), body))[0] == 200
        assert (await post_raw(served.port, "/mine", b"wrong", body))[0] == 401


def _top_level_imports(module: ModuleType) -> set[str]:
    """The modules a module imports when it runs (``if TYPE_CHECKING:`` blocks left out)."""
    assert module.__file__ is not None
    with open(module.__file__, encoding="utf-8") as file:
        tree = ast.parse(file.read())
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            found.add(node.module or "")
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_the_adapter_imports_no_receiver_and_the_receiver_no_aiohttp_server() -> None:
    """The adapter needs the receiver's type only for annotations (no import cycle); an
    ASGI application imports the receiver without aiohttp's server side."""
    for module in (webhooks_aiohttp, _body, _result):
        assert "_receiver" not in _top_level_imports(module), module.__name__
    code = (
        "import sys\n"
        "import recrubo_async.webhooks\n"
        "assert 'aiohttp.web' not in sys.modules\n"
        "assert 'recrubo_async.webhooks.aiohttp' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
