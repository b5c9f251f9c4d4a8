"""Conversation: the Inbox view of a MessageThread (open/closed, unread counts)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from ._base import REL, OpenEnum, Resource, ResourceIdentifier, register

if TYPE_CHECKING:
    from .candidate import Candidate
    from .message_thread import MessageThread


class ConversationStatus(OpenEnum):
    OPEN = "open"
    CLOSED = "closed"


@register
@attrs.frozen(kw_only=True)
class Conversation(Resource):
    """Created by the API when a MessageThread gets a Candidate."""

    TYPE = "conversations"

    status: ConversationStatus | None = None
    unread_messages: bool | None = None
    unread_messages_count: int | None = None
    message_thread_id: str | None = None
    candidate_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    message_thread: MessageThread | ResourceIdentifier | None = attrs.field(
        default=None, eq=False, repr=False, metadata=REL
    )
    candidate: Candidate | ResourceIdentifier | None = attrs.field(
        default=None, eq=False, repr=False, metadata=REL
    )
