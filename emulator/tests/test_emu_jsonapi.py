"""JSON:API fidelity: documents, errors, media types, strictness, validation."""

from __future__ import annotations

from typing import Any

import pytest

from emu_helpers import Api, doc, generation_attributes
from recrubo_emulator import Emulator

SEED_422 = {
    "errors": [
        {
            "code": "unprocessable_entity",
            "status": "422",
            "title": "Validation Error",
            "detail": "Parameter knockoutRequirements can't be blank",
            "source": {"pointer": "/data/relationships/parameter"},
        },
        {
            "code": "unprocessable_entity",
            "status": "422",
            "title": "Validation Error",
            "detail": "Parameter requiredFields can't be blank",
            "source": {"pointer": "/data/relationships/parameter"},
        },
    ]
}


async def test_flow_generation_422_reproduces_the_seed_example_exactly(api: Api) -> None:
    """A POST missing knockoutRequirements and requiredFields gets the documented body."""
    attributes = generation_attributes(knockoutRequirements=None, requiredFields=None)
    answer = await api.post("/flow-generations", doc("flowGenerations", attributes))
    assert answer.status == 422
    assert answer.json == SEED_422
    assert list(answer.json["errors"][0]) == ["code", "status", "title", "detail", "source"]


async def test_resource_document_shape(api: Api) -> None:
    """A single resource has id, type, attributes, relationships with links.related, and meta."""
    flow = await api.create(
        "flows",
        "flows",
        {"name": "F", "reminderInterval": 15, "reminderMessage": "R", "sessionTimeout": 60},
    )
    answer = await api.get(f"/flows/{flow['id']}")
    assert answer.status == 200
    assert answer.json["meta"] == {}
    data = answer.data
    assert data["type"] == "flows"
    assert set(data["attributes"]) == {
        "name",
        "reminderInterval",
        "reminderMessage",
        "sessionTimeout",
        "flowGenerationId",
        "publishedAt",
        "unpublishedChanges",
        "createdAt",
        "updatedAt",
    }
    related = data["relationships"]["nodes"]["links"]["related"]
    assert related == f"/public/v2/nodes?filter[flowId]={flow['id']}"
    assert data["attributes"]["createdAt"].endswith("+00:00")


async def test_include_with_dotted_paths(api: Api) -> None:
    """include=nodes.nodeActions puts nodes and their actions in `included`, with linkage."""
    answer = await api.post(
        "/flow-generations",
        doc("flowGenerations", generation_attributes()),
        params={"sync": "true"},
    )
    flow_id = answer.data["attributes"]["flowId"]
    flow = await api.get(f"/flows/{flow_id}", params={"include": "nodes.nodeActions,vacancy"})
    included = flow.json["included"]
    types = {item["type"] for item in included}
    assert types == {"nodes", "nodeActions", "vacancies"}
    node_ids = {n["id"] for n in flow.data["relationships"]["nodes"]["data"]}
    assert node_ids == {i["id"] for i in included if i["type"] == "nodes"}
    node = next(i for i in included if i["type"] == "nodes")
    assert len(node["relationships"]["nodeActions"]["data"]) == 1


async def test_unknown_route_and_unknown_id_are_404(api: Api) -> None:
    """Unknown paths and ids answer JSON:API 404s."""
    for path in ("/unicorns", "/candidates/x/y", "/", "/management/x"):
        answer = await api.get(path)
        assert answer.status == 404, path
        assert answer.errors[0]["status"] == "404"
    answer = await api.get("/candidates/does-not-exist")
    assert answer.status == 404
    assert answer.errors[0]["detail"] == "Candidate not found"
    outside = await api.get(api.base_url.replace("/public/v2", "/other"))
    assert outside.status == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/conversations"),
        ("DELETE", "/conversations/x"),
        ("PATCH", "/flow-generations/x"),
        ("PATCH", "/vacancy-analyses/x"),
        ("PATCH", "/message-templates/x"),
        ("PUT", "/candidates/x"),
        ("POST", "/organizations"),
        ("DELETE", "/organizations/x"),
        ("GET", "/embed/authenticate"),
    ],
)
async def test_wrong_verb_is_405_with_allow(api: Api, method: str, path: str) -> None:
    """A verb the docs do not list for a route is a 405 naming the allowed ones."""
    answer = await api.request(method, path, {"data": {}})
    assert answer.status == 405
    assert answer.errors[0]["code"] == "method_not_allowed"
    assert answer.headers["Allow"]


