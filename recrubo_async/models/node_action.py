"""NodeAction: one thing a Node does when the candidate enters it (say or ask)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from ._base import REL, OpenEnum, Resource, ResourceIdentifier, register

if TYPE_CHECKING:
    from .node import Node


class ActionType(OpenEnum):
    """``say`` delivers content; ``ask`` also stores the answer in ``variable_name``."""

    ASK = "ask"
    SAY = "say"


class ActionSubType(OpenEnum):
    """The kind of content an action delivers; unknown values are kept."""

    TEXT = "text"
    CONTACT = "contact"
    LOCATION = "location"
    LIST = "list"
    APPOINTMENT = "appointment"
    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    DOCUMENT = "document"
    SET_VARIABLE = "set-variable"


@register
@attrs.frozen(kw_only=True)
class NodeAction(Resource):
    """An action of a Node; ``value`` is its content, e.g. ``{"text": "What is your name?"}``.

    The text a candidate sees is ``value["text"]``; a ``list`` action also has
    ``value["options"]``, and the keys of other sub-types follow the API's documentation.
    """

    TYPE = "nodeActions"

    action_type: ActionType | None = None
    sub_type: ActionSubType | None = None
    value: Mapping[str, Any] | None = None
    #: Session variable the answer is stored in (``ask`` actions only).
    variable_name: str | None = None
    #: Position within the node; 0 runs first.
    index: int | None = None
    attachment_data: Mapping[str, Any] | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    node: Node | ResourceIdentifier | None = attrs.field(
        default=None, eq=False, repr=False, metadata=REL
    )
