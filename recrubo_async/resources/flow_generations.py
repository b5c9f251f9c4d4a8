"""``client.flow_generations``: /flow-generations (GET list/one, POST, DELETE)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from .._naming import to_camel
from .._resource import Deletable, Listable
from .._types import NOT_GIVEN, NotGiven, TimeoutLike
from ..idempotency._protocol import JobLedger
from ..models.flow_generation import (
    FlowGeneration,
    FlowType,
    TextContext,
    VacancyApplicationParameters,
)
from ..waiters._conditions import JobSpec, status_in
from ..waiters._loop import OnStatus
from ..waiters._protocol import CompletionWaiter
from ..waiters._waitable import DEFAULT_WAIT_TIMEOUT, Waitable

#: A generation is done once ``finished``; the sandbox can answer its POST finished.
FLOW_GENERATION = JobSpec(
    type=FlowGeneration.TYPE,
    untils={"finished": status_in("finished")},
    default_until="finished",
    terminal=status_in("finished"),
    supports_sync=True,
)


#: The parameter keys, camelCase as the API reads them (a dict is sent as given).
_PARAMETER_KEYS = frozenset(to_camel(f.name) for f in attrs.fields(VacancyApplicationParameters))
_LIST_KEYS = ("knockoutRequirements", "preferredRequirements", "requiredFields", "optionalFields")


def _check_wire_keys(parameters: Mapping[str, Any]) -> None:
    """Refuse a parameters dict written with snake_case keys before it is sent.

    The API ignores keys it does not know, so ``knockout_requirements`` would be answered
    with "knockoutRequirements can't be blank", which points the wrong way.

    Raises:
        ValueError: a key (or an item's key) is the snake_case form of a parameter's name.
    """
    snake = [
        key
        for key in parameters
        if isinstance(key, str) and "_" in key and to_camel(key) in _PARAMETER_KEYS
    ]
    for name in _LIST_KEYS:
        items = parameters.get(name)
        if isinstance(items, (list, tuple)) and any(
            isinstance(item, Mapping) and "session_field" in item for item in items
        ):
            snake.append(f"{name}[].session_field")
    if snake:
        raise ValueError(
            f"parameters has snake_case keys ({', '.join(snake)}); a dict is sent as given, "
            "so use the API's camelCase keys (knockoutRequirements, sessionField, ...) or "
            "the typed builder, VacancyApplicationParameters(knockout_requirements=...)"
        )


class FlowGenerations(
    Listable[FlowGeneration], Waitable[FlowGeneration], Deletable[FlowGeneration]
):
    """Generate flows with the AI engine; ``create_and_wait`` returns the finished one."""

    _path = "/flow-generations"
    _model = FlowGeneration
    _job = FLOW_GENERATION

    @staticmethod
    def _attributes(
        flow_type: FlowType | str,
        parameters: VacancyApplicationParameters | Mapping[str, Any],
        context: TextContext | Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        if not flow_type:
            raise ValueError("flow_type is required, e.g. 'vacancy_application_flow'")
        if isinstance(parameters, Mapping):
            _check_wire_keys(parameters)
        attributes: dict[str, Any] = {"flow_type": flow_type, "parameters": parameters}
        if context is not None:
            attributes["context"] = context
        return attributes

    async def create(
        self,
        *,
        flow_type: FlowType | str,
        parameters: VacancyApplicationParameters | Mapping[str, Any],
        context: TextContext | Mapping[str, Any] | None = None,
        sync: bool = False,
        timeout: TimeoutLike | NotGiven = NOT_GIVEN,
        idempotency_key: str | None = None,
        ledger: JobLedger | None = None,
    ) -> FlowGeneration:
        """Start generating a flow; the answer is normally ``queued``.

        Args:
            flow_type: e.g. ``"vacancy_application_flow"``.
            parameters: typed parameters, or the wire JSON as a dict (sent as given).
            context: the vacancy text, as ``TextContext(value=...)`` or wire JSON.
            sync: ask for ``?sync=true``: the sandbox answers with the finished generation;
                production ignores it.
            idempotency_key: at most one POST per key, across retries, processes and
                crashes: a later call with the key returns the recorded job (or resumes
                its wait); see docs/idempotency.md. Needs a ledger.
            ledger: where the key is recorded (default: the client's ``ledger=``).

        Raises:
            IdempotencyKeyReusedError: the key was used before with another request.
            IdempotencyConflictError: another live caller holds the key, or several jobs
                match a dead caller's request; nothing was sent.
            ValueError: ``parameters`` is a dict with snake_case keys (checked before sending).
            ValidationError: the API rejected the parameters (``errors`` say which).
            JobMayExistError: the POST failed in a way that may have created it anyway (a
                timeout, a lost connection, a 5xx other than 503, an unreadable answer); it
                was not resent: look for it with ``list(filter={"created_at": {"gte":
                err.created_after}})``.
        """
        return await self._create_job(
            self._attributes(flow_type, parameters, context),
            params=[("sync", "true")] if sync else None,
            timeout=timeout,
            idempotency_key=idempotency_key,
            ledger=ledger,
        )

    async def create_and_wait(
        self,
        *,
        flow_type: FlowType | str,
        parameters: VacancyApplicationParameters | Mapping[str, Any],
        context: TextContext | Mapping[str, Any] | None = None,
        timeout: float | None = DEFAULT_WAIT_TIMEOUT,
        waiter: CompletionWaiter | None = None,
        on_status: OnStatus | None = None,
        request_timeout: TimeoutLike | NotGiven = NOT_GIVEN,
        idempotency_key: str | None = None,
        ledger: JobLedger | None = None,
    ) -> FlowGeneration:
        """Generate a flow and return the generation once ``finished`` (``flow_id`` set).

        Args:
            flow_type, parameters, context: as for ``create``.
            timeout: overall seconds to wait (None: no limit).
            waiter: how to observe the job (default: the client's waiter).
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
            ValueError: ``parameters`` is a dict with snake_case keys (checked before sending).
            ValidationError: the API rejected the parameters.
            JobMayExistError: the POST failed in a way that may have created it anyway; it
                was not resent.
            WaitTimeoutError: not finished in time (``last_seen`` has the newest state).
            ResourceDeletedError: the generation was deleted meanwhile.
        """
        return await self._create_and_wait(
            self._attributes(flow_type, parameters, context),
            until=None,
            timeout=timeout,
            waiter=waiter,
            on_status=on_status,
            request_timeout=request_timeout,
            idempotency_key=idempotency_key,
            ledger=ledger,
        )
