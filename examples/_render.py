"""Printing a flow as a readable tree of questions and branches (shared by examples)."""

from __future__ import annotations

from recrubo_async.models import Flow, Node, NodeAction, NodeTransition


def print_flow(flow: Flow) -> None:
    """Each step, what it says or asks, and where it goes next.

    Needs the flow retrieved with ``include=["nodes.node_actions",
    "nodes.node_transitions.exit_node"]``; steps that were not included are skipped.
    """
    print(f"Flow {flow.name!r} ({flow.id})")
    for node in flow.nodes or ():
        if not isinstance(node, Node):  # not included: only a reference
            continue
        if node.is_start_flow:
            kind = "start"
        elif node.end_flow_type:
            kind = f"end: {node.end_flow_type}"
        else:
            kind = "step"
        print(f"  [{kind}] {node.name}")
        for action in node.node_actions or ():
            if isinstance(action, NodeAction):
                text = (action.value or {}).get("text", "")
                saved = f"  -> session.{action.variable_name}" if action.variable_name else ""
                print(f"      {action.action_type}: {text}{saved}")
        for transition in node.node_transitions or ():
            if isinstance(transition, NodeTransition):
                target = transition.exit_node
                name = target.name if isinstance(target, Node) else "?"
                condition = f"  (if {transition.condition})" if transition.condition else ""
                print(f"      => {name}{condition}")


FLOW_TREE = ["nodes.node_actions", "nodes.node_transitions.exit_node"]