async def test_wrong_media_type_is_415(api: Api) -> None:
    """A body sent as application/json (or with a foreign media parameter) is a 415."""
    body = doc("vacancies", {"title": "T", "description": "D"})
    answer = await api.post("/vacancies", body, content_type="application/json")
    assert answer.status == 415
    assert answer.errors[0]["status"] == "415"
    odd = await api.post("/vacancies", body, content_type="application/vnd.api+json; foo=bar")
    assert odd.status == 415
    ok = await api.post("/vacancies", body, content_type="application/vnd.api+json; charset=utf-8")
    assert ok.status == 201


async def test_malformed_json_and_empty_bodies_are_400(api: Api) -> None:
    """Broken JSON, an empty body or a document without data answer 400."""
    assert (await api.post("/vacancies", raw=b"{nope")).status == 400
    assert (await api.post("/vacancies", raw=b" ")).status == 400
    bodies: list[Any] = [[], {"data": []}, {"data": {"attributes": {}}}]
    for body in bodies:
        answer = await api.post("/vacancies", body)
        assert answer.status == 400, body
    answer = await api.post("/vacancies", {"data": {"type": "vacancies", "attributes": []}})
    assert answer.status == 400
    answer = await api.post("/vacancies", {"data": {"type": "vacancies", "relationships": 1}})
    assert answer.status == 400


async def test_type_or_id_mismatch_is_409(api: Api) -> None:
    """A document of another type, or a PATCH whose id differs from the URL, conflicts."""
    assert (await api.post("/vacancies", doc("candidates", {"phone": "1"}))).status == 409
    vacancy = await api.create("vacancies", "vacancies", {"title": "T", "description": "D"})
    answer = await api.patch(f"/vacancies/{vacancy['id']}", doc("vacancies", {}, id="other"))
    assert answer.status == 409
    same = await api.patch(f"/vacancies/{vacancy['id']}", doc("vacancies", {}, id=vacancy["id"]))
    assert same.status == 200


async def test_strict_mode_names_unknown_and_read_only_attributes(api: Api) -> None:
    """Unknown or read-only attributes are 422s pointing at /data/attributes/<name>."""
    body = doc("vacancies", {"title": "T", "description": "D", "colour": "red", "createdAt": "x"})
    answer = await api.post("/vacancies", body)
    assert answer.status == 422
    pointers = [e["source"]["pointer"] for e in answer.errors]
    assert pointers == ["/data/attributes/colour", "/data/attributes/createdAt"]
    assert "colour" in answer.errors[0]["detail"]
    gen = generation_attributes()
    answer = await api.post("/flow-generations", doc("flowGenerations", {**gen, "status": "x"}))
    assert [e["source"]["pointer"] for e in answer.errors] == ["/data/attributes/status"]
    rel = doc("vacancies", {"title": "T", "description": "D"}, relationships={"x": {"data": None}})
    answer = await api.post("/vacancies", rel)
    assert [e["source"]["pointer"] for e in answer.errors] == ["/data/relationships/x"]


async def test_lenient_mode_ignores_unknown_and_read_only_attributes() -> None:
    """Emulator(strict=False) drops unknown and read-only attributes silently."""
    import aiohttp

    async with Emulator(strict=False, clock="manual") as emu, aiohttp.ClientSession() as s:
        org = await emu.create_organization("Lenient")
        api = Api(s, emu.base_url, org.token)
        body = doc("vacancies", {"title": "T", "description": "D", "colour": "red", "createdAt": 1})
        created = await api.post("/vacancies", body)
        assert created.status == 201
        assert "colour" not in created.data["attributes"]


