"""The codec's generated fast decoders build exactly what the checked (cattrs) path builds.

``FAST`` and ``CHECKED`` are the codec with the switch (``_fastdecode.FAST_DECODE``) on and
off; the other decode tests (codec, compound documents, decode_data) run on both.
"""

from __future__ import annotations

import copy
import pickle
import typing
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

import attrs
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recrubo_async import DecodeError, _construct, _fastdecode, _jsonapi
from recrubo_async._fastdecode import _non_optional, make_resource_decoder
from recrubo_async._jsonapi import Codec
from recrubo_async.models import (
    FlowGeneration,
    Relationship,
    Resource,
)
from recrubo_async.models._base import (
    EMPTY,
    OpenEnum,
    attribute_fields,
    model_for,
    registered_types,
    wire_name_of,
)
from recrubo_async.models._record import Record

from ..support import json_strategies as strategies
from ..support.codec_paths import CHECKED, FAST, both_paths


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
    # Not ``Mapping[str, Any]``: Python 3.10 counts it as a type, which Record's ABC refuses.
    if isinstance(tp, type) and typing.get_origin(tp) is None and issubclass(tp, Record):
        hints = typing.get_type_hints(tp)
        return {wire_name_of(f): sample(hints[f.name]) for f in attrs.fields(tp) if f.metadata}
    origin = typing.get_origin(tp)
    if origin is tuple:  # ``tuple[X, ...]``
        return [sample(typing.get_args(tp)[0])]
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
    """Every field, those out of eq (relationship fields) included."""
    return {f.name: getattr(model, f.name) for f in attrs.fields(type(model))}


def assert_same(fast: Resource, checked: Resource) -> None:
    assert type(fast) is type(checked)
    assert fast == checked
    for (name, a), b in zip(
        field_values(fast).items(), field_values(checked).values(), strict=True
    ):
        assert a == b, name
        assert type(a) is type(b) or (isinstance(a, dict) and isinstance(b, dict)), name


@pytest.mark.parametrize("type_name", sorted(registered_types()))
@pytest.mark.parametrize("owned", [False, True])
def test_fast_decoder_matches_the_checked_path_for_every_model(type_name: str, owned: bool) -> None:
    obj = resource_object(registered_types()[type_name])
    fast = FAST._decode_resource(orjson.loads(orjson.dumps(obj)), "$.data", -1, owned)
    checked = CHECKED._decode_resource_checked(obj, path="$.data")
    assert_same(fast, checked)
    assert fast.extra == {"someNewAttribute": {"kept": 1}}


def test_unknown_types_and_null_attributes_match_the_checked_path() -> None:
    generic = {"type": "brandNew", "id": "b1", "attributes": {"a": 1, "b": None}}
    assert_same(
        FAST._decode_resource(generic, "$"), CHECKED._decode_resource_checked(generic, path="$")
    )
    sparse = {"type": "flowGenerations", "id": "g1", "attributes": {"status": None, "cost": 2}}
    fast = FAST._decode_resource(sparse, "$")
    assert_same(fast, CHECKED._decode_resource_checked(sparse, path="$"))
    assert fast.relationships is EMPTY and fast.extra is EMPTY


@both_paths
def test_a_decoded_document_does_not_share_an_events_dicts(codec: Codec) -> None:
    """decode_resource (bus events) copies mappings; only a just-parsed page keeps them."""
    obj = resource_object(FlowGeneration)
    model = codec.decode_resource(obj)
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
@both_paths
def test_a_bad_value_gets_the_checked_paths_error(
    codec: Codec, attribute: str, value: Any, message: str
) -> None:
    raw = orjson.dumps(
        {"data": [{"type": "flowGenerations", "id": "g1", "attributes": {attribute: value}}]}
    )
    with pytest.raises(DecodeError, match=message) as caught:
        codec.decode_document(raw)
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


def fast_decode(obj: dict[str, Any], *, owned: bool) -> Resource:
    """The generated decoder alone (no fallback): what the codec's fast path returns."""
    decoder = make_resource_decoder(FAST.converter, model_for(obj["type"]), owned=owned)
    assert decoder is not None
    parts = (obj.get("relationships"), obj.get("links"), obj.get("meta"))
    return decoder(obj["id"], obj["type"], obj.get("attributes", {}), *parts)


def generation(attributes: dict[str, Any], **members: Any) -> dict[str, Any]:
    return {"type": "flowGenerations", "id": "g1", "attributes": attributes, **members}


COMPLETE = {
    "flowType": "vacancy_application_flow",
    "parameters": {"language": "nl"},
    "context": {"type": "text", "value": "v"},
    "flowId": "f1",
    "status": "queued",
    "cost": 3,
    "createdAt": "2026-06-07T05:28:09.714Z",
    "updatedAt": "2026-06-07T07:28:09+02:00",
}


