"""``WebhookPayload``: what Recrubo POSTs to a webhook URL, decoded."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import orjson

from .._jsonapi import Codec
from ..errors import DecodeError
from ..models._base import Resource
from ..models.webhook import WebhookEvent

PAYLOAD_TYPE = "webhookPayload"

#: The known events by value: a dict lookup, where ``WebhookEvent(value)`` goes through
#: the enum machinery on every delivery (an unknown value still does).
_EVENTS: dict[str, WebhookEvent] = {member.value: member for member in WebhookEvent}


@attrs.frozen(kw_only=True)
class WebhookPayload:
    """One delivery: the event and the resource's state after it.

    Attributes:
        id: the delivery (WebhookLog) id; redeliveries of the same event reuse it.
        webhook_id: the subscription that fired, when the API says.
        event: ``create``, ``update`` or ``delete``.
        fields: the attribute names (wire form) that changed, when the API says.
        resource: the typed model (``GenericResource`` for unknown types).
        raw_resource: the resource object exactly as sent.
    """

    id: str
    webhook_id: str | None
    event: WebhookEvent
    fields: tuple[str, ...]
    resource: Resource
    raw_resource: Mapping[str, Any] = attrs.field(repr=False)


def decode_payload(body: bytes, codec: Codec) -> WebhookPayload:
    """Parse and check a delivery body.

    Raises:
        DecodeError: not JSON, or not a ``webhookPayload`` document.
    """
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise DecodeError(f"the webhook body is not JSON: {exc}") from exc
    data = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(data, dict) or data.get("type") != PAYLOAD_TYPE:
        raise DecodeError("not a webhookPayload document", path="$.data.type")
    pid = data.get("id")
    if not isinstance(pid, str) or not pid:
        raise DecodeError("a webhook payload needs a string id", path="$.data.id")
    attributes = data.get("attributes")
    if not isinstance(attributes, dict):
        raise DecodeError("a webhook payload needs attributes", path="$.data.attributes")
    event = attributes.get("event")
    if not isinstance(event, str) or not event:
        raise DecodeError("a webhook payload needs an event", path="$.data.attributes.event")
    raw_resource = attributes.get("resource")
    resource = codec.decode_resource(raw_resource, path="$.data.attributes.resource")
    assert isinstance(raw_resource, dict)  # decode_resource checked it is an object
    webhook_id = attributes.get("webhookId")
    fields = attributes.get("fields")
    if fields is None:
        fields = []
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        raise DecodeError("fields must be a list of names", path="$.data.attributes.fields")
    return WebhookPayload(
        id=pid,
        webhook_id=webhook_id if isinstance(webhook_id, str) else None,
        event=_EVENTS.get(event) or WebhookEvent(event),
        fields=tuple(fields),
        resource=resource,
        raw_resource=raw_resource,
    )
