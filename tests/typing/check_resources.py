"""Checked by mypy --strict, never run: correct calls type-check, misuse is rejected.

Each misuse line carries ``# type: ignore[<code>]``; strict mode warns on unused ignores,
so a misuse that stops being an error fails mypy.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from typing_extensions import assert_type

from recrubo_async import Client, Page, Paginator
from recrubo_async.models import (
    EmbedToken,
    Flow,
    FlowRun,
    Node,
    NodeAction,
    Organization,
    ResourceIdentifier,
    TemplateMessage,
    TextMessage,
    Vacancy,
    Webhook,
)


async def correct_use(client: Client) -> None:
    flow = await client.flows.create(
        name="Apply", reminder_interval=15, reminder_message="Still there?", session_timeout=60
    )
    assert_type(flow, Flow)
    assert_type(client.flows.list(filter={"name": {"prefix": "A"}}), Paginator[Flow])
    page = await client.flows.list(include="nodes", page_size=10)
    assert_type(page, Page[Flow])
    async for item in client.nodes.list(filter={"created_at": {"gt": datetime.now(timezone.utc)}}):
        assert_type(item, Node)
    got = await client.flows.retrieve(flow.id, include="nodes.node_actions")
    for node in got.nodes or ():
        if isinstance(node, Node):
            for action in node.node_actions or ():
                if isinstance(action, NodeAction):
                    assert_type(action.value, Mapping[str, Any] | None)
    assert_type(got.vacancy, Vacancy | ResourceIdentifier | None)
    run = await client.flow_runs.create(
        flow_id=flow,
        message_thread_id="t1",
        initial_message=TemplateMessage.of("tpl", body=["John"]),
    )
    assert_type(run, FlowRun)
    await client.flow_runs.update(run, state=None)
    await client.candidates.update("c1", email=None)
    await client.messages.create(send_by="A", message_thread_id="t1", payload=TextMessage("Hi"))
    await client.messages.create(send_by="A", message_thread_id="t1", payload={"type": "text"})
    assert_type(await client.webhooks.create(resource_type=FlowRun, event="update"), Webhook)
    assert_type(
        await client.organizations.configure_webhooks(url="https://h.example", secret="s"),
        Organization,
    )
    assert_type(await client.management.organizations.refresh_token("o1"), Organization)
    assert_type(await client.embed.authenticate(user_id="u", origin_url="https://a"), EmbedToken)
    ident = ResourceIdentifier(type="flows", id="f1")
    await client.nodes.create(flow=ident.id)


async def misuse(client: Client, flow: Flow) -> None:
    # A required create field is missing.
    await client.flows.create(name="Apply")  # type: ignore[call-arg]
    await client.candidates.create(first_name="John")  # type: ignore[call-arg]
    await client.node_actions.create(node="n", action_type="say", value={})  # type: ignore[call-arg]
    # Read-only attributes are not keyword arguments.
    await client.flows.update("f", published_at=None)  # type: ignore[call-arg]
    await client.flow_runs.create(flow_id="f", message_thread_id="t", cost=3)  # type: ignore[call-arg]
    await client.users.update("u", full_name="X")  # type: ignore[call-arg]
    # Wrong value types.
    await client.flows.update("f", reminder_interval="15")  # type: ignore[arg-type]
    await client.flows.update("f", name=None)  # type: ignore[arg-type]
    await client.messages.create(send_by="A", message_thread_id="t", payload="Hi")  # type: ignore[arg-type]
    TextMessage(1)  # type: ignore[arg-type]
    # Keyword-only past the id.
    await client.flows.update("f", "New name")  # type: ignore[call-arg]
    # Verbs the docs do not list do not exist.
    await client.conversations.create()  # type: ignore[attr-defined]
    await client.conversations.delete("c")  # type: ignore[attr-defined]
    await client.flow_generations.update("g")  # type: ignore[attr-defined]
    await client.message_templates.update("m")  # type: ignore[attr-defined]
    await client.vacancy_analyses.update("v")  # type: ignore[attr-defined]
    await client.webhooks.update("w")  # type: ignore[attr-defined]
    await client.organizations.delete("o")  # type: ignore[attr-defined]
    await client.organizations.create(name="x")  # type: ignore[attr-defined]
    # Relationship fields may hold only an identifier: narrow before reading attributes.
    assert flow.nodes is not None
    print(flow.nodes[0].name)  # type: ignore[union-attr]
    # Models are frozen.
    flow.name = "x"  # type: ignore[misc]
    # list() takes keywords only, and a page is not a list of dicts.
    client.flows.list({"name": "x"})  # type: ignore[call-arg]
