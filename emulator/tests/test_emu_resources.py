"""Every documented resource and verb, and the rules particular to each resource."""

from __future__ import annotations

from typing import Any

import pytest

from emu_helpers import Api, doc
from recrubo_emulator import Emulator

FLOW = {"name": "F", "reminderInterval": 15, "reminderMessage": "R", "sessionTimeout": 60}
THREAD = {"channel": "whatsapp", "identifier": "31612345678"}
TEMPLATE = {
    "name": "start_application",
    "components": [
        {"text": "Recrubo application!", "type": "HEADER", "format": "Text"},
        {"text": "Hi {{1}}!", "type": "BODY", "example": {"body_text": [["John"]]}},
        {"text": "Team Recrubo", "type": "FOOTER"},
    ],
    "language": "en",
    "category": "MARKETING",
}


async def _node(api: Api, flow_id: str, **attributes: Any) -> Any:
    rel = {"flow": {"data": {"type": "flows", "id": flow_id}}}
    return await api.create("nodes", "nodes", {"name": "N", **attributes}, relationships=rel)


async def _setup(api: Api) -> dict[str, Any]:
    flow = await api.create("flows", "flows", FLOW)
    thread = await api.create("message-threads", "messageThreads", THREAD)
    node = await _node(api, flow["id"], isStartFlow=True)
    other = await _node(api, flow["id"])
    return {"flow": flow, "thread": thread, "node": node, "other": other}


CRUD: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
    ("candidates", "candidates", {"phone": "31612345678", "firstName": "John"}, {"lastName": "D"}),
    ("flows", "flows", FLOW, {"name": "G"}),
    ("message-threads", "messageThreads", THREAD, {"chatbotPaused": True}),
    ("vacancies", "vacancies", {"title": "T", "description": "D", "url": "u"}, {"title": "U"}),
    (
        "users",
        "users",
        {
            "firstName": "John",
            "lastName": "Doe",
            "email": "j@d.com",
            "timeZone": "Europe/Amsterdam",
        },
        {"timeZone": "Europe/Berlin"},
    ),
]


@pytest.mark.parametrize(("path", "type_", "create", "update"), CRUD)
async def test_full_crud(
    api: Api, path: str, type_: str, create: dict[str, Any], update: dict[str, Any]
) -> None:
    """POST, GET one, GET list, PATCH (bumping updatedAt) and DELETE work as documented."""
    created = await api.create(path, type_, create)
    for name, value in create.items():
        assert created["attributes"][name] == value
    url = f"/{path}/{created['id']}"
    assert (await api.get(url)).data == created
    assert [r["id"] for r in (await api.get(f"/{path}")).data] == [created["id"]]
    patched = await api.patch(url, doc(type_, update))
    assert patched.status == 200
    for name, value in update.items():
        assert patched.data["attributes"][name] == value
    assert patched.data["attributes"]["updatedAt"] > created["attributes"]["updatedAt"]
    deleted = await api.delete(url)
    assert deleted.status == 204
    assert deleted.raw == b""
    assert (await api.get(url)).status == 404


async def test_user_full_name_is_derived(api: Api) -> None:
    """fullName is read-only and follows firstName and lastName."""
    user = await api.create("users", "users", {"firstName": "A", "lastName": "B", "email": "e"})
    assert user["attributes"]["fullName"] == "A B"
    patched = await api.patch(f"/users/{user['id']}", doc("users", {"firstName": "C"}))
    assert patched.data["attributes"]["fullName"] == "C B"


async def test_user_candidates_relationship(api: Api) -> None:
    """A user's to-many candidates relationship can be set by PATCH and included."""
    user = await api.create("users", "users", {"firstName": "A", "lastName": "B", "email": "e"})
    cand = await api.create("candidates", "candidates", {"phone": "1"})
    rel = {"candidates": {"data": [{"type": "candidates", "id": cand["id"]}]}}
    patched = await api.patch(f"/users/{user['id']}", doc("users", {}, relationships=rel))
    assert patched.status == 200
    got = await api.get(f"/users/{user['id']}", params={"include": "candidates"})
    assert got.json["included"][0]["id"] == cand["id"]
    related = got.data["relationships"]["candidates"]["links"]["related"]
    listed = await api.get(related.replace("/public/v2", ""))
    assert [c["id"] for c in listed.data] == [cand["id"]]


