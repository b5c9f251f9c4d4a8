"""``Codec.decode_data``, the single-resource shortcut behind retrieve/create/update.

It must give exactly what the long way gives (the whole document, then its data checked
to be one model): the same model for every document, and the same error (type, message,
path) for every bad one, on both decoding paths.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from recrubo_async import DecodeError
from recrubo_async._jsonapi import Codec
from recrubo_async.models import Flow, FlowGeneration, Resource, ResourceIdentifier

from ..support.codec_paths import both_paths

GENERATION: dict[str, Any] = {
    "id": "6d8f",
    "type": "flowGenerations",
    "attributes": {"status": "finished", "cost": 3, "createdAt": "2026-06-07T05:28:09Z"},
    "relationships": {
        "flow": {"data": {"type": "flows", "id": "f1"}, "links": {"related": "/flows/f1"}}
    },
    "links": {"self": "/flow-generations/6d8f"},
}


def body(**members: Any) -> bytes:
    return orjson.dumps(members)


GOOD = {
    "plain": body(data=GENERATION),
    "with top-level links and meta": body(data=GENERATION, links={"self": "/x"}, meta={"n": 1}),
    "with included": body(
        data=GENERATION, included=[{"type": "flows", "id": "f1", "attributes": {"name": "D"}}]
    ),
    "with unknown attributes": body(
        data={**GENERATION, "attributes": {**GENERATION["attributes"], "newThing": 1}}
    ),
    "checked path (numeric id)": body(data={**GENERATION, "id": 7}),
}

BAD = {
    "not JSON": b"{nope",
    "not an object": b"[]",
    "no data": body(meta={}),
    "a list": body(data=[GENERATION]),
    "another type": body(data={"type": "flows", "id": "f1", "attributes": {}}),
    "links not an object": body(data=GENERATION, links=[1]),
    "meta not an object": body(data=GENERATION, meta="x"),
    "included not a list": body(data=GENERATION, included={}),
    "bad attribute": body(data={**GENERATION, "attributes": {"cost": "three"}}),
    "no type": body(data={"id": "x", "attributes": {}}),
}


def same_model(a: Resource, b: Resource) -> None:
    assert a == b
    assert type(a) is type(b)
    assert (a.relationships, a.links, a.meta, a.extra) == (
        b.relationships,
        b.links,
        b.meta,
        b.extra,
    )


@both_paths
@pytest.mark.parametrize("raw", GOOD.values(), ids=GOOD.keys())
def test_decode_data_gives_the_model_the_long_way_gives(codec: Codec, raw: bytes) -> None:
    short = codec.decode_data(raw, FlowGeneration)
    long = codec._decode_data_checked(raw, FlowGeneration)
    same_model(short, long)
    assert type(short.flow) is type(long.flow)


@both_paths
def test_decode_data_links_the_included_resource(codec: Codec) -> None:
    generation = codec.decode_data(GOOD["with included"], FlowGeneration)
    assert isinstance(generation.flow, Flow) and generation.flow.name == "D"
    lone = codec.decode_data(GOOD["plain"], FlowGeneration)
    assert lone.flow == ResourceIdentifier(type="flows", id="f1")


@both_paths
@pytest.mark.parametrize("raw", BAD.values(), ids=BAD.keys())
def test_decode_data_raises_the_error_the_long_way_raises(codec: Codec, raw: bytes) -> None:
    with pytest.raises(DecodeError) as long:
        codec._decode_data_checked(raw, FlowGeneration)
    with pytest.raises(DecodeError) as short:
        codec.decode_data(raw, FlowGeneration)
    assert str(short.value) == str(long.value)
    assert short.value.path == long.value.path
