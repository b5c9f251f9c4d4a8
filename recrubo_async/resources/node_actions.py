"""``client.node_actions``: /node-actions (GET list/one, POST, PATCH, DELETE)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._ids import ref
from .._resource import Deletable, Listable, Retrievable
from .._types import NOT_GIVEN, NotGiven, TimeoutLike
from ..models.node import Node
from ..models.node_action import ActionSubType, ActionType, NodeAction


class NodeActions(Listable[NodeAction], Retrievable[NodeAction], Deletable[NodeAction]):
    """What a node says or asks."""

    _path = "/node-actions"
    _model = NodeAction

    async def create(
        self,
        *,
        node: str | Node,
        action_type: ActionType | str,
        sub_type: ActionSubType | str,
        value: Mapping[str, Any],
        variable_name: str | None = None,
        index: int | None = None,
        attachment_data: Mapping[str, Any] | None = None,
        timeout: TimeoutLike | NotGiven = NOT_GIVEN,
    ) -> NodeAction:
        """Add an action to ``node``, e.g. ask ``{"text": "What is your name?"}``.

        Raises:
            ValueError: an ``ask`` action without ``variable_name``.
        """
        if action_type == ActionType.ASK and not variable_name:
            raise ValueError("an 'ask' action needs variable_name (where the answer is stored)")
        return await self._create(
            {
                "action_type": action_type,
                "sub_type": sub_type,
                "value": value,
                "variable_name": variable_name,
                "index": index,
                "attachment_data": attachment_data,
            },
            relationships={"node": ref(node, "nodes", "node")},
            timeout=timeout,
        )

    async def update(
        self,
        id: str | NodeAction,
        *,
        action_type: ActionType | str | NotGiven = NOT_GIVEN,
        sub_type: ActionSubType | str | NotGiven = NOT_GIVEN,
        value: Mapping[str, Any] | NotGiven = NOT_GIVEN,
        variable_name: str | NotGiven | None = NOT_GIVEN,
        index: int | NotGiven = NOT_GIVEN,
        attachment_data: Mapping[str, Any] | NotGiven | None = NOT_GIVEN,
        timeout: TimeoutLike | NotGiven = NOT_GIVEN,
    ) -> NodeAction:
        """Change the given fields only."""
        return await self._update(
            id,
            {
                "action_type": action_type,
                "sub_type": sub_type,
                "value": value,
                "variable_name": variable_name,
                "index": index,
                "attachment_data": attachment_data,
            },
            timeout=timeout,
        )