@pytest.mark.parametrize(
    "attributes",
    [
        pytest.param(COMPLETE, id="all sent"),
        pytest.param({**COMPLETE, "aiModel": "x-2"}, id="all sent and one unknown"),
        pytest.param({**COMPLETE, "cost": None, "status": None}, id="nulls"),
        pytest.param({"status": "finished", "cost": 2}, id="sparse"),
        pytest.param(
            {**{k: v for k, v in COMPLETE.items() if k != "cost"}, "aiModel": 1},
            id="one missing and one unknown: as many keys as the model has",
        ),
        pytest.param({}, id="none"),
        pytest.param({"aiModel": {"n": 1}}, id="only unknown"),
    ],
)
@pytest.mark.parametrize("owned", [False, True])
def test_every_shape_of_attributes_decodes_as_the_checked_path_does(
    attributes: dict[str, Any], owned: bool
) -> None:
    obj = generation(attributes)
    assert_same(
        fast_decode(copy.deepcopy(obj), owned=owned),
        CHECKED._decode_resource_checked(obj, path="$"),
    )


@pytest.mark.parametrize(
    "relationship",
    [
        pytest.param({"links": {"related": "/flows/f1"}}, id="links only"),
        pytest.param({"links": {"related": "/x"}, "meta": {"n": 1}}, id="links and meta"),
        pytest.param({"data": {"type": "flows", "id": "f1"}}, id="to-one"),
        pytest.param({"data": {"type": "flows", "id": 7}, "links": {"self": "/r"}}, id="int id"),
        pytest.param({"data": [{"type": "nodes", "id": "n1"}]}, id="to-many"),
        pytest.param({"data": []}, id="empty to-many"),
        pytest.param({"data": None}, id="null"),
        pytest.param({"links": {}}, id="empty links"),
        pytest.param({"links": None}, id="null links"),
        pytest.param({"links": ["not", "an", "object"]}, id="links not an object"),
        pytest.param({"meta": {"n": 1}}, id="meta only"),
        pytest.param({}, id="empty"),
    ],
)
@pytest.mark.parametrize("owned", [False, True])
def test_every_shape_of_relationship_decodes_as_the_checked_path_does(
    relationship: dict[str, Any], owned: bool
) -> None:
    obj = generation({"status": "queued"}, relationships={"flow": relationship, "x": relationship})
    fast = fast_decode(copy.deepcopy(obj), owned=owned)
    assert_same(fast, CHECKED._decode_resource_checked(obj, path="$"))
    assert fast.relationships == CHECKED._decode_resource_checked(obj, path="$").relationships


def test_a_just_parsed_objects_dicts_are_kept_and_a_callers_are_copied() -> None:
    links = {"related": "/flows/f1"}
    for owned in (True, False):
        obj = generation(COMPLETE, relationships={"flow": {"links": links}}, links=links)
        model = fast_decode(obj, owned=owned)
        assert (model.relationships["flow"].links is links) is owned
        assert (model.links is links) is owned


@pytest.mark.parametrize(
    "value",
    [
        "2026-01-02T03:04:05.678Z",
        "2026-01-02T03:04:05.678+02:00",
        "2026-01-02T03:04:05",
        "2026-01-02",
        "2026-01-02T03:04:05z",
        " 2026-01-02T03:04:05Z ",
        datetime(2026, 1, 2, 3, 4, 5),
        datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
    ],
)
def test_timestamps_decode_as_parse_datetime_reads_them(value: Any) -> None:
    obj = generation({"createdAt": value})
    fast = fast_decode(obj, owned=False)
    assert_same(fast, CHECKED._decode_resource_checked(obj, path="$"))
    assert isinstance(fast, FlowGeneration) and fast.created_at is not None
    assert fast.created_at.tzinfo is not None


@pytest.mark.parametrize("value", ["yesterday", 5, ["2026-01-02"]])
def test_a_bad_timestamp_leaves_the_fast_path(value: Any) -> None:
    with pytest.raises((TypeError, ValueError)):
        fast_decode(generation({"createdAt": value}), owned=True)


def test_the_fast_path_changes_nothing_it_was_given_before_stepping_aside() -> None:
    """It failed late (a bad last attribute) with relationships already read: the checked
    path must read the object as sent and say what the checked path alone says."""
    obj = generation(
        {**COMPLETE, "updatedAt": 5},
        relationships={"flow": {"links": {"related": "/x"}}, "o": {"data": None}},
        links={"self": "/g1"},
    )
    sent = copy.deepcopy(obj)
    with pytest.raises(TypeError):
        fast_decode(obj, owned=True)
    assert obj == sent
    with pytest.raises(DecodeError) as alone:
        CHECKED._decode_resource_checked(sent, path="$.data[0]")
    with pytest.raises(DecodeError) as through:
        FAST.decode_document(orjson.dumps({"data": [obj]}))
    assert (str(through.value), through.value.path) == (str(alone.value), alone.value.path)


