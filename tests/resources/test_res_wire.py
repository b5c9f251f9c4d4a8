"""Request bodies of create/update: typed keywords to JSON:API on the wire."""

from __future__ import annotations

from typing import Any

import pytest

from recrubo_async import Client, DecodeError
from recrubo_async.models import (
    Flow,
    MediaMessage,
    MessageThread,
    Node,
    ResourceIdentifier,
    TemplateComponent,
    TemplateMessage,
    TemplateReference,
    TextMessage,
)

from ..support.scripted_server import Reply, ScriptedServer


def one(type_: str, id_: str = "x1", **attributes: Any) -> Reply:
    return Reply(body={"data": {"type": type_, "id": id_, "attributes": attributes}})


async def test_update_sends_only_the_given_fields_and_none_as_null(
    server: ScriptedServer, client: Client
) -> None:
    server.add(one("candidates"))
    await client.candidates.update("c1", first_name="Jo", email=None)
    (request,) = server.requests
    assert (request.method, request.path) == ("PATCH", "/public/v2/candidates/c1")
    assert request.json() == {
        "data": {"type": "candidates", "id": "c1", "attributes": {"firstName": "Jo", "email": None}}
    }


async def test_create_leaves_out_optional_fields_not_given(
    server: ScriptedServer, client: Client
) -> None:
    server.add(one("messageThreads"))
    await client.message_threads.create(channel="whatsapp", identifier="316")
    assert server.requests[0].json() == {
        "data": {
            "type": "messageThreads",
            "attributes": {"channel": "whatsapp", "identifier": "316"},
        }
    }


async def test_relationships_are_sent_as_resource_identifiers(
    server: ScriptedServer, client: Client
) -> None:
    server.add(one("nodes"), one("nodeTransitions"), one("users"), one("vacancies"))
    await client.nodes.create(flow=Flow(id="f1"), name="Start", is_start_flow=True)
    await client.node_transitions.update("t1", exit_node="n9")
    await client.users.update(
        "u1", candidates=["c1", ResourceIdentifier(type="candidates", id="c2")]
    )
    await client.vacancies.update("v1", locations=[])
    node, transition, user, vacancy = (r.json()["data"] for r in server.requests)
    assert node["relationships"] == {"flow": {"data": {"type": "flows", "id": "f1"}}}
    assert node["attributes"] == {"name": "Start", "isStartFlow": True}
    assert transition == {
        "type": "nodeTransitions",
        "id": "t1",
        "attributes": {},
        "relationships": {"exitNode": {"data": {"type": "nodes", "id": "n9"}}},
    }
    assert user["relationships"]["candidates"]["data"] == [
        {"type": "candidates", "id": "c1"},
        {"type": "candidates", "id": "c2"},
    ]
    assert vacancy["relationships"] == {"locations": {"data": []}}


async def test_message_and_run_payload_builders_and_plain_dicts(
    server: ScriptedServer, client: Client
) -> None:
    server.add(one("messages"), one("messages"), one("flowRuns"))
    await client.messages.create(send_by="A", message_thread_id="t1", payload=TextMessage("Hi"))
    raw = {"type": "text", "attributes": {"value": "as given"}}
    await client.messages.create(send_by="A", message_thread_id="t1", payload=raw)
    await client.flow_runs.create(
        flow_id="f1",
        message_thread_id="t1",
        initial_message=TemplateMessage.of(Node(id="tpl"), header=["Hi"], body=["John", "Acme"]),
    )
    text, plain, run = (r.json()["data"]["attributes"] for r in server.requests)
    assert text == {
        "sendBy": "A",
        "messageThreadId": "t1",
        "payload": {"type": "text", "text": {"value": "Hi"}},
    }
    assert plain["payload"] == raw
    assert run["initialMessage"]["template"] == {
        "id": "tpl",
        "components": [
            {"type": "header", "parameters": [{"type": "text", "text": "Hi"}]},
            {
                "type": "body",
                "parameters": [{"type": "text", "text": "John"}, {"type": "text", "text": "Acme"}],
            },
        ],
    }
    assert "state" not in run


def test_media_and_template_component_builders_shape_the_wire_json() -> None:
    from recrubo_async._jsonapi import Codec

    unstructure = Codec().converter.unstructure
    assert unstructure(MediaMessage.of("document", "https://x/cv.pdf", filename="cv.pdf")) == {
        "type": "document",
        "document": {"url": "https://x/cv.pdf", "filename": "cv.pdf"},
    }
    assert unstructure(TemplateComponent.header("Hello")) == {
        "type": "HEADER",
        "text": "Hello",
        "format": "TEXT",
    }
    assert unstructure(TemplateComponent.body("Hi")) == {"type": "BODY", "text": "Hi"}
    with pytest.raises(TypeError, match="list of values"):
        TemplateMessage.of("t", body="John")
    with pytest.raises(TypeError, match="list of components"):
        TemplateReference(id="t", components={"type": "body"})  # type: ignore[arg-type]


