"""FlowRun: a Flow running on a MessageThread (a job: queued -> running -> terminal)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from ._base import REL, OpenEnum, Resource, ResourceIdentifier, register

if TYPE_CHECKING:
    from .flow import Flow
    from .message_thread import MessageThread


class FlowRunStatus(OpenEnum):
    """``queued`` (the docs also say ``created``) -> ``running`` -> a terminal status."""

    CREATED = "created"
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    TIMEOUT = "timeout"
    EXCEPTION = "exception"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL

    @property
    def is_started(self) -> bool:
        """Running, or already over."""
        return self is FlowRunStatus.RUNNING or self in _TERMINAL

    @property
    def is_failure(self) -> bool:
        return self in _FAILURE


_TERMINAL = frozenset(
    {
        FlowRunStatus.FINISHED,
        FlowRunStatus.TIMEOUT,
        FlowRunStatus.EXCEPTION,
        FlowRunStatus.CANCELLED,
    }
)
_FAILURE = frozenset({FlowRunStatus.TIMEOUT, FlowRunStatus.EXCEPTION})


@register
@attrs.frozen(kw_only=True)
class FlowRun(Resource):
    """A flow triggered on a message thread; ``state`` holds the session variables."""

    TYPE = "flowRuns"

    flow_id: str | None = None
    message_thread_id: str | None = None
    state: Mapping[str, Any] | None = None
    initial_message: Mapping[str, Any] | None = None
    status: FlowRunStatus | None = None
    #: Credits used so far.
    cost: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    flow: Flow | ResourceIdentifier | None = attrs.field(
        default=None, eq=False, repr=False, metadata=REL
    )
    message_thread: MessageThread | ResourceIdentifier | None = attrs.field(
        default=None, eq=False, repr=False, metadata=REL
    )

    @property
    def is_terminal(self) -> bool:
        """Finished, timed out, failed or cancelled."""
        return self.status is not None and self.status.is_terminal
