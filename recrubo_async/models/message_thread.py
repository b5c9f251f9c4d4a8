"""MessageThread: a channel (WhatsApp, SMS, ...) and identifier to reach a candidate."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from ._base import REL, OpenEnum, Resource, ResourceIdentifier, register

if TYPE_CHECKING:
    from .candidate import Candidate
    from .conversation import Conversation
    from .flow_run import FlowRun
    from .message import Message


class Channel(OpenEnum):
    """The channel of a ``MessageThread``; values the SDK does not know yet are kept.

    ``WHATSAPP`` (``"whatsapp"``, identifier: the phone number), ``SMS`` (``"sms"``, the
    phone number), ``MESSENGER`` (``"messenger"``, Facebook Messenger, the profile id) and
    ``WEB`` (``"web"``, the web chat). Pass the member or its string value.
    """

    WHATSAPP = "whatsapp"
    SMS = "sms"
    MESSENGER = "messenger"
    WEB = "web"


@register
@attrs.frozen(kw_only=True)
class MessageThread(Resource):
    """Where messages and flow runs happen; ``identifier`` is e.g. a phone number."""

    TYPE = "messageThreads"

    channel: Channel | None = None
    identifier: str | None = None
    #: When true the chatbot does not start or continue flows on this thread.
    chatbot_paused: bool | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    candidate: Candidate | ResourceIdentifier | None = attrs.field(
        default=None, eq=False, repr=False, metadata=REL
    )
    messages: tuple[Message | ResourceIdentifier, ...] | None = attrs.field(
        default=None, eq=False, repr=False, metadata=REL
    )
    flow_runs: tuple[FlowRun | ResourceIdentifier, ...] | None = attrs.field(
        default=None, eq=False, repr=False, metadata=REL
    )
    conversations: tuple[Conversation | ResourceIdentifier, ...] | None = attrs.field(
        default=None, eq=False, repr=False, metadata=REL
    )
