"""A delivery retried long after a newer state was handled is still stale.

Recrubo retries a failed delivery five times over about 24 hours (the emulator's default
schedule: 1 min, 5 min, 30 min, 2 h, 21 h). A replica that could not take an update when
it was first sent gets it again hours later, after the next state was handled: that older
state must be answered ``stale``, not dispatched, whatever the bus given to the receiver
forgets meanwhile (an ``InMemoryBus`` gives back no state after its ``latest_ttl``, 1 h by
default). Real emulator, real receiver over real sockets; the bus's TTL is scaled down to
a fraction of a second in place of the hours between the API's retries.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import web

from recrubo_async import Client
from recrubo_async.bus import InMemoryBus
from recrubo_async.testing import Emulator
from recrubo_async.webhooks import WebhookPayload, WebhookReceiver

from ..support.servers import serve

SECRET = "whsec-late-retry-0123456789"
#: The bus's TTL in real seconds, standing in for the default hour.
TTL = 0.2


async def test_an_update_retried_after_the_bus_forgot_the_newer_state_is_stale(
    emu: Emulator, api: Client
) -> None:
    bus = InMemoryBus(latest_ttl=TTL)
    receiver = WebhookReceiver(secret=SECRET, bus=bus)
    dispatched: list[str] = []
    answers: list[int] = []
    down = asyncio.Event()

    @receiver.on("candidates", "update")
    async def record(payload: WebhookPayload) -> None:
        dispatched.append(str(payload.raw_resource["attributes"]["firstName"]))

    @web.middleware
    async def replica(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if down.is_set():  # this replica is unreachable: the sender will retry
            return web.Response(status=503)
        response = await handler(request)
        answers.append(response.status)
        return response

    app = web.Application(middlewares=[replica])
    receiver.add_routes(app, "/webhooks")
    try:
        async with serve(app) as served:
            await api.organizations.configure_webhooks(url=served.url("/webhooks"), secret=SECRET)
            await api.webhooks.create(resource_type="candidates", event="update")
            candidate = await api.candidates.create(phone="31600000042")

            down.set()
            await api.candidates.update(candidate, first_name="Older")
            await emu.settle()  # sent, refused: retried in a minute
            down.clear()
            await emu.advance(1)
            await api.candidates.update(candidate, first_name="Newer")
            await emu.settle()
            assert dispatched == ["Newer"]

            await asyncio.sleep(TTL * 2)  # the hours until the API's next retry
            await emu.advance(60)  # the retry of "Older"
            await emu.settle()
            assert answers == [200, 200]  # the retry did arrive, and was answered
            assert dispatched == ["Newer"]
    finally:
        await bus.aclose()
