"""Compound documents: included resources resolved onto relationship fields."""

from __future__ import annotations

from typing import Any

import orjson

from recrubo_async._jsonapi import Codec
from recrubo_async.models import (
    Candidate,
    CandidateStatus,
    Flow,
    GenericResource,
    Location,
    Node,
    NodeAction,
    ResourceIdentifier,
    Vacancy,
)

from ..support.codec_paths import both_paths


def ident(type_: str, id_: str) -> dict[str, str]:
    return {"type": type_, "id": id_}


def flow_document(*, include_actions: bool = True) -> bytes:
    included: list[dict[str, Any]] = [
        {
            "type": "nodes",
            "id": "n1",
            "attributes": {"name": "Start", "isStartFlow": True},
            "relationships": {
                "flow": {"data": ident("flows", "f1")},
                "nodeActions": {"data": [ident("nodeActions", "a1"), ident("nodeActions", "a2")]},
                "nodeTransitions": {"links": {"related": "/node-transitions?filter[nodeId]=n1"}},
            },
        },
        {
            "type": "nodes",
            "id": "n2",
            "attributes": {"name": "End"},
            "relationships": {"nodeActions": {"data": []}, "flow": {"data": None}},
        },
    ]
    if include_actions:
        included.append(
            {
                "type": "nodeActions",
                "id": "a1",
                "attributes": {"actionType": "say", "value": {"text": "Hi"}},
                "relationships": {"node": {"data": ident("nodes", "n1")}},
            }
        )
    return orjson.dumps(
        {
            "data": {
                "type": "flows",
                "id": "f1",
                "attributes": {"name": "Driver"},
                "relationships": {
                    "nodes": {"data": [ident("nodes", "n1"), ident("nodes", "n2")]},
                    "vacancy": {"data": ident("vacancies", "v9")},
                },
            },
            "included": included,
        }
    )


@both_paths
def test_included_resources_resolve_through_nested_relationships(codec: Codec) -> None:
    flow = codec.decode_data(flow_document(), Flow)
    assert flow.nodes is not None
    start, end = flow.nodes
    assert isinstance(start, Node) and isinstance(end, Node)
    assert start.node_actions is not None
    action = start.node_actions[0]
    assert isinstance(action, NodeAction)
    assert action.value == {"text": "Hi"}


@both_paths
def test_a_related_resource_not_included_stays_an_identifier(codec: Codec) -> None:
    flow = codec.decode_data(flow_document(), Flow)
    assert flow.vacancy == ResourceIdentifier(type="vacancies", id="v9")
    assert flow.nodes is not None and isinstance(flow.nodes[0], Node)
    assert flow.nodes[0].node_actions is not None
    assert flow.nodes[0].node_actions[1] == ResourceIdentifier(type="nodeActions", id="a2")


@both_paths
def test_cycles_point_back_at_the_same_instances(codec: Codec) -> None:
    flow = codec.decode_data(flow_document(), Flow)
    assert flow.nodes is not None
    start = flow.nodes[0]
    assert isinstance(start, Node)
    assert start.flow is flow
    assert start.node_actions is not None
    action = start.node_actions[0]
    assert isinstance(action, NodeAction)
    assert action.node is start


@both_paths
def test_links_only_is_none_and_empty_data_is_empty_or_none(codec: Codec) -> None:
    flow = codec.decode_data(flow_document(), Flow)
    assert flow.nodes is not None
    start, end = flow.nodes
    assert isinstance(start, Node) and isinstance(end, Node)
    assert start.node_transitions is None
    assert end.node_actions == ()
    assert end.flow is None
    assert flow.flow_runs is None


@both_paths
def test_relationship_fields_stay_out_of_eq_and_repr(codec: Codec) -> None:
    with_actions = codec.decode_data(flow_document(), Flow)
    without = codec.decode_data(flow_document(include_actions=False), Flow)
    assert with_actions == without
    assert "nodes" not in repr(with_actions)
    assert repr(with_actions).count("Flow(") == 1