async def test_conversation_is_created_when_a_thread_gets_a_candidate(api: Api) -> None:
    """Linking a candidate to a thread creates one Conversation; the link cannot change."""
    cand = await api.create("candidates", "candidates", {"phone": "1"})
    thread = await api.create("message-threads", "messageThreads", THREAD)
    assert (await api.get("/conversations")).data == []
    rel = {"candidate": {"data": {"type": "candidates", "id": cand["id"]}}}
    patched = await api.patch(
        f"/message-threads/{thread['id']}", doc("messageThreads", {}, relationships=rel)
    )
    assert patched.status == 200
    [conv] = (await api.get("/conversations")).data
    assert conv["attributes"]["messageThreadId"] == thread["id"]
    assert conv["attributes"]["candidateId"] == cand["id"]
    assert conv["attributes"]["status"] == "open"
    other = await api.create("candidates", "candidates", {"phone": "2"})
    again = await api.patch(
        f"/message-threads/{thread['id']}",
        doc("messageThreads", {"candidateId": other["id"]}),
    )
    assert again.status == 422
    assert again.errors[0]["source"]["pointer"] == "/data/attributes/candidateId"
    conv_url = f"/conversations/{conv['id']}"
    closed = await api.patch(conv_url, doc("conversations", {"status": "closed"}))
    assert closed.data["attributes"]["status"] == "closed"
    direct = await api.create(
        "message-threads", "messageThreads", {**THREAD, "candidateId": other["id"]}
    )
    found = await api.get("/conversations", params={"filter[messageThreadId]": direct["id"]})
    assert len(found.data) == 1
    assert (await api.delete(f"/candidates/{cand['id']}")).status == 204
    assert (await api.get(conv_url)).status == 404


async def test_nodes_actions_and_transitions(api: Api) -> None:
    """Node rules: one start node, endFlowType with isEndFlow, variableName for asks."""
    ctx = await _setup(api)
    flow_id, node, other = ctx["flow"]["id"], ctx["node"], ctx["other"]
    assert node["attributes"]["flowId"] == flow_id
    assert other["attributes"]["index"] == 1
    second_start = await api.post(
        "/nodes",
        doc(
            "nodes",
            {"isStartFlow": True},
            relationships={"flow": {"data": {"type": "flows", "id": flow_id}}},
        ),
    )
    assert second_start.errors[0]["source"]["pointer"] == "/data/attributes/isStartFlow"
    end = await api.patch(f"/nodes/{other['id']}", doc("nodes", {"isEndFlow": True}))
    assert end.errors[0]["source"]["pointer"] == "/data/attributes/endFlowType"
    ok = await api.patch(
        f"/nodes/{other['id']}", doc("nodes", {"isEndFlow": True, "endFlowType": "accepted"})
    )
    assert ok.status == 200
    node_rel = {"node": {"data": {"type": "nodes", "id": node["id"]}}}
    ask = {"actionType": "ask", "subType": "text", "value": {"text": "Name?"}}
    missing_var = await api.post("/node-actions", doc("nodeActions", ask, relationships=node_rel))
    assert missing_var.errors[0]["source"]["pointer"] == "/data/attributes/variableName"
    action = await api.create(
        "node-actions", "nodeActions", {**ask, "variableName": "name"}, relationships=node_rel
    )
    assert action["attributes"]["index"] == 0
    assert action["relationships"]["node"]["links"]["related"].endswith(node["id"])
    transition = await api.create(
        "node-transitions",
        "nodeTransitions",
        {"condition": None, "index": 0},
        relationships={**node_rel, "exitNode": {"data": {"type": "nodes", "id": other["id"]}}},
    )
    listed = await api.get("/node-transitions", params={"filter[nodeId]": node["id"]})
    assert [t["id"] for t in listed.data] == [transition["id"]]
    foreign_flow = await api.create("flows", "flows", FLOW)
    foreign = await _node(api, foreign_flow["id"])
    reroute = await api.patch(
        f"/node-transitions/{transition['id']}",
        doc(
            "nodeTransitions",
            relationships={"exitNode": {"data": {"type": "nodes", "id": foreign["id"]}}},
        ),
    )
    assert reroute.status == 422
    # Deleting the flow takes its nodes, actions and transitions with it.
    assert (await api.delete(f"/flows/{flow_id}")).status == 204
    assert [n["id"] for n in (await api.get("/nodes")).data] == [foreign["id"]]
    assert (await api.get("/node-actions")).data == []
    assert (await api.get("/node-transitions")).data == []


