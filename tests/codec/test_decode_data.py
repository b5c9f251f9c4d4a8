"""``Codec.decode_data``, the single-resource shortcut behind retrieve/create/update.

It must give exactly what the long way gives (the whole document, then its data checked
to be one model): the same model for every document, and the same error (type, message,
path) for every bad one, on both decoding paths.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from recrubo_async import DecodeError, _fastdecode
from recrubo_async._jsonapi import Codec
from recrubo_async.models import Flow, FlowGeneration, Resource, ResourceIdentifier

from ..support.codec_paths import CHECKED, FAST, both_paths

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


#: Documents the generated fast path of decode_data steps aside for (the general path
#: then gives the model or the error): each differs from the usual shape in one way.
ASIDE = {
    **{f"bad: {name}": raw for name, raw in BAD.items()},
    "with included": GOOD["with included"],
    "numeric id": GOOD["checked path (numeric id)"],
    "attributes not an object": body(data={**GENERATION, "attributes": [1]}),
    "relationships not an object": body(data={**GENERATION, "relationships": [1]}),
    "resource links not an object": body(data={**GENERATION, "links": "x"}),
    "resource meta not an object": body(data={**GENERATION, "meta": 1}),
    "no attributes": body(data={"type": "flowGenerations", "id": "g"}),
    "data is a string": body(data="flowGenerations"),
}


def test_the_generated_data_decoder_takes_the_usual_shape_and_steps_aside_for_the_rest() -> None:
    """It returns the model for the usual documents and None (never an error, never
    another model) for any other, so that decode_data's general path decides."""
    fast = _fastdecode.make_data_decoder(FAST.converter, FlowGeneration, FAST._link_one)
    assert fast is not None
    for name in ("plain", "with top-level links and meta", "with unknown attributes"):
        made = fast(orjson.loads(GOOD[name]))
        assert isinstance(made, FlowGeneration), name
        same_model(made, CHECKED.decode_data(GOOD[name], FlowGeneration))
        assert made.flow == ResourceIdentifier(type="flows", id="f1")  # linked
    for name, raw in ASIDE.items():
        try:
            doc = orjson.loads(raw)
        except orjson.JSONDecodeError:
            doc = None
        assert fast(doc) is None, name


@both_paths
@pytest.mark.parametrize("raw", ASIDE.values(), ids=ASIDE.keys())
def test_every_other_shape_gives_what_the_long_way_gives(codec: Codec, raw: bytes) -> None:
    try:
        long: Resource | str = codec._decode_data_checked(raw, FlowGeneration)
    except DecodeError as exc:
        long = f"{exc} at {exc.path}"
    try:
        short: Resource | str = codec.decode_data(raw, FlowGeneration)
    except DecodeError as exc:
        short = f"{exc} at {exc.path}"
    if isinstance(long, Resource):
        assert isinstance(short, Resource)
        same_model(short, long)
    else:
        assert short == long
