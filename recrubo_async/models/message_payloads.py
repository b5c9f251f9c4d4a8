"""Builders of message payloads: text, template (also a FlowRun's initial message), media."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import attrs

from ._base import OpenEnum, Resource
from ._wire import WireObject


@attrs.frozen
class TextBody(WireObject):
    value: str


def _text_body(value: str | TextBody) -> TextBody:
    return value if isinstance(value, TextBody) else TextBody(value)


@attrs.frozen
class TextMessage(WireObject):
    """``TextMessage("Hi!")`` -> ``{"type": "text", "text": {"value": "Hi!"}}``."""

    text: TextBody = attrs.field(converter=_text_body)
    type: Literal["text"] = "text"


@attrs.frozen
class TemplateParameter(WireObject):
    """A value for one template variable: ``{"type": "text", "text": "John"}``."""

    text: str
    type: str = "text"


def _parameters(
    values: Sequence[TemplateParameter | Mapping[str, Any] | str],
) -> tuple[TemplateParameter | Mapping[str, Any], ...]:
    if isinstance(values, (str, bytes)):
        raise TypeError("parameters must be a list of values, not one string")
    return tuple(TemplateParameter(v) if isinstance(v, str) else v for v in values)


@attrs.frozen
class TemplateComponentValues(WireObject):
    """The variable values of one component: ``{"type": "body", "parameters": [...]}``."""

    type: str
    parameters: Sequence[TemplateParameter | Mapping[str, Any]] = attrs.field(converter=_parameters)


def _components(
    values: Sequence[TemplateComponentValues | Mapping[str, Any]],
) -> tuple[TemplateComponentValues | Mapping[str, Any], ...]:
    if isinstance(values, Mapping):
        raise TypeError("components must be a list of components, not one")
    return tuple(values)


@attrs.frozen(kw_only=True)
class TemplateReference(WireObject):
    """Which template to send, and its variable values."""

    id: str
    components: Sequence[TemplateComponentValues | Mapping[str, Any]] = attrs.field(
        default=(), converter=_components
    )


@attrs.frozen
class TemplateMessage(WireObject):
    """A template message: the payload of a Message or a FlowRun's ``initial_message``.

    ``TemplateMessage.of(template_id, body=["John"])`` fills ``{{1}}`` of the body.
    """

    template: TemplateReference
    type: Literal["template"] = "template"

    @classmethod
    def of(
        cls,
        template: str | Resource,
        *,
        body: Sequence[str] = (),
        header: Sequence[str] = (),
    ) -> TemplateMessage:
        """A template message from a template (or its id) and the values of its variables."""
        template_id = template.id if isinstance(template, Resource) else template
        components: list[TemplateComponentValues | Mapping[str, Any]] = []
        if header:
            components.append(TemplateComponentValues("header", header))
        if body:
            components.append(TemplateComponentValues("body", body))
        return cls(TemplateReference(id=template_id, components=components))


class MediaType(OpenEnum):
    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    DOCUMENT = "document"


@attrs.frozen(kw_only=True)
class MediaBody(WireObject):
    url: str
    caption: str | None = None
    filename: str | None = None


@attrs.frozen(kw_only=True)
class MediaMessage(WireObject):
    """An image, video, audio or document: ``{"type": "image", "image": {"url": ...}}``.

    The docs describe this payload only in part; pass a plain dict for other shapes.
    """

    type: MediaType | str
    media: MediaBody

    @classmethod
    def of(
        cls,
        media_type: MediaType | str,
        url: str,
        *,
        caption: str | None = None,
        filename: str | None = None,
    ) -> MediaMessage:
        return cls(type=media_type, media=MediaBody(url=url, caption=caption, filename=filename))

    def _wire_reshape(self, out: dict[str, Any]) -> dict[str, Any]:
        # The body travels under the media type's own key, like "text" and "template" do.
        out[str(out["type"])] = out.pop("media")
        return out


#: What a message payload (or an initial message) can be given as.
MessagePayload = TextMessage | TemplateMessage | MediaMessage | Mapping[str, Any]
