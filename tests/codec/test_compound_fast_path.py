"""Compound documents decode and link the same on the fast path as on the plain one.

The fast path (``_fastdecode.FAST_DECODE``) builds relationships with ``data`` inline in
the generated decoders and links included resources with generated linkers
(``_fastdecode.make_linker``); the plain path goes through the converter's hooks and the
loop of ``_compound.link``. Every test here decodes the same bytes both ways and compares
the models field by field and every relationship field's target, by identity within its
document.
"""

from __future__ import annotations

from typing import Any

import attrs
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recrubo_async import DecodeError
from recrubo_async._jsonapi import Codec, Document
from recrubo_async.models import Flow, FlowGeneration, Node, ResourceIdentifier
from recrubo_async.models._base import Resource, is_relationship_field

from ..support.codec_paths import CHECKED, FAST


def ident(rtype: str, rid: str) -> dict[str, str]:
    return {"type": rtype, "id": rid}


def resources_of(doc: Document[Resource]) -> list[Resource]:
    data = doc.data if isinstance(doc.data, list) else [] if doc.data is None else [doc.data]
    return [*data, *doc.included]


def target(value: Any, everything: list[Resource]) -> Any:
    """A relationship field's value, as something comparable across two documents."""
    if value is None:
        return None
    if isinstance(value, tuple):
        return tuple(target(v, everything) for v in value)
    if isinstance(value, ResourceIdentifier):
        return ("identifier", value.type, value.id)
    positions = [i for i, r in enumerate(everything) if r is value]
    assert len(positions) == 1, "a linked model is one of the document's own"
    return ("model", positions[0])


def shape(doc: Document[Resource]) -> list[Any]:
    """Every resource's fields, and where each of its relationship fields points."""
    everything = resources_of(doc)
    out: list[Any] = []
    for resource in everything:
        fields = attrs.fields(type(resource))
        out.append(
            (
                type(resource),
                resource,
                dict(resource.relationships),
                {f.name: getattr(resource, f.name) for f in fields if not is_relationship_field(f)},
                {
                    f.name: target(getattr(resource, f.name), everything)
                    for f in fields
                    if is_relationship_field(f)
                },
            )
        )
    return out


def assert_same_both_ways(raw: bytes) -> Document[Resource]:
    """Decoded and linked the same both ways, the fast way without stepping aside."""
    calls: list[object] = []
    checked_path = FAST._decode_resource_checked

    def spy(obj: object, *, path: str) -> Resource:
        calls.append(obj)
        return checked_path(obj, path=path)

    FAST._decode_resource_checked = spy  # type: ignore[method-assign]
    try:
        fast = FAST.decode_document(raw)
    finally:
        del FAST._decode_resource_checked
    assert calls == [], "every resource object here takes the fast path"
    checked = CHECKED.decode_document(raw)
    assert shape(fast) == shape(checked)
    assert (fast.links, fast.meta) == (checked.links, checked.meta)
    return fast


def compound_page(groups: int) -> bytes:
    """flowGenerations with ``include=flow.nodes.nodeActions``, as the API sends them."""
    data: list[dict[str, Any]] = []
    included: list[dict[str, Any]] = []
    for i in range(groups):
        gid, fid, start, end, action = (f"{kind}{i}" for kind in ("g", "f", "s", "e", "a"))
        data.append(
            {
                "type": "flowGenerations",
                "id": gid,
                "attributes": {
                    "status": "finished",
                    "parameters": {"language": "nl", "requiredFields": [{"value": "email"}]},
                    "flowId": fid,
                    "createdAt": "2026-06-07T05:28:09.714Z",
                },
                "relationships": {
                    "flow": {"data": ident("flows", fid), "links": {"related": f"/flows/{fid}"}}
                },
                "links": {"self": f"/flow-generations/{gid}"},
            }
        )
        included += [
            {
                "type": "flows",
                "id": fid,
                "attributes": {"name": f"Driver {i}", "publishedAt": None},
                "relationships": {
                    "nodes": {"data": [ident("nodes", start), ident("nodes", end)]},
                    "flowGeneration": {"data": ident("flowGenerations", gid)},
                    "vacancy": {"links": {"related": f"/flows/{fid}/vacancy"}},
                },
            },
            {
                "type": "nodes",
                "id": start,
                "attributes": {"name": "Welcome", "isStartFlow": True},
                "relationships": {
                    "flow": {"data": ident("flows", fid)},
                    "nodeActions": {"data": [ident("nodeActions", action)]},
                    "nodeTransitions": {"links": {"related": "/node-transitions"}},
                },
            },
            {
                "type": "nodes",
                "id": end,
                "attributes": {"name": "Goodbye", "endFlowType": "accepted"},
                "relationships": {
                    "flow": {"data": ident("flows", fid)},
                    "nodeActions": {"data": []},
                },
            },
            {
                "type": "nodeActions",
                "id": action,
                "attributes": {"actionType": "ask", "value": {"text": "Licence B?"}},
                "relationships": {"node": {"data": ident("nodes", start)}, "meta": {"meta": {}}},
            },
        ]
    return orjson.dumps({"data": data, "included": included, "links": {"next": "/p2"}})


