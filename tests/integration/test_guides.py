"""The docs' guides, step by step, with the SDK against the emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from aiohttp import web

from recrubo_async import Client
from recrubo_async.models import (
    Candidate,
    CandidateField,
    FlowGeneration,
    FlowRun,
    FlowRunStatus,
    Node,
    NodeAction,
    NodeTransition,
    Requirement,
    TemplateComponent,
    TemplateMessage,
    TextContext,
    TextMessage,
    VacancyApplicationParameters,
)
from recrubo_async.testing import Emulator

from ..support.servers import serve

SECRET = "guide-webhook-secret"


class Receiver:
    """A local webhook endpoint that records every delivery."""

    def __init__(self) -> None:
        self.received: list[tuple[str | None, dict[str, Any]]] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = orjson.loads(await request.read())
        self.received.append((request.headers.get("X-Recrubo-Webhook-Secret"), body))
        return web.Response(status=204)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()
    app = web.Application()
    app.router.add_post("/hooks", rec.handle)
    async with serve(app) as served:
        rec.url = served.url("/hooks")
        yield rec


async def generate_flow(api: Client, emu: Emulator) -> FlowGeneration:
    analysis = await api.vacancy_analyses.create(
        input_text="Java developer with 4 years of experience, fluent in Dutch.", sync=True
    )
    assert analysis.analyze_result is not None
    hard = analysis.analyze_result.get("hardSkills") or []
    gen = await api.flow_generations.create(
        flow_type="vacancy_application_flow",
        parameters=VacancyApplicationParameters(
            knockout_requirements=[
                Requirement("Has 1 year of javascript experience.", "java_skill"),
                Requirement("Fluent in Dutch", "dutch_fluency"),
            ],
            preferred_requirements=[
                Requirement("Lives in amsterdam", "location"),
                *[Requirement(str(s.get("writtenAsRequirement") or s["skill"])) for s in hard[:1]],
            ],
            required_fields=[CandidateField("name", "name"), CandidateField("email", "email")],
        ),
        context=TextContext(value="Java developer at Recrubo."),
    )
    assert gen.status == "queued"
    await emu.advance(600)
    return await api.flow_generations.retrieve(gen.id)


async def test_guide_generating_flows(api: Client, emu: Emulator) -> None:
    """Analyze a vacancy, generate a flow, then check the flow it made."""
    gen = await generate_flow(api, emu)
    assert gen.is_finished and gen.cost is not None and gen.flow_id is not None
    flow = await api.flows.retrieve(gen.flow_id, include="nodes.node_actions")
    assert flow.flow_generation_id == gen.id
    assert flow.published_at is not None
    nodes = [n for n in flow.nodes or () if isinstance(n, Node)]
    assert sum(1 for n in nodes if n.is_start_flow) == 1
    assert {n.end_flow_type for n in nodes if n.is_end_flow} >= {"accepted", "declined"}
    assert all(len(n.node_actions or ()) == 1 for n in nodes)


async def test_guide_editing_flows(api: Client, emu: Emulator) -> None:
    """Find the decline node's action, change its message, and add a step."""
    gen = await generate_flow(api, emu)
    assert gen.flow_id is not None
    page = await api.nodes.list(
        filter={"flowId": gen.flow_id, "endFlowType": "declined"}, include="node_actions"
    )
    (decline,) = page.items
    assert decline.is_end_flow
    assert decline.node_actions is not None
    (action,) = decline.node_actions
    assert isinstance(action, NodeAction) and action.sub_type == "text"
    edited = await api.node_actions.update(
        action, value={"text": "Thanks! We will keep your details for future vacancies."}
    )
    assert edited.value == {"text": "Thanks! We will keep your details for future vacancies."}

    start = (await api.nodes.list(filter={"flow_id": gen.flow_id, "is_start_flow": True}))[0]
    extra = await api.nodes.create(flow=gen.flow_id, name="Extra question", index=99)
    await api.node_actions.create(
        node=extra,
        action_type="ask",
        sub_type="text",
        value={"text": "When can you start?"},
        variable_name="start_date",
    )
    await api.node_transitions.create(node=start, exit_node=extra, index=0)
    flow = await api.flows.retrieve(gen.flow_id, include="nodes.node_transitions.exit_node")
    (refetched,) = [n for n in flow.nodes or () if isinstance(n, Node) and n.id == start.id]
    exits = [
        t.exit_node
        for t in refetched.node_transitions or ()
        if isinstance(t, NodeTransition) and isinstance(t.exit_node, Node)
    ]
    assert extra.id in [n.id for n in exits]
    # The exit node is the same instance as the flow's node: one identity map per document.
    assert any(n is m for n in exits for m in flow.nodes or ())


