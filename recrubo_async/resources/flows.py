"""``client.flows``: /flows (GET list/one, POST, PATCH, DELETE)."""

from __future__ import annotations

from .._resource import Deletable, Listable, Retrievable
from .._types import NOT_GIVEN, NotGiven, TimeoutLike
from ..models.flow import Flow


class Flows(Listable[Flow], Retrievable[Flow], Deletable[Flow]):
    """Chat flows; include ``nodes``, ``nodes.node_actions`` to read a whole flow at once."""

    _path = "/flows"
    _model = Flow

    async def create(
        self,
        *,
        name: str,
        reminder_interval: int,
        reminder_message: str,
        session_timeout: int,
        timeout: TimeoutLike | NotGiven = NOT_GIVEN,
    ) -> Flow:
        """Create an empty flow (add nodes with ``client.nodes.create``).

        Args:
            reminder_interval: minutes without a reply before the reminder; 0 disables it.
            session_timeout: minutes without a reply before a FlowRun times out.
        """
        return await self._create(
            {
                "name": name,
                "reminder_interval": reminder_interval,
                "reminder_message": reminder_message,
                "session_timeout": session_timeout,
            },
            timeout=timeout,
        )

    async def update(
        self,
        id: str | Flow,
        *,
        name: str | NotGiven = NOT_GIVEN,
        reminder_interval: int | NotGiven = NOT_GIVEN,
        reminder_message: str | NotGiven = NOT_GIVEN,
        session_timeout: int | NotGiven = NOT_GIVEN,
        timeout: TimeoutLike | NotGiven = NOT_GIVEN,
    ) -> Flow:
        """Change the given fields only."""
        return await self._update(
            id,
            {
                "name": name,
                "reminder_interval": reminder_interval,
                "reminder_message": reminder_message,
                "session_timeout": session_timeout,
            },
            timeout=timeout,
        )
