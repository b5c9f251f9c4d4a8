"""A whole deployment on loopback for waiter tests: emulator, webhook receiver, bus, client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import attrs
from aiohttp import web

from recrubo_async import Client
from recrubo_async.bus import CompletionBus, InMemoryBus
from recrubo_async.models import (
    CandidateField,
    FlowGeneration,
    Requirement,
    TextContext,
    VacancyApplicationParameters,
)
from recrubo_async.testing import Emulator
from recrubo_async.webhooks import WebhookReceiver

SECRET = "waiter-test-secret"

PARAMETERS = VacancyApplicationParameters(
    knockout_requirements=[Requirement("Has drivers license B", "drivers_license")],
    preferred_requirements=[Requirement("Lives in Amsterdam", "location")],
    required_fields=[CandidateField("email", "email")],
    flow_name="Driver",
)
CONTEXT = TextContext(value="We are hiring a delivery driver in Amsterdam.")


@attrs.define
class Deployment:
    emu: Emulator
    client: Client
    bus: CompletionBus
    receiver: WebhookReceiver

    async def generation(self, **kwargs: Any) -> FlowGeneration:
        """A flow generation created without waiting (production: it answers queued)."""
        return await self.client.flow_generations.create(
            flow_type="vacancy_application_flow", parameters=PARAMETERS, context=CONTEXT, **kwargs
        )


@asynccontextmanager
async def deployment(
    *,
    bus: CompletionBus | None = None,
    client_options: dict[str, Any] | None = None,
    **emulator_options: Any,
) -> AsyncIterator[Deployment]:
    """Emulator (production mode unless told), a receiver app on loopback publishing to a
    bus, the organization's webhook pointed at it, subscriptions to every job's updates."""
    options: dict[str, Any] = {"mode": "production", **emulator_options}
    bus = bus if bus is not None else InMemoryBus()
    receiver = WebhookReceiver(secret=SECRET, bus=bus)
    app = web.Application()
    receiver.add_routes(app, "/webhooks")
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/webhooks"
    try:
        async with Emulator(**options) as emu:
            org = await emu.create_organization("Waiters")
            async with Client(org.token, base_url=emu.base_url, **(client_options or {})) as client:
                await client.organizations.configure_webhooks(url=url, secret=SECRET)
                for rtype in ("flowGenerations", "flowRuns", "vacancyAnalyses"):
                    await client.webhooks.subscribe(rtype, events=["update", "delete"])
                yield Deployment(emu=emu, client=client, bus=bus, receiver=receiver)
    finally:
        await runner.cleanup()
