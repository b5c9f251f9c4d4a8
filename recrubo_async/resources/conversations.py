"""``client.conversations``: /conversations (GET list/one, PATCH)."""

from __future__ import annotations

from .._resource import Listable, Retrievable
from .._types import NOT_GIVEN, NotGiven, TimeoutLike
from ..models.conversation import Conversation, ConversationStatus


class Conversations(Listable[Conversation], Retrievable[Conversation]):
    """Inbox conversations; the API creates them and keeps their counters up to date."""

    _path = "/conversations"
    _model = Conversation

    async def update(
        self,
        id: str | Conversation,
        *,
        status: ConversationStatus | str | NotGiven = NOT_GIVEN,
        unread_messages: bool | NotGiven = NOT_GIVEN,
        unread_messages_count: int | NotGiven = NOT_GIVEN,
        timeout: TimeoutLike | NotGiven = NOT_GIVEN,
    ) -> Conversation:
        """Open/close a conversation or mark it read (the API may overwrite the counters)."""
        return await self._update(
            id,
            {
                "status": status,
                "unread_messages": unread_messages,
                "unread_messages_count": unread_messages_count,
            },
            timeout=timeout,
        )