async def test_guide_triggering_flows(api: Client, emu: Emulator) -> None:
    """Open a WhatsApp thread and trigger a flow with a template as initial message."""
    gen = await generate_flow(api, emu)
    assert gen.flow_id is not None
    template = await api.message_templates.create(
        name="start_application",
        components=[TemplateComponent.body("Hi {{1}}, reply to start!", ["John"])],
        language="en",
        category="MARKETING",
    )
    thread = await api.message_threads.create(channel="whatsapp", identifier="31612345678")
    run = await api.flow_runs.create(
        flow_id=gen.flow_id,
        message_thread_id=thread,
        state={},
        initial_message=TemplateMessage.of(template, body=["John"]),
    )
    assert (run.status, run.cost) == (FlowRunStatus.QUEUED, 0)
    await emu.advance(5)
    started = await api.flow_runs.retrieve(run.id)
    assert started.status is not None and started.status.is_started


async def test_guide_sending_messages(api: Client) -> None:
    """Send a text and a template message, then fetch the thread's messages."""
    thread = await api.message_threads.create(channel="whatsapp", identifier="31600000000")
    text = await api.messages.create(
        send_by="John", message_thread_id=thread, payload=TextMessage("Hi, how are you!")
    )
    assert (text.send_by, text.origin, text.message_thread_id) == ("John", "outbound", thread.id)
    await api.messages.create(
        send_by="Recrubo",
        message_thread_id=thread,
        payload=TemplateMessage.of("7f8a9715-5e7c-4328-ab47-bb9e595438c9", body=["Recrubo"]),
    )
    fetched = await api.message_threads.retrieve(thread.id, include="messages")
    assert {m.id for m in fetched.messages or ()} >= {text.id}
    history = await api.messages.list(filter={"message_thread_id": thread.id}, sort="created_at")
    assert [m.send_by for m in history] == ["John", "Recrubo"]


async def test_guide_setting_up_webhooks(api: Client, emu: Emulator, receiver: Receiver) -> None:
    """Set the organization's URL and secret, subscribe, and receive a signed payload."""
    await api.organizations.configure_webhooks(url=receiver.url, secret=SECRET)
    hook = await api.webhooks.create(resource_type="candidates", event="create")
    candidate = await api.candidates.create(
        phone="31612345678", first_name="Recrubo", last_name="Developer"
    )
    await emu.advance(1)
    await emu.settle()
    assert receiver.received, "no webhook was delivered"
    secret, body = receiver.received[0]
    assert secret == SECRET
    data = body["data"]
    assert data["type"] == "webhookPayload"
    assert data["attributes"]["event"] == "create"
    assert data["attributes"]["webhookId"] == hook.id
    resource = api._core.codec.decode_resource(data["attributes"]["resource"])
    assert isinstance(resource, Candidate) and resource.id == candidate.id
    assert resource.first_name == "Recrubo"


async def test_guide_organization_management(emu: Emulator) -> None:
    """Partner key: create an organization, use its token, refresh the token."""
    async with Client(emu.partner_key, base_url=emu.base_url) as partner:
        org = await partner.management.organizations.create(name="Recrubo_89495632")
        assert org.token is not None
        async with Client(org.token, base_url=emu.base_url) as client:
            (own,) = (await client.organizations.list()).items
            assert own.id == org.id and own.token is None
            user = await client.users.create(first_name="A", last_name="B", email="a@b.example")
            vacancy = await client.vacancies.create(title="Dev", description="Build things.")
            await client.candidates.create(phone="31600000000")
            assert user.id and vacancy.id
        refreshed = await partner.management.organizations.refresh_token(org.id)
        assert refreshed.token not in (None, org.token)
        listed = [o.id async for o in partner.management.organizations.list()]
        assert org.id in listed


async def test_guide_flow_run_webhook_is_a_typed_model(
    api: Client, emu: Emulator, receiver: Receiver
) -> None:
    """FlowRun updates arrive as webhooks that decode to FlowRun models."""
    await api.organizations.configure_webhooks(url=receiver.url, secret=SECRET)
    await api.webhooks.create(resource_type=FlowRun, event="update", fields=["status"])
    gen = await generate_flow(api, emu)
    assert gen.flow_id is not None
    thread = await api.message_threads.create(channel="whatsapp", identifier="316")
    await api.flow_runs.create(flow_id=gen.flow_id, message_thread_id=thread)
    await emu.advance(3600)
    await emu.settle()
    runs = [
        api._core.codec.decode_resource(body["data"]["attributes"]["resource"])
        for _, body in receiver.received
    ]
    assert runs and all(isinstance(r, FlowRun) for r in runs)
