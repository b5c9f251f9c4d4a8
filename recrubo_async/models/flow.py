"""Flow: a sequence of Nodes a candidate goes through (e.g. a job application)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from ._base import REL, Resource, ResourceIdentifier, register

if TYPE_CHECKING:
    from .flow_generation import FlowGeneration
    from .flow_run import FlowRun
    from .node import Node
    from .vacancy import Vacancy


@register
@attrs.frozen(kw_only=True)
class Flow(Resource):
    """A chat flow. ``nodes`` holds its Nodes when the request included them."""

    TYPE = "flows"

    name: str | None = None
    #: Minutes without a reply before ``reminder_message`` is sent; 0 disables it.
    reminder_interval: int | None = None
    reminder_message: str | None = None
    #: Minutes without a reply before the FlowRun times out.
    session_timeout: int | None = None
    flow_generation_id: str | None = None
    published_at: datetime | None = None
    unpublished_changes: bool | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    nodes: tuple[Node | ResourceIdentifier, ...] | None = attrs.field(
        default=None, eq=False, repr=False, metadata=REL
    )
    flow_generation: FlowGeneration | ResourceIdentifier | None = attrs.field(
        default=None, eq=False, repr=False, metadata=REL
    )
    vacancy: Vacancy | ResourceIdentifier | None = attrs.field(
        default=None, eq=False, repr=False, metadata=REL
    )
    flow_runs: tuple[FlowRun | ResourceIdentifier, ...] | None = attrs.field(
        default=None, eq=False, repr=False, metadata=REL
    )
