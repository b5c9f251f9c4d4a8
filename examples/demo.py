"""The whole product in one run (``make demo``): jobs that finish later, as awaits.

Starts the embedded emulator in production mode (so completion really arrives by
webhook), a webhook receiver in an aiohttp app, and then, with a ``HybridWaiter``:

1. analyzes a vacancy text,
2. generates the application flow from the analysis and prints it as a tree,
3. opens a WhatsApp message thread and triggers the flow on it with a template,
4. watches the run to ``finished`` with a live status line.

No key and no network needed. Set ``RECRUBO_API_KEY`` and ``RECRUBO_BASE_URL`` to run it
against a real API instead: it then creates billed jobs there, but leaves the organization's
webhook URL, secret and subscriptions alone (webhooks could not reach this machine anyway),
so the waiter's safety-net poll does the work.
"""

from __future__ import annotations

import asyncio
import secrets
import sys
import time

from _render import FLOW_TREE, print_flow
from _target import api_target
from aiohttp import web

from recrubo_async import Client
from recrubo_async.bus import InMemoryBus
from recrubo_async.models import (
    AnalyzeResult,
    CandidateField,
    Requirement,
    Resource,
    TemplateComponent,
    TemplateMessage,
    TextContext,
    VacancyApplicationParameters,
)
from recrubo_async.waiters import HybridWaiter
from recrubo_async.webhooks import WebhookPayload, WebhookReceiver

VACANCY = """Warehouse order picker, Tilburg (32-40 hours).
You pick and pack orders for our web shop with a hand scanner and a reach truck.
Requirements: a reach truck certificate, willing to work in shifts, speaks Dutch or English.
Nice to have: experience with warehouse management systems, lives near Tilburg."""

STARTED = time.monotonic()


def step(text: str) -> None:
    print(f"\n[{time.monotonic() - STARTED:5.1f}s] {text}")


class StatusLine:
    """One line that shows the current status while a job runs (plain lines when piped)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.live = sys.stdout.isatty()

    def __call__(self, status: str | None, state: Resource) -> None:
        text = f"    {self.label}: {status}"
        if self.live:
            print(f"\r{text:<60}", end="", flush=True)
        else:
            print(text)

    def done(self) -> None:
        if self.live:
            print()


async def start_receiver(receiver: WebhookReceiver) -> tuple[web.AppRunner, str]:
    app = web.Application()
    receiver.add_routes(app, "/webhooks")
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}/webhooks"


async def main() -> None:
    secret = secrets.token_urlsafe(24)
    bus = InMemoryBus()
    receiver = WebhookReceiver(secret=secret, bus=bus)
    received: list[str] = []

    @receiver.on()
    async def note(payload: WebhookPayload) -> None:
        status = payload.resource.attribute("status")
        received.append(f"{payload.event} {payload.resource.type} {status or ''}".strip())

    runner, webhook_url = await start_receiver(receiver)
    try:
        async with (
            api_target(mode="production", speed=2) as target,
            Client(
                target.api_key,
                base_url=target.base_url,
                waiter=HybridWaiter(bus, safety_poll_interval=2),
            ) as client,
        ):
            if target.emulator is not None:
                step(f"Webhooks to {webhook_url} (secret set on the organization)")
                await client.organizations.configure_webhooks(url=webhook_url, secret=secret)
                for resource_type in ("vacancyAnalyses", "flowGenerations", "flowRuns"):
                    await client.webhooks.subscribe(resource_type, events=["update"])
            else:
                # A real organization's webhook URL, secret and subscriptions serve its own
                # services: never point them at this script.
                step("Real API: webhook settings left alone; the safety-net poll will finish")

            step("1. Analyzing the vacancy text")
            line = StatusLine("analysis")
            analysis = await client.vacancy_analyses.create_and_wait(
                input_text=VACANCY, on_status=line, timeout=60
            )
            line.done()
            result = analysis.analyze_result or AnalyzeResult()
            # Each skill comes with a ready-made requirement sentence for the flow.
            musts = [
                str(cert.written_as_requirement or cert.certification)
                for cert in result.certifications or ()
            ]
            musts += [
                str(skill.written_as_requirement or skill.skill)
                for skill in result.hard_skills or ()
            ]
            del musts[3:]
            nice = [
                str(skill.written_as_requirement or skill.skill)
                for skill in result.soft_skills or ()
            ][:2]
            print(f"    must have: {musts}")
            print(f"    nice to have: {nice}")

            step("2. Generating the application flow")
            line = StatusLine("generation")
            generation = await client.flow_generations.create_and_wait(
                flow_type="vacancy_application_flow",
                parameters=VacancyApplicationParameters(
                    flow_name="Order picker",
                    language="en",
                    knockout_requirements=[
                        Requirement(text, f"must_{i}") for i, text in enumerate(musts)
                    ],
                    preferred_requirements=[
                        Requirement(text, f"nice_{i}") for i, text in enumerate(nice)
                    ],
                    required_fields=[
                        CandidateField("firstName", "first_name"),
                        CandidateField("email", "email"),
                    ],
                ),
                context=TextContext(value=VACANCY),
                on_status=line,
                timeout=60,
            )
            line.done()
            assert generation.flow_id is not None
            print_flow(await client.flows.retrieve(generation.flow_id, include=FLOW_TREE))

            step("3. Opening a WhatsApp thread and triggering the flow")
            thread = await client.message_threads.create(
                channel="whatsapp", identifier="31612345678"
            )
            template = await client.message_templates.create(
                name=f"application_invite_{secrets.token_hex(3)}",
                language="en",
                category="MARKETING",
                components=[
                    TemplateComponent.body("Hi {{1}}! Shall we start your application?", ["Sam"])
                ],
            )
            run = await client.flow_runs.create(
                flow_id=generation.flow_id,
                message_thread_id=thread,
                initial_message=TemplateMessage.of(template, body=["Sam"]),
            )
            print(f"    thread {thread.id}, run {run.id}: {run.status}")

            step("4. Watching the run")
            line = StatusLine("run")
            async for state in client.flow_runs.watch(run):
                line(str(state.status), state)
            line.done()
            final = await client.flow_runs.retrieve(run)
            print(f"    finished with state: {dict(final.state or {})}")

            step(f"Done. {len(received)} webhooks received: {', '.join(received[:6])}, ...")
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
