"""MessageTemplate: a (WhatsApp) message template, and the builder of its components."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs

from ._base import OpenEnum, Resource, register
from ._wire import WireObject


class TemplateCategory(OpenEnum):
    """Meta's template categories; unknown values are kept."""

    MARKETING = "MARKETING"
    UTILITY = "UTILITY"
    AUTHENTICATION = "AUTHENTICATION"


class TemplateStatus(OpenEnum):
    """Review states of a template (Meta's names); unknown values are kept."""

    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    PAUSED = "PAUSED"
    DISABLED = "DISABLED"


class ComponentType(OpenEnum):
    HEADER = "HEADER"
    BODY = "BODY"
    FOOTER = "FOOTER"
    BUTTONS = "BUTTONS"


@register
@attrs.frozen(kw_only=True)
class MessageTemplate(Resource):
    """A template; usable as a FlowRun's initial message or as a message payload."""

    TYPE = "messageTemplates"

    name: str | None = None
    #: As sent: ``[{"type": "BODY", "text": "Hi {{1}}", "example": {...}}, ...]``.
    components: Sequence[Mapping[str, Any]] | None = None
    language: str | None = None
    category: TemplateCategory | None = None
    status: TemplateStatus | None = None
    preview: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@attrs.frozen(kw_only=True)
class TemplateComponent(WireObject):
    """One component of a new template; ``TemplateComponent.body("Hi {{1}}", ["John"])``.

    ``format`` is needed for a header only; ``example`` only when the text has variables.
    """

    type: ComponentType | str
    text: str
    format: str | None = None
    example: Mapping[str, Any] | None = None

    @classmethod
    def header(cls, text: str, *, format: str = "TEXT") -> TemplateComponent:
        return cls(type=ComponentType.HEADER, text=text, format=format)

    @classmethod
    def body(cls, text: str, example: Sequence[str] | None = None) -> TemplateComponent:
        """A body; ``example`` gives a sample value for each ``{{n}}`` variable."""
        sample = {"body_text": [list(example)]} if example else None
        return cls(type=ComponentType.BODY, text=text, example=sample)

    @classmethod
    def footer(cls, text: str) -> TemplateComponent:
        return cls(type=ComponentType.FOOTER, text=text)
