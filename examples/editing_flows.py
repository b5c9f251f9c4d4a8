"""Editing a generated flow: the "Editing flows" guide, and a few edits beyond it.

A flow is a graph: a Flow has Nodes, a Node has NodeActions (what it says or asks) and
NodeTransitions (where it goes next, under a condition). An AI-generated flow has one
start node, one "accepted" and one "declined" end node, and one action per node.

This script generates a flow, prints it, then:

1. changes the decline message, as the guide does: find the flow's node with
   ``endFlowType = declined``, include its actions, update the say action;
2. adds a question before the "accepted" end: a new node with an ask action, the
   transitions into "accepted" rerouted to it, and a transition from it to "accepted";
3. renames the start node;
4. removes a question: reroutes the transitions into it past it, then deletes the node
   (its own actions and transitions go with it);

and prints the flow again::

    python examples/editing_flows.py

Runs against the embedded emulator in sandbox mode (``?sync=true``), or a real API when
``RECRUBO_API_KEY`` and ``RECRUBO_BASE_URL`` are set.
"""

from __future__ import annotations

import asyncio

from _render import FLOW_TREE, print_flow
from _target import api_target

from recrubo_async import Client
from recrubo_async.models import (
    CandidateField,
    Flow,
    Node,
    NodeAction,
    NodeTransition,
    Requirement,
    TextContext,
    VacancyApplicationParameters,
)
from recrubo_async.waiters import SyncWaiter


def nodes_of(flow: Flow) -> list[Node]:
    """The flow's nodes (retrieved with ``include=FLOW_TREE``, so they are full models)."""
    return [n for n in flow.nodes or () if isinstance(n, Node)]


def transitions_into(flow: Flow, target: Node) -> list[NodeTransition]:
    """Every transition, on any node of the flow, that leads to ``target``."""
    return [
        t
        for node in nodes_of(flow)
        for t in node.node_transitions or ()
        if isinstance(t, NodeTransition) and t.exit_node is not None and t.exit_node.id == target.id
    ]


def asks(node: Node, variable: str) -> bool:
    """Whether the node asks a question whose answer goes into ``session.<variable>``."""
    return any(
        isinstance(a, NodeAction) and a.variable_name == variable for a in node.node_actions or ()
    )


async def main() -> None:
    async with (
        api_target(mode="sandbox") as target,
        Client(
            target.api_key, base_url=target.base_url, environment="sandbox", waiter=SyncWaiter()
        ) as client,
    ):
        generation = await client.flow_generations.create_and_wait(
            flow_type="vacancy_application_flow",
            parameters=VacancyApplicationParameters(
                flow_name="Cook",
                language="en",
                knockout_requirements=[Requirement("Has a food hygiene certificate", "hygiene")],
                preferred_requirements=[Requirement("Has worked in a restaurant", "restaurant")],
                required_fields=[CandidateField("email", "email")],
            ),
            context=TextContext(value="Cook in Haarlem, evenings and weekends."),
            timeout=120,
        )
        assert generation.flow_id is not None
        flow_id = generation.flow_id
        flow = await client.flows.retrieve(flow_id, include=FLOW_TREE)
        print("Before:")
        print_flow(flow)
        nodes = nodes_of(flow)

        print("\n1. The decline message (the guide's example)")
        declined = await client.nodes.list(
            filter={"flow_id": flow_id, "end_flow_type": "declined"}, include="node_actions"
        )
        decline_node = declined.items[0]
        say = next(a for a in decline_node.node_actions or () if isinstance(a, NodeAction))
        # The value is replaced as a whole: send every key the action needs.
        updated = await client.node_actions.update(
            say, value={"text": "Thank you! This role is not a match, but we keep your details."}
        )
        print(f"   {decline_node.name!r} now says: {(updated.value or {}).get('text')}")

        print("\n2. A new question before the 'accepted' end")
        accepted = next(n for n in nodes if n.end_flow_type == "accepted")
        new_node = await client.nodes.create(flow=flow_id, name="Start date")
        await client.node_actions.create(
            node=new_node,
            action_type="ask",
            sub_type="text",
            value={"text": "When could you start?"},
            variable_name="start_date",  # the answer lands in session.start_date
        )
        # Reroute first, then connect onward: the new node is never a dead end.
        for transition in transitions_into(flow, accepted):
            await client.node_transitions.update(transition, exit_node=new_node)
        await client.node_transitions.create(node=new_node, exit_node=accepted)
        print(f"   added {new_node.name!r}, between its predecessors and {accepted.name!r}")

        print("\n3. Renaming the start node")
        start = next(n for n in nodes if n.is_start_flow)
        renamed = await client.nodes.update(start, name="Welcome")
        print(f"   {start.name!r} -> {renamed.name!r}")

        print("\n4. Removing the 'restaurant' question")
        doomed = next(n for n in nodes if asks(n, "restaurant"))
        onward = next(t for t in doomed.node_transitions or () if isinstance(t, NodeTransition))
        assert onward.exit_node is not None
        for transition in transitions_into(flow, doomed):
            await client.node_transitions.update(transition, exit_node=onward.exit_node.id)
        await client.nodes.delete(doomed)
        print(f"   deleted {doomed.name!r}; its predecessors now lead on directly")

        print("\nAfter:")
        print_flow(await client.flows.retrieve(flow_id, include=FLOW_TREE))


if __name__ == "__main__":
    asyncio.run(main())
