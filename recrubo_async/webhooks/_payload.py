"""``WebhookPayload``: what Recrubo POSTs to a webhook URL, decoded."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs
import orjson

from .._construct import constructor
from .._datetimes import parse_datetime
from .._jsonapi import Codec
from ..bus import ResourceEvent
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

    The resource is decoded as a page's resources are (``owned``): the model keeps the
    just-parsed dicts, which ``raw_resource`` shares, rather than copies of them.

    Raises:
        DecodeError: not JSON, or not a ``webhookPayload`` document.
    """
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise DecodeError(f"the webhook body is not JSON: {exc}") from exc
    # Exact type checks: orjson makes plain dicts, lists and strs.
    data = doc.get("data") if type(doc) is dict else None
    if type(data) is not dict or data.get("type") != PAYLOAD_TYPE:
        raise DecodeError("not a webhookPayload document", path="$.data.type")
    pid = data.get("id")
    if type(pid) is not str or not pid:
        raise DecodeError("a webhook payload needs a string id", path="$.data.id")
    attributes = data.get("attributes")
    if type(attributes) is not dict:
        raise DecodeError("a webhook payload needs attributes", path="$.data.attributes")
    event = attributes.get("event")
    if type(event) is not str or not event:
        raise DecodeError("a webhook payload needs an event", path="$.data.attributes.event")
    raw_resource = attributes.get("resource")
    resource = codec.decode_resource(raw_resource, path="$.data.attributes.resource", owned=True)
    assert type(raw_resource) is dict  # decode_resource checked it is an object
    webhook_id = attributes.get("webhookId")
    fields = attributes.get("fields")
    if fields is None:
        names: tuple[str, ...] = ()
    elif type(fields) is list and all(type(f) is str for f in fields):
        names = tuple(fields)
    else:
        raise DecodeError("fields must be a list of names", path="$.data.attributes.fields")
    return _PAYLOAD[codec.fast](
        pid,
        webhook_id if type(webhook_id) is str else None,
        _EVENTS.get(event) or WebhookEvent(event),
        names,
        resource,
        raw_resource,
    )


#: Builds a payload from its fields in order: by slot stores on the codec's fast path,
#: by ``__init__`` on the checked one (``_construct.py``; the same object either way).
_PAYLOAD = {fast: constructor(WebhookPayload, fast=fast) for fast in (True, False)}


def resource_event(payload: WebhookPayload, *, fast: bool = True) -> ResourceEvent:
    """What the bus carries for ``payload``: ``ResourceEvent.from_resource`` of its
    resource, built by slot stores for the usual shape when ``fast`` (the same event)."""
    raw = payload.raw_resource
    # The member's own string, which is its value (``WebhookEvent`` is a ``str`` enum):
    # what ``str(member)`` gives, without the enum's Python-level ``__str__``.
    event = str.__str__(payload.event)
    if fast:
        attributes = raw.get("attributes")
        rtype, rid = raw.get("type"), raw.get("id")
        if type(attributes) is dict and type(rtype) is str and type(rid) is str:
            updated = attributes.get("updatedAt")
            updated_at: datetime | None
            if type(updated) is str:
                try:
                    updated_at = parse_datetime(updated)
                except ValueError:  # as from_resource: an unreadable one orders as none
                    updated_at = None
            elif updated is None:
                updated_at = None
            else:
                return ResourceEvent.from_resource(raw, event=event)
            status = attributes.get("status")
            return _EVENT(
                rtype, rid, event, raw, status if type(status) is str else None, updated_at
            )
    return ResourceEvent.from_resource(raw, event=event)


_EVENT = constructor(ResourceEvent, fast=True)
