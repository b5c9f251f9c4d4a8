"""``client.message_threads``: /message-threads (GET list/one, POST, PATCH, DELETE)."""

from __future__ import annotations

from .._ids import ref
from .._resource import Deletable, Listable, Retrievable
from .._types import NOT_GIVEN, NotGiven, TimeoutLike
from ..models.candidate import Candidate
from ..models.message_thread import Channel, MessageThread


class MessageThreads(Listable[MessageThread], Retrievable[MessageThread], Deletable[MessageThread]):
    """Channels to candidates; include ``messages`` for the history."""

    _path = "/message-threads"
    _model = MessageThread

    async def create(
        self,
        *,
        channel: Channel | str,
        identifier: str,
        chatbot_paused: bool | None = None,
        candidate: str | Candidate | None = None,
        timeout: TimeoutLike | NotGiven = NOT_GIVEN,
    ) -> MessageThread:
        """Open a thread, e.g. ``channel="whatsapp", identifier="31612345678"``.

        Args:
            channel: how the candidate is reached: a ``Channel`` (``whatsapp``, ``sms``,
                ``messenger``, ``web``) or its string value.
            identifier: the candidate's address on that channel: the phone number (digits
                with country code, e.g. ``"31612345678"``) for WhatsApp and SMS, the
                profile id for Messenger.
            chatbot_paused: true to keep the chatbot from starting or continuing flows on
                this thread (default: the API's, not paused).
            candidate: the candidate to link, as an id or a ``Candidate`` (needed by the
                Inbox; cannot change later).
            timeout: for this HTTP call (default: the client's).
        """
        return await self._create(
            {"channel": channel, "identifier": identifier, "chatbot_paused": chatbot_paused},
            relationships={
                "candidate": None
                if candidate is None
                else ref(candidate, "candidates", "candidate")
            },
            timeout=timeout,
        )

    async def update(
        self,
        id: str | MessageThread,
        *,
        channel: Channel | str | NotGiven = NOT_GIVEN,
        identifier: str | NotGiven = NOT_GIVEN,
        chatbot_paused: bool | NotGiven = NOT_GIVEN,
        candidate: str | Candidate | NotGiven = NOT_GIVEN,
        timeout: TimeoutLike | NotGiven = NOT_GIVEN,
    ) -> MessageThread:
        """Change the given fields only; a linked candidate cannot be replaced."""
        return await self._update(
            id,
            {"channel": channel, "identifier": identifier, "chatbot_paused": chatbot_paused},
            relationships={
                "candidate": candidate
                if candidate is NOT_GIVEN
                else ref(candidate, "candidates", "candidate")
            },
            timeout=timeout,
        )
