"""The docs' guides, end to end, against a standalone emulator, with plain aiohttp only.

No SDK code on purpose: the emulator runs as ``python -m recrubo_emulator`` in a
subprocess and is reached only over HTTP, the way any user's raw script would reach it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson
from aiohttp import web

from emu_helpers import generation_attributes

JSONAPI = "application/vnd.api+json"
SECRET_HEADER = "X-Recrubo-Webhook-Secret"
SECRET = "guide-secret-0b9c"
WAIT = 20.0  # seconds; every wait below is bounded by this

Json = dict[str, Any]
Hook = tuple[dict[str, str], Json]  # one delivery: its headers and its JSON body


# -- the standalone emulator -------------------------------------------------------------


async def read_banner(proc: asyncio.subprocess.Process) -> dict[str, str]:
    """The ``NAME=value`` lines the emulator prints before ``Serving ...``."""
    assert proc.stdout is not None
    banner: dict[str, str] = {}
    while True:
        line = (await proc.stdout.readline()).decode()
        assert line, "the emulator exited before serving"
        if line.startswith("Serving"):
            return banner
        name, _, value = line.strip().partition("=")
        banner[name] = value


@asynccontextmanager
async def standalone_emulator() -> AsyncIterator[dict[str, str]]:
    """Run ``python -m recrubo_emulator`` fast; SIGINT it at the end and expect exit 0."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "recrubo_emulator", "--port", "0", "--speed", "50", "--seed", "3"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        yield await asyncio.wait_for(read_banner(proc), WAIT)
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
        try:
            _, stderr = await asyncio.wait_for(proc.communicate(), WAIT)
        except asyncio.TimeoutError:
            proc.kill()
            await proc.wait()
            raise
    assert proc.returncode == 0, stderr
    assert b"Traceback" not in stderr, stderr


# -- the webhook receiver ----------------------------------------------------------------


@asynccontextmanager
async def webhook_receiver() -> AsyncIterator[tuple[str, asyncio.Queue[Hook]]]:
    """A local aiohttp app recording every POST to /hooks; yields its URL and the queue."""
    received: asyncio.Queue[Hook] = asyncio.Queue()

    async def handle(request: web.Request) -> web.Response:
        received.put_nowait((dict(request.headers), orjson.loads(await request.read())))
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hooks", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = int(runner.addresses[0][1])
        yield f"http://127.0.0.1:{port}/hooks", received
    finally:
        await runner.cleanup()


def check_delivery(hook: Hook) -> Json:
    """Assert the secret header and the webhookPayload shape; return the attributes."""
    headers, body = hook
    assert headers.get(SECRET_HEADER) == SECRET
    assert set(body) == {"data"}
    data = body["data"]
    assert data["type"] == "webhookPayload"
    assert isinstance(data["id"], str) and data["id"]
    attributes: Json = data["attributes"]
    assert set(attributes) == {"webhookId", "event", "fields", "resource"}
    assert isinstance(attributes["fields"], list)
    return attributes


async def next_hook(queue: asyncio.Queue[Hook], wanted: Callable[[Json], bool]) -> Json:
    """The attributes of the next delivery matching ``wanted`` (all are checked on the way)."""

    async def scan() -> Json:
        while True:
            attributes = check_delivery(await queue.get())
            if wanted(attributes):
                return attributes

    return await asyncio.wait_for(scan(), WAIT)


def about(resource_type: str, resource_id: str, status: str) -> Callable[[Json], bool]:
    """A predicate: an update of this resource announcing this status."""

    def wanted(attributes: Json) -> bool:
        resource = attributes["resource"]
        seen = (attributes["event"], resource["type"], resource["id"])
        return seen == ("update", resource_type, resource_id) and bool(
            resource["attributes"]["status"] == status
        )

    return wanted


# -- plain JSON:API calls ----------------------------------------------------------------


@dataclass(frozen=True)
class Raw:
    """Plain JSON:API writes to one base URL with one Bearer key."""

    session: aiohttp.ClientSession
    base_url: str
    key: str

    async def write(
        self, method: str, path: str, type_: str, attributes: Json, *, expect: int, id_: str = ""
    ) -> Json:
        """Send one write document; assert the status and media type; return ``data``."""
        data: Json = {"type": type_, "attributes": attributes}
        if id_:
            data["id"] = id_
        headers = {
            "Authorization": f"Bearer {self.key}",
            "Content-Type": JSONAPI,
            "Accept": JSONAPI,
        }
        body = orjson.dumps({"data": data})
        url = self.base_url + path
        async with self.session.request(method, url, data=body, headers=headers) as resp:
            raw = await resp.read()
            assert resp.status == expect, (resp.status, raw[:500])
            assert resp.content_type == JSONAPI
        answer: Json = orjson.loads(raw)["data"]
        assert answer["type"] == type_
        return answer