async def test_deleting_a_node_unlinks_transitions_into_it(api: Api) -> None:
    """A transition whose exit node is deleted keeps existing with no exit node."""
    ctx = await _setup(api)
    node_rel = {
        "node": {"data": {"type": "nodes", "id": ctx["node"]["id"]}},
        "exitNode": {"data": {"type": "nodes", "id": ctx["other"]["id"]}},
    }
    transition = await api.create(
        "node-transitions", "nodeTransitions", {"index": 0}, relationships=node_rel
    )
    assert (await api.delete(f"/nodes/{ctx['other']['id']}")).status == 204
    got = await api.get(f"/node-transitions/{transition['id']}")
    assert got.data["relationships"]["exitNode"] == {"links": {"related": None}, "data": None}


async def test_flow_patch_marks_unpublished_changes(api: Api) -> None:
    """A PATCHed flow reports unpublishedChanges."""
    flow = await api.create("flows", "flows", FLOW)
    assert flow["attributes"]["unpublishedChanges"] is False
    patched = await api.patch(f"/flows/{flow['id']}", doc("flows", {"name": "New"}))
    assert patched.data["attributes"]["unpublishedChanges"] is True


async def test_messages_validate_payload_and_progress_delivery(emu: Emulator, api: Api) -> None:
    """A message needs a thread and a valid payload; deliveryStatus moves on with the clock."""
    thread = await api.create("message-threads", "messageThreads", THREAD)
    rel = {"messageThread": {"data": {"type": "messageThreads", "id": thread["id"]}}}
    for payload in ({"type": "x"}, {"type": "text"}, {"type": "template", "template": {}}):
        bad = await api.post(
            "/messages",
            doc("messages", {"sendBy": "John", "payload": payload}, relationships=rel),
        )
        assert bad.errors[0]["source"]["pointer"] == "/data/attributes/payload", payload
    text = {"type": "text", "text": {"value": "Hi"}}
    msg = await api.create(
        "messages", "messages", {"sendBy": "John", "payload": text}, relationships=rel
    )
    assert msg["attributes"]["origin"] == "outbound"
    assert msg["attributes"]["deliveryStatus"] == "accepted"
    assert msg["attributes"]["messageThreadId"] == thread["id"]
    await emu.advance(0.5)
    assert (await api.get(f"/messages/{msg['id']}")).data["attributes"]["deliveryStatus"] == "sent"
    await emu.advance(1)
    got = await api.get(f"/messages/{msg['id']}")
    assert got.data["attributes"]["deliveryStatus"] == "delivered"
    template = {"type": "template", "template": {"id": "t", "components": []}}
    by_attribute = await api.create(
        "messages",
        "messages",
        {"sendBy": "R", "payload": template, "messageThreadId": thread["id"]},
    )
    assert by_attribute["attributes"]["messageThreadId"] == thread["id"]
    missing_thread = await api.post(
        "/messages",
        doc("messages", {"sendBy": "R", "payload": text, "messageThreadId": "nope"}),
    )
    assert missing_thread.errors[0]["source"]["pointer"] == "/data/attributes/messageThreadId"
    assert (await api.delete(f"/message-threads/{thread['id']}")).status == 204
    assert (await api.get("/messages")).data == []


async def test_message_templates(emu: Emulator, api: Api) -> None:
    """Templates are reviewed (PENDING to APPROVED); a duplicate name+language is a 400."""
    created = await api.create("message-templates", "messageTemplates", TEMPLATE)
    assert created["attributes"]["status"] == "PENDING"
    assert created["attributes"]["preview"] == "Hi {{1}}!"
    await emu.advance(2)
    got = await api.get(f"/message-templates/{created['id']}")
    assert got.data["attributes"]["status"] == "APPROVED"
    duplicate = await api.post("/message-templates", doc("messageTemplates", TEMPLATE))
    assert duplicate.status == 400
    assert duplicate.errors[0]["detail"]["error_subcode"] == 2388024
    bad = await api.post(
        "/message-templates",
        doc(
            "messageTemplates",
            {**TEMPLATE, "name": "x", "components": [{"type": "WAT"}], "category": "X"},
        ),
    )
    pointers = [e["source"]["pointer"] for e in bad.errors]
    assert pointers == [
        "/data/attributes/components/0",
        "/data/attributes/components",
        "/data/attributes/category",
    ]


