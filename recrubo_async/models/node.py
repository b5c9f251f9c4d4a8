"""Node: a step of a Flow, holding NodeActions and NodeTransitions."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from ._base import REL, OpenEnum, Resource, ResourceIdentifier, register

if TYPE_CHECKING:
    from .flow import Flow
    from .node_action import NodeAction
    from .node_transition import NodeTransition


class EndFlowType(OpenEnum):
    """How an end node ends the flow; unknown values are kept."""

    ACCEPTED = "accepted"
    DECLINED = "declined"
    UPDATE = "update"
    RESET = "reset"


@register
@attrs.frozen(kw_only=True)
class Node(Resource):
    """A step of a flow (``is_start_flow`` marks the first one, ``is_end_flow`` the ends).

    A node holds no text of its own: what it says or asks is in its ``node_actions``, each
    ``NodeAction.value`` (e.g. ``{"text": "What is your name?"}``), run in ``index``
    order. Fetch them with ``include="node_actions"`` (or ``include="nodes.node_actions"``
    on a flow); ``node_transitions`` say where the candidate goes next.
    """

    TYPE = "nodes"

    name: str | None = None
    index: int | None = None
    flow_id: str | None = None
    is_start_flow: bool | None = None
    is_end_flow: bool | None = None
    end_flow_type: EndFlowType | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    flow: Flow | ResourceIdentifier | None = attrs.field(
        default=None, eq=False, repr=False, metadata=REL
    )
    node_actions: tuple[NodeAction | ResourceIdentifier, ...] | None = attrs.field(
        default=None, eq=False, repr=False, metadata=REL
    )
    node_transitions: tuple[NodeTransition | ResourceIdentifier, ...] | None = attrs.field(
        default=None, eq=False, repr=False, metadata=REL
    )
