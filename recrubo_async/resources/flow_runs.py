"""``client.flow_runs``: /flow-runs (GET list/one, POST, PATCH, DELETE)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from .._ids import id_of
from .._resource import Deletable, Listable
from .._types import NOT_GIVEN, NotGiven, TimeoutLike
from ..idempotency._protocol import JobLedger
from ..models.flow import Flow
from ..models.flow_run import FlowRun, FlowRunStatus
from ..models.message_payloads import MessagePayload
from ..models.message_thread import MessageThread
from ..waiters._conditions import JobSpec, status_in
from ..waiters._loop import OnStatus
from ..waiters._protocol import CompletionWaiter
from ..waiters._waitable import DEFAULT_WAIT_TIMEOUT, Waitable

_TERMINAL = ("finished", "timeout", "exception", "cancelled")

#: A run has started once running or ended; it ends in one of ``_TERMINAL``, and
#: ``timeout`` or ``exception`` is a failure (``JobFailedError``).
FLOW_RUN = JobSpec(
    type=FlowRun.TYPE,
    untils={
        "started": status_in("running", *_TERMINAL),
        "terminal": status_in(*_TERMINAL),
    },
    default_until="terminal",
    failed=status_in("timeout", "exception"),
    terminal=status_in(*_TERMINAL),
)


class FlowRuns(Listable[FlowRun], Waitable[FlowRun], Deletable[FlowRun]):
    """Trigger flows on message threads and follow or stop them."""

    _path = "/flow-runs"
    _model = FlowRun
    _job = FLOW_RUN

    @staticmethod
    def _attributes(
        flow_id: str | Flow,
        message_thread_id: str | MessageThread,
        state: Mapping[str, Any] | None,
        initial_message: MessagePayload | None,
    ) -> dict[str, Any]:
        return {
            "flow_id": id_of(flow_id, "flow_id", Flow.TYPE),
            "message_thread_id": id_of(message_thread_id, "message_thread_id", MessageThread.TYPE),
            "state": state,
            "initial_message": initial_message,
        }

    async def create(
        self,
        *,
        flow_id: str | Flow,
        message_thread_id: str | MessageThread,
        state: Mapping[str, Any] | None = None,
        initial_message: MessagePayload | None = None,
        timeout: TimeoutLike | NotGiven = NOT_GIVEN,
        idempotency_key: str | None = None,
        ledger: JobLedger | None = None,
    ) -> FlowRun:
        """Start ``flow_id`` on a thread; the answer is normally ``queued``.

        Args:
            flow_id: the flow to run, as an id or a ``Flow``.
            message_thread_id: the thread (so the candidate and channel) to run it on, as
                an id or a ``MessageThread``.
            state: initial session variables, e.g. ``{"name": "Ada"}``; the flow's ``ask``
                actions store answers here too (read them on ``FlowRun.state``).
            initial_message: sent before the flow starts; on WhatsApp outside the 24-hour
                window a template, e.g. ``TemplateMessage.of(tpl, body=[...])``; ``{}``
                sends none.
            timeout: for this HTTP call (default: the client's). To wait for the run to
                end, use ``create_and_wait`` or ``wait``.
            idempotency_key: at most one POST per key, across retries, processes and
                crashes: a later call with the key returns the recorded job (or resumes
                its wait); see docs/idempotency.md. Needs a ledger.
            ledger: where the key is recorded (default: the client's ``ledger=``).

        Raises:
            IdempotencyKeyReusedError: the key was used before with another request.
            IdempotencyConflictError: another live caller holds the key, or several jobs
                match a dead caller's request; nothing was sent.
            JobMayExistError: the POST failed in a way that may have created it anyway (a
                timeout, a lost connection, a 5xx other than 503, an unreadable answer); it
                was not resent: look for it with ``list(filter={"created_at": {"gte":
                err.created_after}})``.
        """
        return await self._create_job(
            self._attributes(flow_id, message_thread_id, state, initial_message),
            timeout=timeout,
            idempotency_key=idempotency_key,
            ledger=ledger,
        )

    async def create_and_wait(
        self,
        *,
        flow_id: str | Flow,
        message_thread_id: str | MessageThread,
        state: Mapping[str, Any] | None = None,
        initial_message: MessagePayload | None = None,
        until: Literal["started", "terminal"] = "terminal",
        timeout: float | None = DEFAULT_WAIT_TIMEOUT,
        waiter: CompletionWaiter | None = None,
        on_status: OnStatus | None = None,
        request_timeout: TimeoutLike | NotGiven = NOT_GIVEN,
        idempotency_key: str | None = None,
        ledger: JobLedger | None = None,
    ) -> FlowRun:
        """Trigger a flow and wait until the run has ``started`` or ended (``terminal``).

        A run that ends in ``timeout`` or ``exception`` raises ``JobFailedError`` (its final
        state on ``.resource``); ``cancelled`` and ``finished`` are returned.

        Args:
            flow_id, message_thread_id, state, initial_message: as for ``create``.
            until: ``"started"`` (running or already ended) or ``"terminal"``.
            timeout: overall seconds to wait (None: no limit).
            waiter: how to observe the run (default: the client's waiter).
            on_status: called with each new status, for progress display.
            request_timeout: per HTTP call (default: the client's).
            idempotency_key: at most one POST per key, across retries, processes and
                crashes: a later call with the key returns the recorded job (or resumes
                its wait); see docs/idempotency.md. Needs a ledger.
            ledger: where the key is recorded (default: the client's ``ledger=``).

        Raises:
            IdempotencyKeyReusedError: the key was used before with another request.
            IdempotencyConflictError: another live caller holds the key, or several jobs
                match a dead caller's request; nothing was sent.
            JobMayExistError: the POST failed ambiguously; it was not resent.
        """
        return await self._create_and_wait(
            self._attributes(flow_id, message_thread_id, state, initial_message),
            until=until,
            timeout=timeout,
            waiter=waiter,
            on_status=on_status,
            request_timeout=request_timeout,
            idempotency_key=idempotency_key,
            ledger=ledger,
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
