"""``client.messages``: /messages (GET list/one, POST, PATCH, DELETE)."""

from __future__ import annotations

from .._ids import id_of
from .._resource import Deletable, Listable, Retrievable
from .._types import NOT_GIVEN, NotGiven, TimeoutLike
from ..models.message import Message
from ..models.message_payloads import MessagePayload
from ..models.message_thread import MessageThread


class Messages(Listable[Message], Retrievable[Message], Deletable[Message]):
    """Send messages and read a thread's history."""

    _path = "/messages"
    _model = Message

    async def create(
        self,
        *,
        send_by: str,
        message_thread_id: str | MessageThread,
        payload: MessagePayload,
        timeout: TimeoutLike | NotGiven = NOT_GIVEN,
    ) -> Message:
        """Send a message on a thread.

        Args:
            send_by: who the message is from, as shown with it in the thread and the Inbox:
                a display name such as ``"Recrubo"`` or a recruiter's name (``"John"``).
                It is a label only: every message created through the API is
                ``outbound`` (see ``Message.origin``).
            message_thread_id: the thread to send on, as an id or a ``MessageThread``.
            payload: ``TextMessage("Hi")``, ``TemplateMessage.of(...)``, ``MediaMessage.of(...)``
                or wire JSON as a dict. On WhatsApp, outside the 24-hour window only a
                template is delivered.
            timeout: for this HTTP call (default: the client's).
        """
        return await self._create(
            {
                "send_by": send_by,
                "message_thread_id": id_of(
                    message_thread_id, "message_thread_id", MessageThread.TYPE
                ),
                "payload": payload,
            },
            timeout=timeout,
        )

    async def update(
        self,
        id: str | Message,
        *,
        send_by: str | NotGiven = NOT_GIVEN,
        payload: MessagePayload | NotGiven = NOT_GIVEN,
        timeout: TimeoutLike | NotGiven = NOT_GIVEN,
    ) -> Message:
        """Change the given fields only."""
        return await self._update(id, {"send_by": send_by, "payload": payload}, timeout=timeout)
