"""Message: one message sent or received on a MessageThread."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from ._base import REL, OpenEnum, Resource, ResourceIdentifier, register

if TYPE_CHECKING:
    from .message_thread import MessageThread


class MessageOrigin(OpenEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class DeliveryStatus(OpenEnum):
    """Delivery states (the docs do not list them); unknown values are kept."""

    ACCEPTED = "accepted"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"


@register
@attrs.frozen(kw_only=True)
class Message(Resource):
    """A message; ``payload`` is its content, e.g. ``{"type": "text", "text": {...}}``."""

    TYPE = "messages"

    send_by: str | None = None
    origin: MessageOrigin | None = None
    message_thread_id: str | None = None
    payload: Mapping[str, Any] | None = None
    delivery_status: DeliveryStatus | None = None
    error_messages: Sequence[Any] | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    message_thread: MessageThread | ResourceIdentifier | None = attrs.field(
        default=None, eq=False, repr=False, metadata=REL
    )