@both_paths
def test_a_lone_resource_object_gets_identifiers(codec: Codec) -> None:
    node = codec.decode_resource(
        {
            "type": "nodes",
            "id": "n1",
            "relationships": {"flow": {"data": ident("flows", "f1")}},
        }
    )
    assert isinstance(node, Node)
    assert node.flow == ResourceIdentifier(type="flows", id="f1")


@both_paths
def test_lists_resolve_items_against_included_and_other_items(codec: Codec) -> None:
    raw = orjson.dumps(
        {
            "data": [
                {
                    "type": "nodes",
                    "id": "n1",
                    "relationships": {"nodeTransitions": {"data": [ident("nodeTransitions", "t")]}},
                },
                {"type": "nodes", "id": "n2"},
            ],
            "included": [
                {
                    "type": "nodeTransitions",
                    "id": "t",
                    "relationships": {
                        "node": {"data": ident("nodes", "n1")},
                        "exitNode": {"data": ident("nodes", "n2")},
                    },
                }
            ],
        }
    )
    doc = codec.decode_document(raw)
    assert isinstance(doc.data, list)
    n1, n2 = doc.data
    assert isinstance(n1, Node)
    assert n1.node_transitions is not None
    (transition,) = n1.node_transitions
    assert getattr(transition, "exit_node", None) is n2
    assert getattr(transition, "node", None) is n1


@both_paths
def test_link_reads_any_iterable_and_skips_relationships_the_model_does_not_declare(
    codec: Codec,
) -> None:
    from recrubo_async._compound import link

    objects = [
        {
            "type": "nodes",
            "id": "n1",
            "relationships": {
                "flow": {"data": ident("flows", "f1")},
                "owner": {"data": ident("nodes", "n2")},
                "nodeActions": {"links": {"related": "/node-actions?filter[nodeId]=n1"}},
            },
        },
        {"type": "nodes", "id": "n2", "relationships": {"flow": {"data": ident("flows", "f1")}}},
        {"type": "flows", "id": "f1", "attributes": {"name": "Driver"}},
    ]
    n1, n2, flow = (codec._decode_resource(obj, "$") for obj in objects)  # not linked yet
    assert isinstance(n1, Node) and isinstance(n2, Node)
    assert (n1.flow, n2.flow) == (None, None)
    link(model for model in (n1, n2, flow))
    assert n1.flow is flow and n2.flow is flow
    assert n1.node_actions is None  # links only: nothing to resolve
    assert n1.related("owner") == ResourceIdentifier(type="nodes", id="n2")
    assert not hasattr(n1, "owner")


@both_paths
def test_candidate_statuses_and_locations_resolve_to_their_models_keeping_attributes(
    codec: Codec,
) -> None:
    raw = orjson.dumps(
        {
            "data": {
                "type": "candidates",
                "id": "c1",
                "relationships": {"candidateStatus": {"data": ident("candidateStatuses", "s1")}},
            },
            "included": [{"type": "candidateStatuses", "id": "s1", "attributes": {"name": "New"}}],
        }
    )
    status = codec.decode_data(raw, Candidate).candidate_status
    assert isinstance(status, CandidateStatus)
    assert status.attribute("name") == "New"
    raw = orjson.dumps(
        {
            "data": {
                "type": "vacancies",
                "id": "v1",
                "relationships": {"locations": {"data": [ident("locations", "l1")]}},
            },
            "included": [{"type": "locations", "id": "l1", "attributes": {"city": "Utrecht"}}],
        }
    )
    (location,) = codec.decode_data(raw, Vacancy).locations or ()
    assert isinstance(location, Location)
    assert location.extra == {"city": "Utrecht"}


@both_paths
def test_included_resources_of_unmodelled_types_are_generic_resources(codec: Codec) -> None:
    raw = orjson.dumps(
        {
            "data": {"type": "candidates", "id": "c1"},
            "included": [{"type": "candidateNotes", "id": "n1", "attributes": {"text": "Hi"}}],
        }
    )
    (note,) = codec.decode_document(raw).included
    assert isinstance(note, GenericResource)
    assert note.attribute("text") == "Hi"


