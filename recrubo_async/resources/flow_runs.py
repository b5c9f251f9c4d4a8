"""``client.flow_runs``: /flow-runs (GET list/one, POST, PATCH, DELETE)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._resource import Deletable, Listable, Retrievable, id_of
from .._types import NOT_GIVEN, NotGiven, TimeoutLike
from ..models.flow import Flow
from ..models.flow_run import FlowRun, FlowRunStatus
from ..models.message_payloads import MessagePayload
from ..models.message_thread import MessageThread


class FlowRuns(Listable[FlowRun], Retrievable[FlowRun], Deletable[FlowRun]):
    """Trigger flows on message threads and follow or stop them."""

    _path = "/flow-runs"
    _model = FlowRun

    async def create(
        self,
        *,
        flow_id: str | Flow,
        message_thread_id: str | MessageThread,
        state: Mapping[str, Any] | None = None,
        initial_message: MessagePayload | None = None,
        timeout: TimeoutLike | NotGiven = NOT_GIVEN,
    ) -> FlowRun:
        """Start ``flow_id`` on a thread; the answer is normally ``queued``.

        Args:
            state: initial session variables.
            initial_message: on WhatsApp a template, e.g. ``TemplateMessage.of(tpl, body=[...])``;
                ``{}`` sends none.
        """
        return await self._create(
            {
                "flow_id": id_of(flow_id, "flow_id"),
                "message_thread_id": id_of(message_thread_id, "message_thread_id"),
                "state": state,
                "initial_message": initial_message,
            },
            timeout=timeout,
        )

    async def update(
        self,
        id: str | FlowRun,
        *,
        state: Mapping[str, Any] | NotGiven | None = NOT_GIVEN,
        status: FlowRunStatus | str | NotGiven = NOT_GIVEN,
        timeout: TimeoutLike | NotGiven = NOT_GIVEN,
    ) -> FlowRun:
        """Stop a run (``status="cancelled"``, ...) or scrub its ``state`` once not running."""
        return await self._update(id, {"state": state, "status": status}, timeout=timeout)
