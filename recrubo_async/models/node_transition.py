"""NodeTransition: a conditional edge from a Node to its exit Node."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from ._base import REL, Resource, ResourceIdentifier, register

if TYPE_CHECKING:
    from .node import Node


@register
@attrs.frozen(kw_only=True)
class NodeTransition(Resource):
    """Leads from ``node`` to ``exit_node`` when ``condition`` holds (tried by ``index``)."""

    TYPE = "nodeTransitions"

    condition: str | None = None
    index: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    node: Node | ResourceIdentifier | None = attrs.field(
        default=None, eq=False, repr=False, metadata=REL
    )
    exit_node: Node | ResourceIdentifier | None = attrs.field(
        default=None, eq=False, repr=False, metadata=REL
    )