def test_the_switch_decides_the_path_of_each_new_codec(monkeypatch: pytest.MonkeyPatch) -> None:
    """FAST_DECODE off: no code generated, every model built by its __init__, same models."""

    def generated(*args: object, **kwargs: object) -> Any:
        raise AssertionError("generated code with the switch off")

    raw = orjson.dumps({"data": [resource_object(cls) for cls in registered_types().values()]})
    expected = FAST.decode_document(raw).data
    monkeypatch.setattr(_fastdecode, "FAST_DECODE", False)
    monkeypatch.setattr(_jsonapi, "make_resource_decoder", generated)
    monkeypatch.setattr(_construct, "construction_lines", generated)
    checked = Codec()
    assert checked.fast is False
    models = checked.decode_document(raw).data
    assert isinstance(models, list) and isinstance(expected, list)
    for model, same in zip(models, expected, strict=True):
        assert_same(model, same)
    monkeypatch.undo()
    assert _fastdecode.FAST_DECODE and Codec().fast and not Codec(fast=False).fast


# --- the fast decoder against the checked path, on generated resource objects -----------

json_scalars = strategies.json_scalars(text=6)
json_values = strategies.json_values(text=6, keys=5, leaves=8)
attribute_values = json_values | st.sampled_from(
    [
        "queued",
        "vacancy_application_flow",
        "2026-01-02T03:04:05Z",
        "2026-01-02T03:04:05",
        " 2026-01-02 ",
        "3",
        3,
        2.5,
        True,
        {"language": "nl"},
    ]
)
identifier_objects = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["flows", "nodes"]),
        "id": st.text(max_size=3) | st.integers(-(2**63), 2**63 - 1),
    }
)
link_objects = st.dictionaries(st.sampled_from(["self", "related"]), st.text(max_size=5))
relationship_objects = (
    st.fixed_dictionaries({"links": link_objects})
    | st.fixed_dictionaries(
        {},
        optional={
            "data": st.none() | identifier_objects | st.lists(identifier_objects, max_size=2),
            "links": link_objects | json_values,
            "meta": st.dictionaries(st.text(max_size=3), json_scalars) | json_values,
        },
    )
    | json_values
)
wire_names = sorted({wire_name_of(f) for f in attribute_fields(FlowGeneration)})
resource_objects = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["flowGenerations", "flows", "nodes", "brandNew"]),
        "id": st.text(max_size=4),
        "attributes": st.dictionaries(
            st.sampled_from([*wire_names, "name", "zz"]), attribute_values, max_size=10
        ),
    },
    optional={
        "relationships": st.dictionaries(
            st.sampled_from(["flow", "nodes", "owner"]), relationship_objects, max_size=3
        ),
        "links": st.dictionaries(st.text(max_size=4), json_values, max_size=2),
        "meta": st.dictionaries(st.text(max_size=4), json_values, max_size=2),
    },
)


@settings(max_examples=400, deadline=None)
@given(resource_objects, st.booleans())
def test_the_fast_decoder_builds_what_the_checked_path_builds_or_steps_aside(
    obj: dict[str, Any], owned: bool
) -> None:
    parsed = orjson.loads(orjson.dumps(obj))
    try:
        fast: Resource | None = fast_decode(parsed, owned=owned)
    except Exception:
        fast = None
    assert parsed == obj, "the fast decoder changed the object it was given"
    try:
        checked = CHECKED._decode_resource_checked(obj, path="$.data")
    except DecodeError:
        assert fast is None
        return
    if fast is not None:
        assert_same(fast, checked)


@pytest.mark.parametrize("type_name", sorted(registered_types()))
def test_the_data_decoder_matches_the_checked_path_for_every_model(type_name: str) -> None:
    """``decode_data``'s generated fast path (``make_data_decoder``) is taken for every
    model, and builds, relationships linked, what the checked path builds."""
    cls = registered_types()[type_name]
    raw = orjson.dumps({"data": resource_object(cls), "links": {"self": "/x"}, "meta": {}})
    decoder = _fastdecode.make_data_decoder(FAST.converter, cls, FAST._link_one)
    assert (decoder is None) == (make_resource_decoder(FAST.converter, cls, owned=True) is None)
    if decoder is not None:
        made = decoder(orjson.loads(raw))
        assert made is not None
        assert_same(made, CHECKED.decode_data(raw, cls))
    assert_same(FAST.decode_data(raw, cls), CHECKED.decode_data(raw, cls))


def test_no_data_decoder_for_a_model_not_registered_for_its_type() -> None:
    """A subclass sharing a registered TYPE is not what that type decodes to: no fast path."""

    @attrs.frozen(kw_only=True)
    class Unregistered(FlowGeneration):
        pass

    assert _fastdecode.make_data_decoder(FAST.converter, Unregistered, FAST._link_one) is None
    assert _fastdecode.make_data_decoder(FAST.converter, Resource, FAST._link_one) is None