REQUIRED: list[tuple[str, str, list[str]]] = [
    ("candidates", "candidates", ["phone"]),
    ("flows", "flows", ["name", "reminderInterval", "reminderMessage", "sessionTimeout"]),
    ("flow-runs", "flowRuns", ["flowId", "messageThreadId"]),
    ("flow-generations", "flowGenerations", ["flowType", "parameters"]),
    ("messages", "messages", ["sendBy", "messageThreadId", "payload"]),
    ("message-templates", "messageTemplates", ["name", "components", "language", "category"]),
    ("message-threads", "messageThreads", ["channel", "identifier"]),
    ("node-actions", "nodeActions", ["actionType", "value", "subType"]),
    ("vacancies", "vacancies", ["title", "description"]),
    ("vacancy-analyses", "vacancyAnalyses", ["inputText"]),
    ("users", "users", ["firstName", "lastName", "email"]),
    ("webhooks", "webhooks", ["resourceType", "event"]),
]


@pytest.mark.parametrize(("path", "type_", "required"), REQUIRED)
async def test_post_without_required_fields_lists_each_one(
    api: Api, path: str, type_: str, required: list[str]
) -> None:
    """An empty POST gets one 422 error per missing required attribute, in schema order."""
    answer = await api.post(f"/{path}", doc(type_, {}))
    assert answer.status == 422
    pointers = [e["source"]["pointer"] for e in answer.errors]
    assert [p for p in pointers if p.startswith("/data/attributes/")] == [
        f"/data/attributes/{name}" for name in required
    ]
    assert all(e["detail"].endswith("can't be blank") for e in answer.errors)


async def test_required_relationships_are_reported(api: Api) -> None:
    """Nodes need a flow, node actions and transitions a node (pointer at the relationship)."""
    cases: list[tuple[str, str, dict[str, Any]]] = [
        ("nodes", "nodes", {"name": "N"}),
        ("node-actions", "nodeActions", {"actionType": "say", "subType": "text", "value": {}}),
        ("node-transitions", "nodeTransitions", {"index": 0}),
    ]
    for path, type_, attributes in cases:
        answer = await api.post(f"/{path}", doc(type_, attributes))
        assert answer.status == 422
        assert answer.errors[0]["source"]["pointer"] == "/data/relationships/" + (
            "flow" if type_ == "nodes" else "node"
        )


async def test_wrong_types_and_enum_values_are_422(api: Api) -> None:
    """Attribute values of the wrong kind, or outside an enum, are named one by one."""
    body = doc(
        "flows",
        {"name": 1, "reminderInterval": "15", "reminderMessage": None, "sessionTimeout": True},
    )
    answer = await api.post("/flows", body)
    details = [e["detail"] for e in answer.errors]
    assert details == [
        "name must be a string",
        "reminderInterval must be an integer",
        "reminderMessage can't be blank",
        "sessionTimeout must be an integer",
    ]
    answer = await api.post("/webhooks", doc("webhooks", {"resourceType": "flows", "event": "x"}))
    assert answer.errors[0]["source"]["pointer"] == "/data/attributes/event"


async def test_relationship_documents_are_checked(api: Api) -> None:
    """Malformed linkage, wrong target types and unknown ids are 422s at the relationship."""
    attributes = {"actionType": "say", "subType": "text", "value": {}}
    cases: list[Any] = [
        {"node": 1},
        {"node": {"data": {"type": "flows", "id": "x"}}},
        {"node": {"data": {"type": "nodes"}}},
        {"node": {"data": {"type": "nodes", "id": "missing"}}},
    ]
    for relationships in cases:
        answer = await api.post(
            "/node-actions", doc("nodeActions", attributes, relationships=relationships)
        )
        assert answer.status == 422, relationships
        assert answer.errors[0]["source"]["pointer"].startswith("/data/relationships/node")
    users = doc(
        "users",
        {"firstName": "A", "lastName": "B", "email": "e"},
        relationships={"candidates": {"data": {"type": "candidates", "id": "x"}}},
    )
    assert (await api.post("/users", users)).status == 422
