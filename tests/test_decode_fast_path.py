"""The codec's generated fast decoders build exactly what the checked (cattrs) path builds."""

from __future__ import annotations

import copy
import pickle
import typing
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs
import orjson
import pytest

from recrubo_async import DecodeError
from recrubo_async._converter import _non_optional
from recrubo_async._jsonapi import Codec
from recrubo_async.models import FlowGeneration, Relationship, Resource
from recrubo_async.models._base import (
    EMPTY,
    OpenEnum,
    attribute_fields,
    registered_types,
    wire_name_of,
)

CODEC = Codec()


def sample(tp: Any) -> Any:
    """A wire value of a field type."""
    tp = _non_optional(tp)
    if tp is bool:
        return True
    if tp is int:
        return 3
    if tp is str:
        return "text"
    if tp is datetime:
        return "2026-01-02T03:04:05.678Z"
    if isinstance(tp, type) and issubclass(tp, OpenEnum):
        return next(iter(tp)).value
    origin = typing.get_origin(tp)
    if origin is not None and issubclass(origin, Mapping):
        return {"key": [1, {"nested": True}]}
    if origin is not None and issubclass(origin, Sequence):
        (item,) = typing.get_args(tp)
        return [sample(item) if item is not Any else 1]
    raise AssertionError(f"no sample for {tp!r}")


def resource_object(cls: type[Resource], rid: str = "r1") -> dict[str, Any]:
    attributes = {wire_name_of(f): sample(f.type) for f in attribute_fields(cls)}
    attributes["someNewAttribute"] = {"kept": 1}
    return {
        "type": cls.TYPE,
        "id": rid,
        "attributes": attributes,
        "relationships": {
            "owner": {"data": {"type": "users", "id": "u1"}, "meta": {"m": 1}},
            "items": {"data": [{"type": "nodes", "id": "n1"}]},
            "other": {"links": {"related": "/x"}},
        },
        "links": {"self": f"/things/{rid}"},
        "meta": {"billed": True},
    }


def field_values(model: Resource) -> dict[str, Any]:
    return {f.name: getattr(model, f.name) for f in attrs.fields(type(model)) if f.eq}


def assert_same(fast: Resource, checked: Resource) -> None:
    assert type(fast) is type(checked)
    assert fast == checked
    for (name, a), b in zip(
        field_values(fast).items(), field_values(checked).values(), strict=True
    ):
        assert type(a) is type(b) or (isinstance(a, dict) and isinstance(b, dict)), name


@pytest.mark.parametrize("type_name", sorted(registered_types()))
@pytest.mark.parametrize("owned", [False, True])
def test_fast_decoder_matches_the_checked_path_for_every_model(type_name: str, owned: bool) -> None:
    obj = resource_object(registered_types()[type_name])
    fast = CODEC._decode_resource(orjson.loads(orjson.dumps(obj)), "$.data", -1, owned)
    checked = CODEC._decode_resource_checked(obj, path="$.data")
    assert_same(fast, checked)
    assert fast.extra == {"someNewAttribute": {"kept": 1}}


def test_unknown_types_and_null_attributes_match_the_checked_path() -> None:
    generic = {"type": "brandNew", "id": "b1", "attributes": {"a": 1, "b": None}}
    assert_same(
        CODEC._decode_resource(generic, "$"), CODEC._decode_resource_checked(generic, path="$")
    )
    sparse = {"type": "flowGenerations", "id": "g1", "attributes": {"status": None, "cost": 2}}
    fast = CODEC._decode_resource(sparse, "$")
    assert_same(fast, CODEC._decode_resource_checked(sparse, path="$"))
    assert fast.relationships is EMPTY and fast.extra is EMPTY


def test_a_decoded_document_does_not_share_an_events_dicts() -> None:
    """decode_resource (bus events) copies mappings; only a just-parsed page keeps them."""
    obj = resource_object(FlowGeneration)
    model = CODEC.decode_resource(obj)
    assert isinstance(model, FlowGeneration)
    assert model.parameters == obj["attributes"]["parameters"]
    assert model.parameters is not obj["attributes"]["parameters"]
    assert model.links is not obj["links"]


@pytest.mark.parametrize(
    ("attribute", "value", "message"),
    [
        ("cost", "not a number", "cost"),
        ("createdAt", 5, "created_at"),
        ("status", ["a", "list"], "status"),
        ("parameters", ["a", "list"], "parameters"),
    ],
)
def test_a_bad_value_gets_the_checked_paths_error(attribute: str, value: Any, message: str) -> None:
    raw = orjson.dumps(
        {"data": [{"type": "flowGenerations", "id": "g1", "attributes": {attribute: value}}]}
    )
    with pytest.raises(DecodeError, match=message) as caught:
        CODEC.decode_document(raw)
    assert caught.value.path == "$.data[0]"


def test_empty_default_mapping_behaves_like_an_empty_dict_and_refuses_changes() -> None:
    model = FlowGeneration(id="g1")
    assert model.meta == {} and repr(model.meta) == "{}" and orjson.dumps(model.meta) == b"{}"
    assert pickle.loads(pickle.dumps(model)) == model
    assert copy.deepcopy(model) == model
    assert Relationship() == Relationship(links={}, meta={})
    with pytest.raises(TypeError):
        model.meta["x"] = 1  # type: ignore[index]
    with pytest.raises(TypeError):
        EMPTY.update({"x": 1})  # type: ignore[attr-defined]
    assert EMPTY == {}
