"""``client.nodes``: /nodes (GET list/one, POST, PATCH, DELETE)."""

from __future__ import annotations

from .._ids import ref
from .._resource import Deletable, Listable, Retrievable
from .._types import NOT_GIVEN, NotGiven, TimeoutLike
from ..models.flow import Flow
from ..models.node import EndFlowType, Node


class Nodes(Listable[Node], Retrievable[Node], Deletable[Node]):
    """Steps of flows; filter by ``flow_id``, include ``node_actions``/``node_transitions``."""

    _path = "/nodes"
    _model = Node

    async def create(
        self,
        *,
        flow: str | Flow,
        name: str | None = None,
        index: int | None = None,
        is_start_flow: bool | None = None,
        is_end_flow: bool | None = None,
        end_flow_type: EndFlowType | str | None = None,
        timeout: TimeoutLike | NotGiven = NOT_GIVEN,
    ) -> Node:
        """Add a node to ``flow``.

        Raises:
            ValueError: ``is_end_flow=True`` without an ``end_flow_type``.
        """
        if is_end_flow and end_flow_type is None:
            raise ValueError(
                "is_end_flow=True needs end_flow_type: accepted, declined, update or reset"
            )
        return await self._create(
            {
                "name": name,
                "index": index,
                "is_start_flow": is_start_flow,
                "is_end_flow": is_end_flow,
                "end_flow_type": end_flow_type,
            },
            relationships={"flow": ref(flow, "flows", "flow")},
            timeout=timeout,
        )

    async def update(
        self,
        id: str | Node,
        *,
        name: str | NotGiven | None = NOT_GIVEN,
        index: int | NotGiven | None = NOT_GIVEN,
        is_start_flow: bool | NotGiven = NOT_GIVEN,
        is_end_flow: bool | NotGiven = NOT_GIVEN,
        end_flow_type: EndFlowType | str | NotGiven | None = NOT_GIVEN,
        timeout: TimeoutLike | NotGiven = NOT_GIVEN,
    ) -> Node:
        """Change the given fields only."""
        return await self._update(
            id,
            {
                "name": name,
                "index": index,
                "is_start_flow": is_start_flow,
                "is_end_flow": is_end_flow,
                "end_flow_type": end_flow_type,
            },
            timeout=timeout,
        )
