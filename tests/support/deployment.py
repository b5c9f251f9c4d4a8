"""A whole deployment on loopback for waiter tests: emulator, webhook receiver, bus, client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs

from recrubo_async import Client
from recrubo_async.bus import CompletionBus, InMemoryBus, ResourceEvent
from recrubo_async.models import (
    CandidateField,
    FlowGeneration,
    Requirement,
    TextContext,
    VacancyApplicationParameters,
)
from recrubo_async.testing import Emulator
from recrubo_async.waiters import CompletionWaiter
from recrubo_async.webhooks import WebhookReceiver

from .servers import receiver_app, serve

SECRET = "waiter-test-secret"

PARAMETERS = VacancyApplicationParameters(
    knockout_requirements=[Requirement("Has drivers license B", "drivers_license")],
    preferred_requirements=[Requirement("Lives in Amsterdam", "location")],
    required_fields=[CandidateField("email", "email")],
    flow_name="Driver",
)
CONTEXT = TextContext(value="We are hiring a delivery driver in Amsterdam.")
#: A polling waiter's settings for tests: a poll every 10-50 ms, no jitter.
FAST_POLL: dict[str, Any] = dict(interval=0.01, max_interval=0.05, jitter=0.0)


async def generation(client: Client, **kwargs: Any) -> FlowGeneration:
    """A flow generation created without waiting (production: it answers queued)."""
    return await client.flow_generations.create(
        flow_type="vacancy_application_flow", parameters=PARAMETERS, context=CONTEXT, **kwargs
    )


@asynccontextmanager
async def tenant(emu: Emulator, name: str = "A", **options: Any) -> AsyncIterator[Client]:
    """A client of a new organization ``name`` on ``emu``."""
    org = await emu.create_organization(name)
    async with Client(org.token, base_url=emu.base_url, **options) as client:
        yield client


def finished_event(gid: str, at: datetime | None = None, **attributes: Any) -> ResourceEvent:
    """The ``finished`` update of a flow generation as a receiver publishes it; at ``at``,
    by default five minutes from now: newer than anything the API said."""
    at = at if at is not None else datetime.now(timezone.utc) + timedelta(minutes=5)
    return ResourceEvent.from_resource(
        {
            "type": "flowGenerations",
            "id": gid,
            "attributes": {"status": "finished", "updatedAt": at.isoformat(), **attributes},
        },
        event="update",
    )


@attrs.define
class Deployment:
    emu: Emulator
    client: Client
    bus: CompletionBus
    receiver: WebhookReceiver

    async def generation(self, **kwargs: Any) -> FlowGeneration:
        """A flow generation created without waiting (production: it answers queued)."""
        return await generation(self.client, **kwargs)


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
    async with serve(receiver_app(receiver)) as served, Emulator(**options) as emu:
        org = await emu.create_organization("Waiters")
        async with Client(org.token, base_url=emu.base_url, **(client_options or {})) as client:
            await client.organizations.configure_webhooks(
                url=served.url("/webhooks"), secret=SECRET
            )
            for rtype in ("flowGenerations", "flowRuns", "vacancyAnalyses"):
                await client.webhooks.subscribe(rtype, events=["update", "delete"])
            yield Deployment(emu=emu, client=client, bus=bus, receiver=receiver)


async def generate(env: Deployment, waiter: CompletionWaiter, **kwargs: Any) -> FlowGeneration:
    """``create_and_wait`` of a flow generation with the test parameters, on ``waiter``."""
    result: FlowGeneration = await env.client.flow_generations.create_and_wait(
        flow_type="vacancy_application_flow",
        parameters=PARAMETERS,
        context=CONTEXT,
        waiter=waiter,
        **kwargs,
    )
    return result
