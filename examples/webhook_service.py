"""A web service that receives Recrubo's webhooks and awaits jobs with them.

The service is one aiohttp app with two routes:

- ``POST /webhooks`` takes Recrubo's deliveries: ``WebhookReceiver`` verifies the secret,
  dedupes, and publishes each state change on an ``InMemoryBus``;
- ``POST /applications`` starts a flow generation for a vacancy text and answers with the
  flow id once it is finished. It waits with a ``HybridWaiter`` on the same bus, so the
  request handler resumes as soon as the "finished" webhook lands on the other route;
  a slow safety-net poll covers a webhook that never comes.

The script starts the app on a free loopback port, points the organization's webhooks at
it, calls ``POST /applications`` once, prints the answer and the webhooks that arrived,
and shuts down::

    python examples/webhook_service.py

It runs against the embedded emulator in production mode (``?sync=true`` is ignored there,
so completion really arrives by webhook). With ``RECRUBO_API_KEY`` and ``RECRUBO_BASE_URL``
set it uses that API instead, but leaves the organization's webhook settings alone:
Recrubo cannot reach 127.0.0.1, so there the safety-net poll finishes the wait.
"""

from __future__ import annotations

import asyncio
import secrets
import time

import aiohttp
from _target import api_target
from aiohttp import web

from recrubo_async import Client
from recrubo_async.bus import InMemoryBus
from recrubo_async.models import (
    CandidateField,
    Requirement,
    TextContext,
    VacancyApplicationParameters,
)
from recrubo_async.waiters import HybridWaiter
from recrubo_async.webhooks import WebhookPayload, WebhookReceiver

VACANCY = """Barista, Utrecht (24 hours). You make great coffee and greet every guest.
You have barista experience and speak Dutch."""

# Typed application state: the request handler finds the SDK client here.
CLIENT = web.AppKey("client", Client)


async def create_application(request: web.Request) -> web.Response:
    """``POST /applications {"vacancy": "..."}``: generate the flow, answer with its id."""
    vacancy = str((await request.json())["vacancy"])
    # The client's HybridWaiter listens on the bus the webhook route publishes to: this
    # await ends when the "finished" delivery arrives, without a polling loop.
    generation = await request.app[CLIENT].flow_generations.create_and_wait(
        flow_type="vacancy_application_flow",
        parameters=VacancyApplicationParameters(
            flow_name="Barista",
            language="en",
            knockout_requirements=[Requirement("Has barista experience", "experience")],
            preferred_requirements=[Requirement("Speaks Dutch", "speaks_dutch")],
            required_fields=[CandidateField("email", "email")],
        ),
        context=TextContext(value=vacancy),
        timeout=60,
    )
    return web.json_response(
        {
            "generation_id": generation.id,
            "status": str(generation.status),
            "flow_id": generation.flow_id,
        }
    )


def make_app(client: Client, receiver: WebhookReceiver) -> web.Application:
    app = web.Application()
    app[CLIENT] = client
    receiver.add_routes(app, "/webhooks")
    app.router.add_post("/applications", create_application)
    return app


async def main() -> None:
    started = time.monotonic()
    secret = secrets.token_urlsafe(24)
    bus = InMemoryBus()
    receiver = WebhookReceiver(secret=secret, bus=bus)
    received: list[str] = []

    @receiver.on("flowGenerations")
    async def note(payload: WebhookPayload) -> None:
        # Runs after the receiver published the state on the bus; here only for the account.
        status = payload.resource.attribute("status")
        received.append(f"{payload.event} {payload.resource.type} {status}")

    async with (
        api_target(mode="production", speed=4) as target,
        Client(
            target.api_key,
            base_url=target.base_url,
            waiter=HybridWaiter(bus, safety_poll_interval=5),
        ) as client,
    ):
        runner = web.AppRunner(make_app(client, receiver), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        base_url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        print(f"Service listening on {base_url}")
        try:
            if target.emulator is not None:
                # The secret goes on the organization; Recrubo sends it with every delivery.
                await client.organizations.configure_webhooks(
                    url=f"{base_url}/webhooks", secret=secret
                )
                subscriptions = await client.webhooks.subscribe(
                    "flowGenerations", events=["update"], fields=["status"]
                )
                print(f"Webhooks: {len(subscriptions)} subscription, to {base_url}/webhooks")
            else:
                print("Real API: webhook settings left alone; the safety-net poll will finish")

            # A caller of the service: one request, answered when the flow exists.
            async with (
                aiohttp.ClientSession() as http,
                http.post(f"{base_url}/applications", json={"vacancy": VACANCY}) as response,
            ):
                answer = await response.json()
            print(f"POST /applications -> {response.status} {answer}")
            print(f"answered after {time.monotonic() - started:.1f}s")
            print("webhooks received:", "; ".join(received) or "none")
            if target.emulator is not None:
                # One GET right after subscribing (in case the job was already done); the
                # rest came by webhook, so the poll never had to run.
                gets = target.emulator.stats.gets[answer["generation_id"]]
                print(f"GETs of the generation while waiting: {gets}")
        finally:
            await runner.cleanup()
    print("Service stopped")


if __name__ == "__main__":
    asyncio.run(main())