async def test_webhook_subscriptions_crud_and_validation(api: Api) -> None:
    """Subscriptions: POST, GET list/one, DELETE; unknown types, events and fields are 422s."""
    sub = await api.create(
        "webhooks",
        "webhooks",
        {"resourceType": "flowGenerations", "event": "update", "fields": ["status"]},
    )
    assert sub["attributes"]["fields"] == ["status"]
    assert sub["attributes"]["webhookUrl"] is None
    assert (await api.get(f"/webhooks/{sub['id']}")).data == sub
    assert len((await api.get("/webhooks")).data) == 1
    cases: list[tuple[dict[str, Any], str]] = [
        ({"resourceType": "unicorns", "event": "create"}, "resourceType"),
        ({"resourceType": "flows", "event": "create", "fields": ["nope", 1]}, "fields"),
        ({"resourceType": "flows", "event": "create", "webhookUrl": "ftp://x"}, "webhookUrl"),
    ]
    for attributes, pointer in cases:
        bad = await api.post("/webhooks", doc("webhooks", attributes))
        assert bad.errors[0]["source"]["pointer"] == f"/data/attributes/{pointer}"
    assert (await api.delete(f"/webhooks/{sub['id']}")).status == 204


async def test_standard_organization_route(api: Api) -> None:
    """/organizations lists only self, hides the token, and PATCH needs url and secret."""
    listed = await api.get("/organizations")
    [own] = listed.data
    assert "token" not in own["attributes"]
    assert own["relationships"]["users"]["links"]["related"].endswith(
        f"filter[organizationId]={own['id']}"
    )
    assert (await api.get(f"/organizations/{own['id']}")).data == own
    assert (await api.get("/organizations/other")).status == 404
    url = f"/organizations/{own['id']}"
    half = await api.patch(url, doc("organizations", {"webhookUrl": "https://x.test/h"}))
    assert half.status == 422
    assert half.errors[0]["source"]["pointer"] == "/data/attributes/webhookSecret"
    bad = await api.patch(url, doc("organizations", {"webhookUrl": "nope", "webhookSecret": ""}))
    assert len(bad.errors) == 2
    ok = await api.patch(
        url, doc("organizations", {"webhookUrl": "https://x.test/h", "webhookSecret": "s"})
    )
    assert ok.status == 200
    assert ok.data["attributes"]["webhookUrl"] == "https://x.test/h"


async def test_management_organizations_crud(partner: Api, api: Api) -> None:
    """The partner creates, lists, shows, updates and deletes organizations; tokens work."""
    created = await partner.post(
        "/management/organizations", doc("organizations", {"name": "New org"})
    )
    assert created.status == 201
    org = created.data
    token = org["attributes"]["token"]
    assert token
    own = api.with_token(token)
    assert (await own.get("/candidates")).status == 200
    listed = await partner.get("/management/organizations", params={"sort": "name"})
    assert [o["attributes"]["name"] for o in listed.data] == ["Acme", "New org"]
    url = f"/management/organizations/{org['id']}"
    assert (await partner.get(url)).data["attributes"]["token"] == token
    patched = await partner.patch(url, doc("organizations", {"name": "Renamed"}))
    assert patched.data["attributes"]["name"] == "Renamed"
    assert (await partner.post("/management/organizations", doc("organizations", {}))).status == 422
    assert (await partner.delete(url)).status == 204
    assert (await own.get("/candidates")).status == 401
    assert (await partner.get(url)).status == 404
    assert (await partner.post("/management/refresh-token/nope")).status == 404


async def test_embed_authenticate(api: Api) -> None:
    """embed/authenticate returns a token for a user of the organization and an origin."""
    user = await api.create("users", "users", {"firstName": "A", "lastName": "B", "email": "e"})
    body = {"userId": user["id"], "originUrl": "https://demo.recrubo.app"}
    answer = await api.post("/embed/authenticate", body)
    assert answer.status == 200
    assert answer.data["attributes"]["token"]
    assert answer.data["attributes"]["userId"] == user["id"]
    wrapped = await api.post("/embed/authenticate", doc("embedAuthentications", body))
    assert wrapped.status == 200
    bad = await api.post("/embed/authenticate", {"userId": "x", "originUrl": "nope"})
    assert [e["source"]["pointer"] for e in bad.errors] == ["/userId", "/originUrl"]
    assert (await api.post("/embed/authenticate", [1])).status == 400


async def test_vacancy_locations_relationship_is_kept(api: Api) -> None:
    """A vacancy's locations (an undocumented type) are stored as linkage."""
    rel = {"locations": {"data": [{"type": "locations", "id": "l1"}]}}
    vacancy = await api.create(
        "vacancies", "vacancies", {"title": "T", "description": "D"}, relationships=rel
    )
    assert vacancy["relationships"]["locations"]["data"] == [{"type": "locations", "id": "l1"}]
    got = await api.get(f"/vacancies/{vacancy['id']}", params={"include": "locations"})
    assert got.json["included"] == []
