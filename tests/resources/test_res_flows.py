"""Flows, nodes, node actions and node transitions: every verb against the emulator."""

from __future__ import annotations

import pytest

from recrubo_async import Client, NotFoundError, ValidationError
from recrubo_async.models import (
    ActionSubType,
    ActionType,
    EndFlowType,
    Flow,
    Node,
    NodeAction,
    ResourceIdentifier,
)


async def make_flow(api: Client, name: str = "Application") -> Flow:
    return await api.flows.create(
        name=name, reminder_interval=15, reminder_message="Still there?", session_timeout=60
    )


async def test_flows_create_retrieve_list_update_delete(api: Client) -> None:
    flow = await make_flow(api)
    assert (flow.name, flow.reminder_interval, flow.session_timeout) == ("Application", 15, 60)
    assert flow.created_at is not None and flow.created_at.tzinfo is not None
    assert await api.flows.retrieve(flow.id) == flow
    await make_flow(api, "Other")
    page = await api.flows.list(sort="name")
    assert [f.name for f in page] == ["Application", "Other"]
    updated = await api.flows.update(flow, name="Renamed", reminder_interval=0)
    assert (updated.name, updated.reminder_interval, updated.session_timeout) == ("Renamed", 0, 60)
    await api.flows.delete(flow.id)
    with pytest.raises(NotFoundError):
        await api.flows.retrieve(flow.id)


async def test_flow_without_required_fields_is_a_422_pointing_at_the_field(api: Client) -> None:
    with pytest.raises(ValidationError) as info:
        await api.flows.create(
            name="", reminder_interval=-1, reminder_message="x", session_timeout=1
        )
    assert info.value.status == 422
    assert info.value.errors


async def test_nodes_every_verb_and_filter_by_flow(api: Client) -> None:
    flow = await make_flow(api)
    start = await api.nodes.create(flow=flow, name="Start", index=0, is_start_flow=True)
    end = await api.nodes.create(
        flow=flow.id, name="No", index=1, is_end_flow=True, end_flow_type="declined"
    )
    assert start.flow_id == flow.id
    assert end.end_flow_type is EndFlowType.DECLINED
    assert await api.nodes.retrieve(start.id) == start
    declined = await api.nodes.list(filter={"flow_id": flow.id, "end_flow_type": "declined"})
    assert [n.id for n in declined] == [end.id]
    renamed = await api.nodes.update(start, name="Begin", index=None)
    assert (renamed.name, renamed.index, renamed.is_start_flow) == ("Begin", None, True)
    await api.nodes.delete(end)
    assert [n.id async for n in api.nodes.list(filter={"flow_id": flow.id})] == [start.id]


async def test_an_end_node_without_end_flow_type_is_refused_locally(api: Client) -> None:
    with pytest.raises(ValueError, match="end_flow_type"):
        await api.nodes.create(flow="f", is_end_flow=True)


async def test_node_actions_every_verb(api: Client) -> None:
    flow = await make_flow(api)
    node = await api.nodes.create(flow=flow, name="Ask")
    action = await api.node_actions.create(
        node=node,
        action_type="ask",
        sub_type=ActionSubType.TEXT,
        value={"text": "What is your name?"},
        variable_name="name",
        index=0,
    )
    assert action.action_type is ActionType.ASK
    assert action.variable_name == "name"
    assert await api.node_actions.retrieve(action.id) == action
    changed = await api.node_actions.update(action, value={"text": "Your name?"})
    assert changed.value == {"text": "Your name?"}
    assert changed.variable_name == "name"
    listed = await api.node_actions.list(filter={"node_id": node.id})
    assert [a.id for a in listed] == [action.id]
    await api.node_actions.delete(action.id)
    with pytest.raises(NotFoundError):
        await api.node_actions.retrieve(action.id)


async def test_an_ask_action_without_variable_name_is_refused_locally(api: Client) -> None:
    with pytest.raises(ValueError, match="variable_name"):
        await api.node_actions.create(node="n", action_type="ask", sub_type="text", value={})


async def test_node_transitions_every_verb_and_rerouting(api: Client) -> None:
    flow = await make_flow(api)
    a, b, c = [await api.nodes.create(flow=flow, name=n, index=i) for i, n in enumerate("abc")]
    transition = await api.node_transitions.create(node=a, exit_node=b, index=0)
    assert transition.condition is None
    assert transition.node == ResourceIdentifier(type="nodes", id=a.id) or transition.node is None
    got = await api.node_transitions.retrieve(transition.id, include=["node", "exit_node"])
    assert isinstance(got.exit_node, Node) and got.exit_node.id == b.id
    rerouted = await api.node_transitions.update(
        transition, exit_node=c, condition="session.ok === true"
    )
    assert rerouted.condition == "session.ok === true"
    again = await api.node_transitions.retrieve(transition.id, include="exit_node")
    assert isinstance(again.exit_node, Node) and again.exit_node.id == c.id
    assert len(await api.node_transitions.list(filter={"node_id": a.id})) == 1
    await api.node_transitions.delete(transition)
    with pytest.raises(NotFoundError):
        await api.node_transitions.retrieve(transition.id)


async def test_retrieve_with_include_resolves_the_whole_flow(api: Client) -> None:
    flow = await make_flow(api)
    node = await api.nodes.create(flow=flow, name="Start", is_start_flow=True)
    await api.node_actions.create(
        node=node, action_type="say", sub_type="text", value={"text": "Hello"}
    )
    got = await api.flows.retrieve(flow.id, include="nodes.node_actions")
    assert got.nodes is not None
    (start,) = got.nodes
    assert isinstance(start, Node)
    assert start.node_actions is not None
    (action,) = start.node_actions
    assert isinstance(action, NodeAction)
    assert action.value == {"text": "Hello"}


async def test_sparse_fieldsets_leave_other_attributes_none(api: Client) -> None:
    await make_flow(api)
    (flow,) = (await api.flows.list(fields={"flows": ["name"]})).items
    assert flow.name == "Application"
    assert flow.reminder_interval is None and flow.created_at is None


async def test_update_with_nothing_to_change_is_refused(api: Client) -> None:
    with pytest.raises(ValueError, match="nothing to change"):
        await api.flows.update("f1")
