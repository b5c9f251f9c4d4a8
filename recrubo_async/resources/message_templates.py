"""``client.message_templates``: /message-templates (GET list/one, POST, DELETE)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .._resource import Deletable, Listable, Retrievable
from .._types import NOT_GIVEN, NotGiven, TimeoutLike
from ..models.message_template import MessageTemplate, TemplateCategory, TemplateComponent


class MessageTemplates(
    Listable[MessageTemplate], Retrievable[MessageTemplate], Deletable[MessageTemplate]
):
    """WhatsApp message templates (they cannot be changed once created)."""

    _path = "/message-templates"
    _model = MessageTemplate

    async def create(
        self,
        *,
        name: str,
        components: Sequence[TemplateComponent | Mapping[str, Any]],
        language: str,
        category: TemplateCategory | str,
        preview: str | None = None,
        timeout: TimeoutLike | NotGiven = NOT_GIVEN,
    ) -> MessageTemplate:
        """Submit a template for review (``status`` starts ``PENDING``).

        Args:
            components: e.g. ``[TemplateComponent.body("Hi {{1}}!", ["John"])]``.

        Raises:
            BadRequestError: Meta refused it (``errors[0].detail`` holds Meta's error).
        """
        if isinstance(components, (str, Mapping)):
            raise TypeError("components must be a list of TemplateComponent or dicts")
        return await self._create(
            {
                "name": name,
                "components": list(components),
                "language": language,
                "category": category,
                "preview": preview,
            },
            timeout=timeout,
        )
