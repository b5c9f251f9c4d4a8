"""Per-type write rules beyond the schema: cross-field validation, server defaults, side effects.

One module a concern: ``jobs`` (flow generations, flow runs, vacancy analyses), ``messaging``
(messages, templates, threads), ``flows`` (flows and their graph), ``organization`` (the
organization, users, webhook subscriptions). The hooks and the write they see are in
``_writes``.
"""

from __future__ import annotations

from collections.abc import Mapping

from .._writes import Behaviour, Started
from .flows import Flows, NodeActions, Nodes, NodeTransitions
from .jobs import FlowGenerations, FlowRuns
from .messaging import Messages, MessageTemplates, MessageThreads
from .organization import Organizations, Users, Webhooks

_PLAIN = Behaviour()
BEHAVIOURS: Mapping[str, Behaviour] = {
    "flowGenerations": FlowGenerations(),
    "vacancyAnalyses": Started(),
    "flowRuns": FlowRuns(),
    "messages": Messages(),
    "messageTemplates": MessageTemplates(),
    "messageThreads": MessageThreads(),
    "nodes": Nodes(),
    "nodeActions": NodeActions(),
    "nodeTransitions": NodeTransitions(),
    "webhooks": Webhooks(),
    "users": Users(),
    "flows": Flows(),
    "organizations": Organizations(),
}


def behaviour(type_: str) -> Behaviour:
    """The rules of a type."""
    return BEHAVIOURS.get(type_, _PLAIN)