@both_paths
def test_a_to_one_sent_as_list_keeps_its_first_member_and_to_many_as_one_is_wrapped(
    codec: Codec,
) -> None:
    raw = orjson.dumps(
        {
            "data": {
                "type": "nodes",
                "id": "n1",
                "relationships": {
                    "flow": {"data": [ident("flows", "f1")]},
                    "nodeActions": {"data": ident("nodeActions", "a1")},
                },
            }
        }
    )
    node = codec.decode_data(raw, Node)
    assert node.flow == ResourceIdentifier(type="flows", id="f1")
    assert node.node_actions == (ResourceIdentifier(type="nodeActions", id="a1"),)


@both_paths
def test_relationship_names_are_not_taken_for_attributes(codec: Codec) -> None:
    raw = orjson.dumps({"data": {"type": "flows", "id": "f1", "attributes": {"nodes": 3}}})
    flow = codec.decode_data(raw, Flow)
    assert flow.nodes is None
    assert flow.extra == {"nodes": 3}
    assert codec.encode_resource(flow)["attributes"] == {"nodes": 3}


@both_paths
def test_webhook_subscriptions_keep_attributes_the_sdk_does_not_know(codec: Codec) -> None:
    from recrubo_async.models import Webhook, WebhookEvent

    raw = orjson.dumps(
        {
            "data": {
                "type": "webhooks",
                "id": "w1",
                "attributes": {"resourceType": "flows", "event": "archive", "retries": 3},
            }
        }
    )
    hook = codec.decode_data(raw, Webhook)
    assert hook.event == "archive" and isinstance(hook.event, WebhookEvent)
    assert not hook.event.is_known
    assert hook.extra == {"retries": 3}
    assert hook.attribute("retries") == 3


def test_organization_secrets_never_show_in_repr() -> None:
    from recrubo_async.models import EmbedToken, Organization

    org = Organization(id="o1", name="Acme", webhook_secret="whsec-1", token="tok-2")
    embed = EmbedToken(id="e1", token="tok-3")
    assert "whsec-1" not in repr(org) and "tok-2" not in repr(org)
    assert "tok-3" not in repr(embed)


@both_paths
def test_a_custom_model_with_a_wire_named_relationship_resolves(codec: Codec) -> None:
    import attrs

    from recrubo_async.models._base import REL, Resource, register, relationship_specs

    @register
    @attrs.frozen(kw_only=True)
    class Gadget(Resource):
        TYPE = "testGadgets"

        owner_node: Node | ResourceIdentifier | None = attrs.field(
            default=None, eq=False, repr=False, metadata={**REL, "relationship": "owner"}
        )

    spec = relationship_specs(Gadget)["owner"]
    assert (spec.name, spec.target, spec.many) == ("owner_node", Node, False)
    raw = orjson.dumps(
        {
            "data": {
                "type": "testGadgets",
                "id": "g1",
                "relationships": {"owner": {"data": ident("nodes", "n1")}},
            },
            "included": [{"type": "nodes", "id": "n1", "attributes": {"name": "Owner"}}],
        }
    )
    gadget = codec.decode_data(raw, Gadget)
    assert isinstance(gadget.owner_node, Node) and gadget.owner_node.name == "Owner"


def test_unresolved_relationship_annotations_are_a_clear_error() -> None:
    import attrs
    import pytest

    from recrubo_async.models._base import REL, Resource, relationship_specs

    @attrs.frozen(kw_only=True)
    class Loose(Resource):
        TYPE = "testLoose"
        other: Missing | None = attrs.field(  # type: ignore[name-defined]  # noqa: F821
            default=None, eq=False, repr=False, metadata=REL
        )

    with pytest.raises(TypeError, match=r"Loose\.other: cannot resolve the relationship's type"):
        relationship_specs(Loose)