def test_a_compound_page_links_the_same_on_both_paths() -> None:
    doc = assert_same_both_ways(compound_page(3))
    generation = doc.data[1]  # type: ignore[index]
    assert isinstance(generation, FlowGeneration) and isinstance(generation.flow, Flow)
    assert generation.flow.flow_generation is generation
    assert generation.flow.nodes is not None
    start = generation.flow.nodes[0]
    assert isinstance(start, Node) and start.flow is generation.flow
    assert start.node_actions is not None and start.node_actions[0].node is start  # type: ignore[union-attr]
    assert generation.flow.vacancy is None  # links only: nothing to resolve


def test_the_unusual_shapes_link_the_same_on_both_paths() -> None:
    """A to-one sent as a list, a to-many sent as one object, nulls, a resource sent twice,
    a target not included, a numeric id, a relationship the model does not have, a type
    the SDK does not model, and a resource pointing at itself."""
    raw = orjson.dumps(
        {
            "data": {
                "type": "flows",
                "id": "f1",
                "attributes": {},
                "relationships": {
                    "nodes": {"data": ident("nodes", "n1")},
                    "flowGeneration": {"data": [ident("flowGenerations", "g1"), ident("x", "y")]},
                    "vacancy": {"data": {"type": "vacancies", "id": 42}},
                    "flowRuns": {"data": None},
                    "owner": {"data": [ident("users", "u1"), {"type": "users", "id": 5}]},
                },
            },
            "included": [
                {"type": "nodes", "id": "n1", "attributes": {"name": "first"}},
                {
                    "type": "nodes",
                    "id": "n1",
                    "attributes": {"name": "second"},
                    "relationships": {"flow": {"data": ident("flows", "f1")}},
                },
                {
                    "type": "flowGenerations",
                    "id": "g1",
                    "attributes": {},
                    "relationships": {"flow": {"data": None}},
                },
                {
                    "type": "brandNew",
                    "id": "b1",
                    "attributes": {"x": 1},
                    "relationships": {"flow": {"data": ident("flows", "f1")}},
                },
                {
                    "type": "nodes",
                    "id": "n2",
                    "attributes": {},
                    "relationships": {
                        "flow": {"data": []},
                        "nodeActions": {"data": None},
                        "nodeTransitions": {"data": ident("nodes", "n2")},
                    },
                },
            ],
        }
    )
    doc = assert_same_both_ways(raw)
    flow = doc.data
    assert isinstance(flow, Flow) and flow.nodes is not None
    assert flow.nodes[0].name == "first"  # type: ignore[union-attr]
    assert flow.vacancy == ResourceIdentifier(type="vacancies", id="42")
    assert flow.flow_runs == ()


def test_one_resource_and_decode_data_link_the_same_on_both_paths() -> None:
    obj = {
        "type": "nodes",
        "id": "n1",
        "attributes": {},
        "relationships": {"nodeTransitions": {"data": [ident("nodes", "n1")]}},
    }
    fast, checked = FAST.decode_resource(obj), CHECKED.decode_resource(obj)
    assert isinstance(fast, Node) and isinstance(checked, Node)
    pointed: Any = (fast.node_transitions, checked.node_transitions)
    assert pointed == ((fast,), (checked,))
    raw = orjson.dumps({"data": obj})
    node = FAST.decode_data(raw, Node)
    pointed = node.node_transitions
    assert pointed == (node,)
    assert shape(FAST.decode_document(raw)) == shape(CHECKED.decode_document(raw))


def test_the_switch_decides_whether_linkers_are_generated() -> None:
    codec = Codec(fast=True)
    codec.decode_document(compound_page(1))
    assert codec._linkers is not None and codec._linkers[Node] is not None
    assert Codec(fast=False)._linkers is None


@pytest.mark.parametrize("groups", [0, 1, 40])
def test_pages_of_every_size_link_the_same_on_both_paths(groups: int) -> None:
    assert_same_both_ways(compound_page(groups))


# --- any document, both ways ----------------------------------------------------------

KEYS = [("flows", "f1"), ("nodes", "n1"), ("nodes", "n2"), ("flowGenerations", "g1")]
identifiers = st.sampled_from(KEYS).map(lambda k: ident(*k)) | st.fixed_dictionaries(
    {"type": st.sampled_from(["nodes", "users"]), "id": st.sampled_from(["n1", "u1", 7])}
)
relationship_values = st.fixed_dictionaries(
    {},
    optional={
        "data": st.none() | identifiers | st.lists(identifiers, max_size=3) | st.just("bad"),
        "links": st.none() | st.just({"related": "/r"}) | st.just({}) | st.just(["x"]),
        "meta": st.none() | st.just({"n": 1}),
    },
)
resource_objects = st.builds(
    # Attributes sent: a resource object without them takes the checked path on both.
    lambda key, rels: {"type": key[0], "id": key[1], "attributes": {}, "relationships": rels},
    st.sampled_from(KEYS),
    st.dictionaries(
        st.sampled_from(["flow", "nodes", "flowGeneration", "nodeActions", "other"]),
        relationship_values,
        max_size=4,
    ),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(resource_objects, min_size=1, max_size=4), st.lists(resource_objects, max_size=4))
def test_any_compound_document_decodes_and_links_the_same_on_both_paths(
    data: list[dict[str, Any]], included: list[dict[str, Any]]
) -> None:
    raw = orjson.dumps({"data": data, "included": included})

    def decode(codec: Codec) -> Any:
        try:
            return shape(codec.decode_document(raw))
        except DecodeError as exc:
            return ("error", str(exc), exc.path)

    assert decode(FAST) == decode(CHECKED)
