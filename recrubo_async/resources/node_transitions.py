"""``client.node_transitions``: /node-transitions (GET list/one, POST, PATCH, DELETE)."""

from __future__ import annotations

from .._ids import ref
from .._resource import Deletable, Listable, Retrievable
from .._types import NOT_GIVEN, NotGiven, TimeoutLike
from ..models.node import Node
from ..models.node_transition import NodeTransition


class NodeTransitions(
    Listable[NodeTransition], Retrievable[NodeTransition], Deletable[NodeTransition]
):
    """Edges between nodes: from ``node`` to ``exit_node`` when ``condition`` holds."""

    _path = "/node-transitions"
    _model = NodeTransition

    async def create(
        self,
        *,
        node: str | Node,
        exit_node: str | Node | None = None,
        condition: str | None = None,
        index: int | None = None,
        timeout: TimeoutLike | NotGiven = NOT_GIVEN,
    ) -> NodeTransition:
        """Connect ``node`` to ``exit_node``; ``condition=None`` always applies."""
        return await self._create(
            {"condition": condition, "index": index},
            relationships={
                "node": ref(node, "nodes", "node"),
                "exit_node": None if exit_node is None else ref(exit_node, "nodes", "exit_node"),
            },
            timeout=timeout,
        )

    async def update(
        self,
        id: str | NodeTransition,
        *,
        exit_node: str | Node | NotGiven = NOT_GIVEN,
        condition: str | NotGiven | None = NOT_GIVEN,
        index: int | NotGiven = NOT_GIVEN,
        timeout: TimeoutLike | NotGiven = NOT_GIVEN,
    ) -> NodeTransition:
        """Change the given fields only; a new ``exit_node`` reroutes the transition."""
        return await self._update(
            id,
            {"condition": condition, "index": index},
            relationships={
                "exit_node": exit_node
                if exit_node is NOT_GIVEN
                else ref(exit_node, "nodes", "exit_node")
            },
            timeout=timeout,
        )
