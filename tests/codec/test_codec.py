"""JSON:API codec: typed models, unknown attributes and types, datetimes, and robustness."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recrubo_async import DecodeError
from recrubo_async._jsonapi import Codec
from recrubo_async._naming import to_camel, to_snake
from recrubo_async.models import (
    Flow,
    FlowGeneration,
    FlowGenerationStatus,
    FlowType,
    GenericResource,
    Relationship,
    ResourceIdentifier,
)

from ..support import json_strategies as strategies
from ..support.codec_paths import both_paths


def doc(data: Any, **extra: Any) -> bytes:
    return orjson.dumps({"data": data, **extra})


@both_paths
def test_decodes_the_documented_example_into_a_typed_model(codec: Codec) -> None:
    raw = doc(
        {
            "id": "6d8f",
            "type": "flowGenerations",
            "attributes": {
                "createdAt": "2025-06-07T05:28:09.714Z",
                "updatedAt": "2025-06-07T07:28:09.714+02:00",
                "flowId": "123e4567-e89b-12d3-a456-426614174000",
                "flowType": "vacancy_application_flow",
                "parameters": {"language": "nl"},
                "context": {},
                "status": "queued",
                "cost": 3,
            },
            "relationships": {
                "flow": {"data": {"type": "flows", "id": "f1"}, "links": {"related": "/x"}},
                "nodes": {"data": [{"type": "nodes", "id": 7}]},
                "vacancy": {"data": None},
                "owner": {"links": {"related": "/y"}},
            },
            "links": {"self": "/flow-generations/6d8f"},
            "meta": {"billed": True},
        },
        included=[{"type": "flows", "id": "f1", "attributes": {"name": "Driver"}}],
        links={"self": "/x"},
        meta={"total": 1},
    )
    document = codec.decode_document(raw)
    gen = document.data
    assert isinstance(gen, FlowGeneration)
    assert gen.id == "6d8f"
    assert gen.type == "flowGenerations"
    assert gen.status is FlowGenerationStatus.QUEUED
    assert gen.flow_type is FlowType.VACANCY_APPLICATION_FLOW
    assert gen.created_at == datetime(2025, 6, 7, 5, 28, 9, 714000, tzinfo=timezone.utc)
    assert gen.updated_at == gen.created_at
    assert gen.updated_at is not None and gen.updated_at.utcoffset() == timedelta(hours=2)
    assert gen.cost == 3
    assert gen.parameters == {"language": "nl"}
    assert gen.related("flow") == ResourceIdentifier(type="flows", id="f1")
    assert gen.related("nodes") == (ResourceIdentifier(type="nodes", id="7"),)
    assert gen.relationships["vacancy"] == Relationship(data=None)
    assert gen.relationships["owner"].loaded is False
    assert gen.related("missing") is None
    assert gen.links == {"self": "/flow-generations/6d8f"}
    assert gen.meta == {"billed": True}
    assert document.meta == {"total": 1}
    (flow,) = document.included
    # Flows are modelled since issue 4 (was GenericResource), and resolved onto gen.flow.
    assert isinstance(flow, Flow)
    assert flow.type == "flows" and flow.attribute("name") == "Driver"
    assert gen.flow is flow


@both_paths
def test_unknown_attributes_are_kept_and_readable(codec: Codec) -> None:
    raw = doc(
        {
            "id": "1",
            "type": "flowGenerations",
            "attributes": {"status": "finished", "aiModel": "x-2", "tokens": {"in": 3}},
        }
    )
    gen = codec.decode_data(raw, FlowGeneration)
    assert gen.extra == {"aiModel": "x-2", "tokens": {"in": 3}}
    assert gen.attribute("aiModel") == "x-2"
    assert gen.attribute("status") == "finished"
    assert gen.attribute("nope", 5) == 5
    assert codec.encode_resource(gen)["attributes"]["aiModel"] == "x-2"


@both_paths
def test_unknown_status_values_are_kept_not_rejected(codec: Codec) -> None:
    gen = codec.decode_data(
        doc({"id": "1", "type": "flowGenerations", "attributes": {"status": "paused"}}),
        FlowGeneration,
    )
    assert gen.status is not None
    assert gen.status == "paused"
    assert not gen.status.is_known
    assert FlowGenerationStatus.FINISHED.is_known
    assert str(gen.status) == "paused"


@both_paths
def test_unknown_types_decode_to_a_generic_resource(codec: Codec) -> None:
    document = codec.decode_document(
        doc([{"id": "9", "type": "spaceships", "attributes": {"warpSpeed": 9}}])
    )
    assert isinstance(document.data, list)
    (ship,) = document.data
    assert isinstance(ship, GenericResource)
    assert ship.type == "spaceships" and ship.attributes == {"warpSpeed": 9}
    assert codec.encode_resource(ship) == {
        "type": "spaceships",
        "id": "9",
        "attributes": {"warpSpeed": 9},
    }


@both_paths
def test_naive_timestamps_are_taken_as_utc(codec: Codec) -> None:
    gen = codec.decode_data(
        doc(
            {
                "id": "1",
                "type": "flowGenerations",
                "attributes": {"createdAt": "2025-01-01T10:00:00"},
            }
        ),
        FlowGeneration,
    )
    assert gen.created_at == datetime(2025, 1, 1, 10, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("body", "path"),
    [
        (b"<html>", "$"),
        (b"[]", "$"),
        (doc({"id": "1"}), "$.data.type"),
        (doc({"type": "flowGenerations"}), "$.data.id"),
        (doc({"type": "flowGenerations", "id": "1", "attributes": []}), "$.data.attributes"),
        (doc({"type": "flowGenerations", "id": "1", "attributes": {"cost": "x"}}), "$.data"),
        (doc({"type": "flowGenerations", "id": "1", "links": 3}), "$.data.links"),
        (doc({"type": "flowGenerations", "id": "1"}, included={}), "$.included"),
        (doc(None, links=[]), "$.links"),
        (doc(None, meta=3), "$.meta"),
        (doc([1]), "$.data[0]"),
    ],
)
@both_paths
def test_malformed_documents_raise_decode_error_with_a_path(
    codec: Codec, body: bytes, path: str
) -> None:
    with pytest.raises(DecodeError) as info:
        codec.decode_document(body)
    assert info.value.path == path


@both_paths
def test_decode_data_rejects_the_wrong_type(codec: Codec) -> None:
    with pytest.raises(DecodeError, match="expected one flowGenerations"):
        codec.decode_data(doc({"id": "1", "type": "spaceships"}), FlowGeneration)
    with pytest.raises(DecodeError, match="no data"):
        codec.decode_data(doc(None), FlowGeneration)


def test_encode_write_builds_a_request_document() -> None:
    codec = Codec()
    when = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    body = codec.encode_write(
        "flowRuns",
        {"started_at": when, "state": {"first_name": "Ann"}, "status": FlowGenerationStatus.QUEUED},
        relationships={
            "message_thread": ResourceIdentifier(type="messageThreads", id="t1"),
            "flow": FlowGeneration(id="g1"),
            "nodes": [ResourceIdentifier(type="nodes", id="n1")],
            "vacancy": None,
        },
        id="r1",
    )
    assert orjson.loads(body) == {
        "data": {
            "type": "flowRuns",
            "id": "r1",
            "attributes": {
                "startedAt": "2025-01-02T03:04:05Z",
                "state": {"first_name": "Ann"},
                "status": "queued",
            },
            "relationships": {
                "messageThread": {"data": {"type": "messageThreads", "id": "t1"}},
                "flow": {"data": {"type": "flowGenerations", "id": "g1"}},
                "nodes": {"data": [{"type": "nodes", "id": "n1"}]},
                "vacancy": {"data": None},
            },
        }
    }


def test_names_translate_both_ways() -> None:
    assert to_camel("created_at") == "createdAt"
    assert to_camel("flow_id") == "flowId"
    assert to_camel("status") == "status"
    assert to_snake("createdAt") == "created_at"
    assert to_snake("knockoutRequirements") == "knockout_requirements"


# --- properties -------------------------------------------------------------------------

json_scalars = strategies.json_scalars(text=8)
json_values = strategies.json_values(text=8, keys=6, leaves=12)
aware_datetimes = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1), timezones=st.just(timezone.utc)
)
identifiers = st.builds(
    ResourceIdentifier, type=st.sampled_from(["flows", "nodes"]), id=st.uuids().map(str)
)
relationships = st.builds(
    Relationship,
    data=st.none() | identifiers | st.lists(identifiers, max_size=3).map(tuple),
    links=st.dictionaries(st.sampled_from(["self", "related"]), st.text(max_size=5), max_size=2),
)
generations = st.builds(
    FlowGeneration,
    id=st.uuids().map(str),
    flow_type=st.none() | st.sampled_from(["vacancy_application_flow", "other"]).map(FlowType),
    parameters=st.none() | st.dictionaries(st.text(max_size=5), json_values, max_size=3),
    context=st.none() | st.dictionaries(st.text(max_size=5), json_values, max_size=3),
    flow_id=st.none() | st.uuids().map(str),
    status=st.none() | st.sampled_from(["queued", "finished", "new"]).map(FlowGenerationStatus),
    cost=st.none() | st.integers(min_value=0, max_value=10**6),
    created_at=st.none() | aware_datetimes,
    updated_at=st.none() | aware_datetimes,
    relationships=st.dictionaries(st.sampled_from(["flow", "vacancy"]), relationships, max_size=2),
    links=st.dictionaries(st.just("self"), st.text(max_size=5), max_size=1),
    meta=st.dictionaries(st.text(max_size=4), json_scalars, max_size=2),
    extra=st.dictionaries(st.sampled_from(["aiModel", "tokens"]), json_values, max_size=2),
)


@both_paths
@settings(max_examples=200, deadline=None)
@given(generations)
def test_models_round_trip_through_the_wire(codec: Codec, gen: FlowGeneration) -> None:
    raw = orjson.dumps({"data": codec.encode_resource(gen)})
    decoded = codec.decode_data(raw, FlowGeneration)
    # Null attributes are not sent, so an empty mapping and a missing one both decode to None.
    assert decoded == gen


@both_paths
@settings(max_examples=300, deadline=None)
@given(json_values)
def test_decoding_arbitrary_json_only_ever_raises_decode_error(codec: Codec, value: Any) -> None:
    for candidate in (value, {"data": value}, {"data": [value]}, {"included": value}):
        with contextlib.suppress(DecodeError):
            codec.decode_document(orjson.dumps(candidate))


resource_objects = st.fixed_dictionaries(
    {"type": st.sampled_from(["flowGenerations", "flows", "x"]) | json_values, "id": json_values},
    optional={
        "attributes": st.dictionaries(
            st.sampled_from(["status", "cost", "createdAt", "flowType", "parameters", "zz"]),
            json_values,
        )
        | json_values,
        "relationships": st.dictionaries(st.text(max_size=4), json_values) | json_values,
        "links": json_values,
        "meta": json_values,
    },
)


@both_paths
@settings(max_examples=400, deadline=None)
@given(resource_objects)
def test_decoding_near_valid_resources_only_ever_raises_decode_error(
    codec: Codec, obj: dict[str, Any]
) -> None:
    with contextlib.suppress(DecodeError):
        codec.decode_document(orjson.dumps({"data": obj}))
