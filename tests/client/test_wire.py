"""What the client puts on the wire: method, path, headers, body."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from recrubo_async import Client, __version__
from recrubo_async.models import (
    CandidateField,
    ExtraOption,
    FlowGenerationStatus,
    Requirement,
    TextContext,
    VacancyApplicationParameters,
)

from ..conftest import API_KEY
from ..support.scripted_server import Reply, ScriptedServer

DATA = Path(__file__).parent / "data"


def seed(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DATA / name).read_text())
    return loaded


def created(status: str = "queued") -> Reply:
    return Reply(
        status=201,
        body={
            "data": {
                "type": "flowGenerations",
                "id": "3f1c9a52-9d1e-4a57-8d33-5d1a4b0c2e11",
                "attributes": {"flowType": "vacancy_application_flow", "status": status},
            }
        },
    )


def seed_parameters(*, with_appointment: bool) -> VacancyApplicationParameters:
    return VacancyApplicationParameters(
        language="nl",
        emoji_usage="3",
        flow_name="Driver",
        knockout_requirements=[
            Requirement("Has drivers license B", "drivers_license"),
            Requirement("Must be communicative", "communicative"),
        ],
        preferred_requirements=[Requirement("Lives in Amsterdam", "location")],
        required_fields=[
            CandidateField("firstName", "first_name"),
            CandidateField("email", "email"),
            CandidateField("phoneNumber", "phone"),
        ],
        optional_fields=[
            CandidateField("address", "address"),
            CandidateField("linkedin", "linkedin"),
            CandidateField("portfolio", "portfolio"),
        ],
        extra_options=(
            [ExtraOption.appointment(schedule_ids=[1, 2, 3], language="en")]
            if with_appointment
            else None
        ),
    )


async def test_create_sends_the_seed_example_body_with_typed_parameters(
    server: ScriptedServer, client: Client
) -> None:
    server.add(created())
    gen = await client.flow_generations.create(
        flow_type="vacancy_application_flow",
        parameters=seed_parameters(with_appointment=False),
        context=TextContext(value="Example vacancy text here."),
    )
    assert gen.status == FlowGenerationStatus.QUEUED
    (request,) = server.requests
    assert request.method == "POST"
    assert request.path == "/public/v2/flow-generations"
    assert request.query == ""
    assert request.json() == seed("seed_post_body.json")


async def test_create_sends_the_v2_appointment_seed_body(
    server: ScriptedServer, client: Client
) -> None:
    server.add(created())
    await client.flow_generations.create(
        flow_type="vacancy_application_flow",
        parameters=seed_parameters(with_appointment=True),
        context=TextContext(value="Example vacancy text here."),
    )
    assert server.requests[0].json() == seed("seed_post_body_v2_appointment.json")


async def test_plain_dict_parameters_are_sent_as_given(
    server: ScriptedServer, client: Client
) -> None:
    body = seed("seed_post_body.json")["data"]["attributes"]
    server.add(created())
    await client.flow_generations.create(
        flow_type=body["flowType"], parameters=body["parameters"], context=body["context"]
    )
    assert server.requests[0].json() == seed("seed_post_body.json")


async def test_every_request_carries_auth_media_type_and_user_agent(
    server: ScriptedServer, client: Client
) -> None:
    server.add(created(), Reply(status=200, body={"data": []}))
    await client.flow_generations.create(flow_type="vacancy_application_flow", parameters={})
    await client.flow_generations.list()
    for request in server.requests:
        assert request.headers["authorization"] == f"Bearer {API_KEY}"
        assert request.headers["content-type"] == "application/vnd.api+json"
        assert request.headers["accept"] == "application/vnd.api+json"
        assert request.headers["user-agent"] == f"recrubo-async/{__version__}"


async def test_sync_flag_is_passed_as_query_parameter(
    server: ScriptedServer, client: Client
) -> None:
    server.add(created("finished"))
    gen = await client.flow_generations.create(
        flow_type="vacancy_application_flow", parameters={}, sync=True
    )
    assert server.requests[0].query == "sync=true"
    assert gen.is_finished


async def test_retrieve_list_and_delete_use_the_documented_paths(
    server: ScriptedServer, client: Client
) -> None:
    one = created().body
    assert isinstance(one, dict)
    server.add(
        Reply(body=one),
        Reply(body={"data": [one["data"]], "links": {"next": None}, "meta": {"total": 1}}),
        Reply(status=204),
    )
    gen = await client.flow_generations.retrieve("3f1c9a52-9d1e-4a57-8d33-5d1a4b0c2e11")
    page = await client.flow_generations.list(page_size=10, sort="-created_at")
    await client.flow_generations.delete(gen)
    get, lst, delete = server.requests
    assert (get.method, get.path) == (
        "GET",
        "/public/v2/flow-generations/3f1c9a52-9d1e-4a57-8d33-5d1a4b0c2e11",
    )
    assert lst.method == "GET"
    assert lst.path == "/public/v2/flow-generations"
    assert "page%5Bsize%5D=10" in lst.query or "page[size]=10" in lst.query
    assert "sort=-createdAt" in lst.query
    assert page.items == (gen,)
    assert page.meta == {"total": 1}
    assert not page.has_next
    assert (delete.method, delete.path) == (
        "DELETE",
        "/public/v2/flow-generations/3f1c9a52-9d1e-4a57-8d33-5d1a4b0c2e11",
    )


async def test_ids_are_escaped_into_one_path_segment(
    server: ScriptedServer, client: Client
) -> None:
    server.add(Reply(status=204))
    await client.flow_generations.delete("a b?c#d%e")
    assert server.requests[0].path == "/public/v2/flow-generations/a%20b%3Fc%23d%25e"
    # An id with a slash is refused outright (tests/test_ids_safe.py).
    with pytest.raises(ValueError, match="not a safe path segment"):
        await client.flow_generations.delete("../users/1")
    assert len(server.requests) == 1


async def test_request_body_is_compact_json(server: ScriptedServer, client: Client) -> None:
    server.add(created())
    await client.flow_generations.create(flow_type="x", parameters={"a": 1})
    assert server.requests[0].body == orjson.dumps(
        {
            "data": {
                "type": "flowGenerations",
                "attributes": {"flowType": "x", "parameters": {"a": 1}},
            }
        }
    )