async def test_a_model_of_another_type_is_refused_as_an_id_before_sending(
    server: ScriptedServer, client: Client
) -> None:
    """``candidates.delete(flow)`` must not delete the candidate that has the flow's id."""
    flow = Flow(id="f-123")
    with pytest.raises(ValueError, match="id must be a candidates resource; got a flows"):
        await client.candidates.delete(flow)
    with pytest.raises(ValueError, match="id must be a flows resource; got a nodes"):
        await client.flows.retrieve(Node(id="n1"))
    with pytest.raises(ValueError, match="id must be a organizations resource; got a flows"):
        await client.management.organizations.refresh_token(flow)  # type: ignore[arg-type]
    assert server.requests == []
    server.add(one("flows", "f-123"))
    assert (await client.flows.retrieve(flow)).id == "f-123"  # its own type: its id
    assert server.requests[0].path == "/public/v2/flows/f-123"


async def test_a_model_of_another_type_is_refused_for_an_id_attribute_before_sending(
    server: ScriptedServer, client: Client
) -> None:
    """``flow_runs.create`` with the flow and the thread swapped would start a billed run
    on whatever has those ids; ``*_id`` arguments check a model's type too."""
    thread, flow = MessageThread(id="t-1"), Flow(id="f-1")
    with pytest.raises(ValueError, match="flow_id must be a flows resource; got a messageThreads"):
        await client.flow_runs.create(
            flow_id=thread,  # type: ignore[arg-type]
            message_thread_id=flow,  # type: ignore[arg-type]
        )
    with pytest.raises(ValueError, match="message_thread_id must be a messageThreads resource"):
        await client.messages.create(
            message_thread_id=flow,  # type: ignore[arg-type]
            send_by="2026-01-01T00:00:00Z",
            payload=TextMessage("hi"),
        )
    with pytest.raises(ValueError, match="user_id must be a users resource; got a flows"):
        await client.embed.authenticate(user_id=flow, origin_url="https://x.test")  # type: ignore[arg-type]
    assert server.requests == []


async def test_bad_ids_and_wrong_model_types_are_clear_errors(client: Client) -> None:
    with pytest.raises(ValueError, match="flow must be a flows resource; got a nodes"):
        await client.nodes.create(flow=Node(id="n1"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="flow_id must be a non-empty id"):
        await client.flow_runs.create(flow_id="", message_thread_id="t")
    with pytest.raises(TypeError, match="candidates must be a list"):
        await client.users.update("u1", candidates="c1")
    with pytest.raises(TypeError, match="components must be a list"):
        await client.message_templates.create(
            name="n",
            components={"type": "BODY"},  # type: ignore[arg-type]
            language="en",
            category="UTILITY",
        )


async def test_embed_sends_the_guides_plain_body_and_accepts_a_bare_token_answer(
    server: ScriptedServer, client: Client
) -> None:
    server.add(Reply(body={"token": "tok-123"}), Reply(body={"data": None}), Reply(body=b"nope"))
    token = await client.embed.authenticate(user_id="u1", origin_url="https://ats.example")
    assert token.token == "tok-123"
    assert server.requests[0].json() == {"userId": "u1", "originUrl": "https://ats.example"}
    assert server.requests[0].path == "/public/v2/embed/authenticate"
    with pytest.raises(DecodeError):
        await client.embed.authenticate(user_id="u1", origin_url="https://ats.example")
    with pytest.raises(DecodeError):
        await client.embed.authenticate(user_id="u1", origin_url="https://ats.example")


async def test_an_embed_answer_without_a_token_is_a_decode_error(
    server: ScriptedServer, client: Client
) -> None:
    server.add(one("embedTokens", userId="u1"))
    with pytest.raises(DecodeError, match="no token"):
        await client.embed.authenticate(user_id="u1", origin_url="https://ats.example")


async def test_configure_webhooks_patches_the_own_organization_found_by_listing(
    server: ScriptedServer, client: Client
) -> None:
    server.add(
        Reply(body={"data": [{"type": "organizations", "id": "o1", "attributes": {}}]}),
        one("organizations", "o1", webhookUrl="https://h.example"),
    )
    await client.organizations.configure_webhooks(url="https://h.example", secret="s")
    listing, patch = server.requests
    assert listing.path == "/public/v2/organizations"
    assert (patch.method, patch.path) == ("PATCH", "/public/v2/organizations/o1")
    assert patch.json()["data"]["attributes"] == {
        "webhookUrl": "https://h.example",
        "webhookSecret": "s",
    }


async def test_configure_webhooks_without_an_organization_is_a_lookup_error(
    server: ScriptedServer, client: Client
) -> None:
    server.add(Reply(body={"data": []}))
    with pytest.raises(LookupError, match="no organization"):
        await client.organizations.configure_webhooks(url="https://h.example", secret="s")


async def test_refresh_token_posts_without_a_body(server: ScriptedServer, client: Client) -> None:
    server.add(one("organizations", "o1", token="new"))
    org = await client.management.organizations.refresh_token("o1")
    assert org.token == "new"
    (request,) = server.requests
    assert (request.method, request.path, request.body) == (
        "POST",
        "/public/v2/management/refresh-token/o1",
        b"",
    )


async def test_retrieve_sends_include_and_sparse_fields(
    server: ScriptedServer, client: Client
) -> None:
    server.add(one("flows", "f1", name="A"))
    flow = await client.flows.retrieve("f1", include="nodes", fields={"flows": ["name"]})
    assert flow.name == "A"
    assert server.requests[0].query == "include=nodes&fields%5Bflows%5D=name"


async def test_an_empty_id_is_refused_before_any_request(client: Client) -> None:
    with pytest.raises(ValueError, match="id must be a resource's id"):
        await client.flows.retrieve(" ")
