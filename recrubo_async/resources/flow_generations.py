"""``client.flow_generations``: /flow-generations (GET list/one, POST, DELETE)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._resource import Deletable, Listable, Retrievable
from .._types import NOT_GIVEN, NotGiven, TimeoutLike
from ..models.flow_generation import (
    FlowGeneration,
    FlowType,
    TextContext,
    VacancyApplicationParameters,
)


class FlowGenerations(
    Listable[FlowGeneration], Retrievable[FlowGeneration], Deletable[FlowGeneration]
):
    """Generate flows with the AI engine."""

    _path = "/flow-generations"
    _model = FlowGeneration

    async def create(
        self,
        *,
        flow_type: FlowType | str,
        parameters: VacancyApplicationParameters | Mapping[str, Any],
        context: TextContext | Mapping[str, Any] | None = None,
        sync: bool = False,
        timeout: TimeoutLike | NotGiven = NOT_GIVEN,
    ) -> FlowGeneration:
        """Start generating a flow; the answer is normally ``queued``.

        Args:
            flow_type: e.g. ``"vacancy_application_flow"``.
            parameters: typed parameters, or the wire JSON as a dict (sent as given).
            context: the vacancy text, as ``TextContext(value=...)`` or wire JSON.
            sync: ask for ``?sync=true``: the sandbox answers with the finished generation;
                production ignores it.

        Raises:
            ValidationError: the API rejected the parameters (``errors`` say which).
        """
        if not flow_type:
            raise ValueError("flow_type is required, e.g. 'vacancy_application_flow'")
        attributes: dict[str, Any] = {"flow_type": flow_type, "parameters": parameters}
        if context is not None:
            attributes["context"] = context
        return await self._create(
            attributes,
            params=[("sync", "true")] if sync else None,
            timeout=timeout,
        )