def start_template() -> Json:
    """The MessageTemplate of the docs' example POST body."""
    body = (
        "Hi {{1}}, great to see you want to work with us! "
        "Reply to this message to schedule your interview."
    )
    return {
        "name": "start_application",
        "components": [
            {"text": "Recrubo application!", "type": "HEADER", "format": "Text"},
            {"text": body, "type": "BODY", "example": {"body_text": [["John"]]}},
            {"text": "Team Recrubo", "type": "FOOTER"},
        ],
        "language": "en",
        "category": "MARKETING",
        "preview": body,
    }


# -- the guides --------------------------------------------------------------------------


async def test_raw_aiohttp_script_runs_the_guides_end_to_end_on_a_standalone_emulator() -> None:
    """With no SDK code: create an org (partner key), set its webhook URL and secret,
    subscribe, create a WhatsApp thread, generate a flow (queued, then a secret-bearing
    webhook announcing finished with a flowId), trigger a run with a template initial
    message, and receive its running and then finished webhooks."""
    async with (
        standalone_emulator() as banner,
        webhook_receiver() as (hook_url, hooks),
        aiohttp.ClientSession() as session,
    ):
        base = banner["RECRUBO_BASE_URL"]
        assert base.startswith("http://127.0.0.1:") and base.endswith("/public/v2")
        partner = Raw(session, base, banner["RECRUBO_PARTNER_KEY"])

        # Management: a partner creates an organization and gets its token.
        org = await partner.write(
            "POST",
            "/management/organizations",
            "organizations",
            {"name": "Guide Org"},
            expect=201,
        )
        key = org["attributes"]["token"]
        assert isinstance(key, str) and key
        api = Raw(session, base, key)

        # Setting up webhooks: URL and secret on the organization, then subscriptions.
        patched = await api.write(
            "PATCH",
            f"/organizations/{org['id']}",
            "organizations",
            {"webhookUrl": hook_url, "webhookSecret": SECRET},
            expect=200,
            id_=org["id"],
        )
        assert patched["attributes"]["webhookUrl"] == hook_url
        assert "token" not in patched["attributes"]
        subscriptions = {}
        for resource_type, fields in (("flowGenerations", None), ("flowRuns", ["status"])):
            attributes: Json = {"resourceType": resource_type, "event": "update"}
            if fields is not None:
                attributes["fields"] = fields
            sub = await api.write("POST", "/webhooks", "webhooks", attributes, expect=201)
            subscriptions[resource_type] = sub["id"]

        # Triggering flows, step 1: a WhatsApp MessageThread.
        thread = await api.write(
            "POST",
            "/message-threads",
            "messageThreads",
            {"channel": "whatsapp", "identifier": "31612345678"},
            expect=201,
        )
        assert thread["attributes"]["channel"] == "whatsapp"

        # Generating flows: queued at once, finished (with its flowId) by webhook.
        generation = await api.write(
            "POST",
            "/flow-generations",
            "flowGenerations",
            generation_attributes(),
            expect=201,
        )
        assert generation["attributes"]["status"] == "queued"
        assert generation["attributes"]["flowId"] is None
        done = await next_hook(hooks, about("flowGenerations", generation["id"], "finished"))
        assert done["webhookId"] == subscriptions["flowGenerations"]
        assert "status" in done["fields"]
        flow_id = done["resource"]["attributes"]["flowId"]
        assert isinstance(flow_id, str) and flow_id

        # Triggering flows, step 2: a FlowRun whose initial message is a WhatsApp template.
        template = await api.write(
            "POST",
            "/message-templates",
            "messageTemplates",
            start_template(),
            expect=201,
        )
        initial_message = {
            "type": "template",
            "template": {
                "id": template["id"],
                "components": [{"type": "body", "parameters": [{"type": "text", "text": "John"}]}],
            },
        }
        run = await api.write(
            "POST",
            "/flow-runs",
            "flowRuns",
            {
                "flowId": flow_id,
                "messageThreadId": thread["id"],
                "state": {},
                "initialMessage": initial_message,
            },
            expect=201,
        )
        assert run["attributes"]["status"] == "queued"
        assert run["attributes"]["cost"] == 0
        assert run["attributes"]["initialMessage"] == initial_message

        running = await next_hook(hooks, about("flowRuns", run["id"], "running"))
        finished = await next_hook(hooks, about("flowRuns", run["id"], "finished"))
        for event in (running, finished):
            assert event["webhookId"] == subscriptions["flowRuns"]
            assert "status" in event["fields"]
            resource = event["resource"]["attributes"]
            assert (resource["flowId"], resource["messageThreadId"]) == (flow_id, thread["id"])
        assert finished["resource"]["attributes"]["cost"] >= 1
