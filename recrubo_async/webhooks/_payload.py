"""``WebhookPayload``: what Recrubo POSTs to a webhook URL, decoded."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs
import orjson

from .. import _scanner
from .._construct import constructor
from .._datetimes import parse_datetime
from .._jsonapi import Codec
from ..bus import ResourceEvent
from ..errors import DecodeError
from ..models._base import Resource
from ..models.webhook import WebhookEvent

PAYLOAD_TYPE = "webhookPayload"
RESOURCE_PATH = "$.data.attributes.resource"

#: The known events by value: a dict lookup, where ``WebhookEvent(value)`` goes through
#: the enum machinery on every delivery (an unknown value still does).
_EVENTS: dict[str, WebhookEvent] = {member.value: member for member in WebhookEvent}

#: Decodes the resource of a payload built without a codec (by hand, in a test).
_DEFAULT_CODEC: Codec | None = None


# One per delivery: no ``__weakref__`` slot, so that ``_construct`` builds it by plain
# slot stores. ``eq=False``: the equality below compares ``raw_resource`` as read.
@attrs.frozen(kw_only=True, repr=False, weakref_slot=False, eq=False)
class WebhookPayload:
    """One delivery: the event and the resource's state after it.

    Attributes:
        id: the delivery (WebhookLog) id; redeliveries of the same event reuse it.
        webhook_id: the subscription that fired, when the API says.
        event: ``create``, ``update`` or ``delete``.
        fields: the attribute names (wire form) that changed, when the API says.
        raw_resource: the resource object exactly as sent.

    ``resource``, the typed model, is decoded from ``raw_resource`` when first read (see
    the property). A receiver with no handler builds the payload from its scan of the body
    (``_scanner.py``), beside the bus event of the same delivery: ``raw_resource`` is then
    that event's resource, parsed from the body when either is first asked for it.
    """

    id: str
    webhook_id: str | None
    event: WebhookEvent
    fields: tuple[str, ...]
    #: None until read when the payload was built from a scan (``_source`` has it).
    _raw_resource: Mapping[str, Any] | None = attrs.field(alias="raw_resource")
    #: The typed model once decoded (``resource=`` builds a payload with it already).
    _resource: Resource | None = attrs.field(default=None, alias="resource")
    #: What decodes it; None for a payload built by hand (the default codec then).
    _codec: Codec | None = attrs.field(default=None, alias="codec")
    #: The bus event of the same delivery, kept only by a payload built from a scan:
    #: its resource (read from the delivery when first asked) is this payload's.
    _source: ResourceEvent | None = attrs.field(default=None, alias="source")

    @property
    def raw_resource(self) -> Mapping[str, Any]:
        """The resource object exactly as sent."""
        raw = self._raw_resource
        if raw is None:
            if self._source is None:
                raise ValueError("WebhookPayload needs raw_resource=...")
            raw = self._source.resource
            object.__setattr__(self, "_raw_resource", raw)
        return raw

    def _type_and_id(self) -> tuple[object, object]:
        """The resource's type and id, without parsing a scanned delivery for them."""
        source = self._source
        if self._raw_resource is None and source is not None:
            return source.type, source.id
        raw = self.raw_resource
        return raw.get("type"), raw.get("id")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, WebhookPayload)
        return (
            self.id == other.id
            and self.webhook_id == other.webhook_id
            and self.event == other.event
            and self.fields == other.fields
            and self.raw_resource == other.raw_resource
        )

    def __hash__(self) -> int:
        # As attrs' hash of the compared fields: a TypeError for a dict resource.
        return hash((self.id, self.webhook_id, self.event, self.fields, self.raw_resource))

    @property
    def resource(self) -> Resource:
        """The typed model (``GenericResource`` for unknown types), decoded on first read.

        A receiver decodes it before calling the handlers a delivery matches, and answers
        400 when it does not decode, so a handler always finds it here. With no handler
        for a delivery, nothing reads it unless you do: the state goes to the bus as sent.

        Raises:
            DecodeError: the resource does not fit the SDK's model (possible only where
                no handler matched, as in ``WebhookResult.payload`` then).
        """
        decoded = self._resource
        if decoded is None:
            codec = self._codec or _default_codec()
            decoded = codec.decode_resource(self.raw_resource, path=RESOURCE_PATH, owned=True)
            object.__setattr__(self, "_resource", decoded)
        return decoded

    def __reduce__(self) -> tuple[Any, ...]:
        # Without the codec (it holds generated functions): a payload handed to a task
        # queue pickles, and decodes its resource, if not decoded yet, with the default.
        return (
            _rebuild,
            (self.id, self.webhook_id, self.event, self.fields, self.raw_resource, self._resource),
        )

    def __repr__(self) -> str:
        # The resource's type and id, not the model: a repr must not decode (nor raise).
        rtype, rid = self._type_and_id()
        return (
            f"WebhookPayload(id={self.id!r}, webhook_id={self.webhook_id!r}, "
            f"event={self.event!r}, fields={self.fields!r}, "
            f"resource={rtype!r}/{rid!r})"
        )


def _rebuild(
    id: str,
    webhook_id: str | None,
    event: WebhookEvent,
    fields: tuple[str, ...],
    raw_resource: Mapping[str, Any],
    resource: Resource | None,
) -> WebhookPayload:
    return WebhookPayload(
        id=id,
        webhook_id=webhook_id,
        event=event,
        fields=fields,
        raw_resource=raw_resource,
        resource=resource,
    )


def _default_codec() -> Codec:
    global _DEFAULT_CODEC
    if _DEFAULT_CODEC is None:
        _DEFAULT_CODEC = Codec()
    return _DEFAULT_CODEC


def decode_payload(body: bytes, codec: Codec) -> WebhookPayload:
    """Parse and check a delivery body; its resource's typed model is decoded later.

    What is checked now is what the receiver itself reads: the envelope, and the resource
    object's shape (an object with a string type and id; attributes, relationships, links
    and meta objects when present). ``WebhookPayload.resource`` decodes the model on first
    read, as a page's resources are (``owned``): the model keeps the just-parsed dicts,
    which ``raw_resource`` shares, rather than copies of them.

    Raises:
        DecodeError: not JSON, not a ``webhookPayload`` document, or a resource that is
            not a resource object.
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
    check_resource_object(raw_resource)
    assert type(raw_resource) is dict  # checked just above
    webhook_id = attributes.get("webhookId")
    fields = attributes.get("fields")
    if fields is None:
        names: tuple[str, ...] = ()
    elif type(fields) is list and _all_str(fields):
        names = tuple(fields)
    else:
        raise DecodeError("fields must be a list of names", path="$.data.attributes.fields")
    return _PAYLOAD[codec.fast](
        pid,
        webhook_id if type(webhook_id) is str else None,
        _EVENTS.get(event) or WebhookEvent(event),
        names,
        raw_resource,
        None,
        codec,
        None,
    )


def scanned_delivery(body: bytes, codec: Codec) -> tuple[WebhookPayload, ResourceEvent] | None:
    """The payload and bus event of a delivery from the scanner (``_scanner.py``), without
    parsing it; None when there is no scanner or it is not sure (then ``decode_payload``).

    The same payload and event as ``decode_payload`` and ``resource_event`` give, except
    that both read their resource object from ``body`` when it is first asked for: a
    receiver with no handler for the delivery only publishes it, and the bus keeps
    ``body``. Only on the codec's fast path (its switch is ``_fastdecode.FAST_DECODE``).
    """
    scan = _scanner.SCAN_DELIVERY
    if scan is None or not codec.fast:
        return None
    scanned = scan(body)
    if scanned is None:
        return None
    pid, webhook_id, event, fields, rtype, rid, status, updated = scanned
    member = _EVENTS.get(event)
    if member is None:  # an event this SDK does not know: the plain path decides
        return None
    updated_at = None if updated is None else _ordering_time(updated)
    bus_event = _EVENT(rtype, rid, event, None, status, updated_at, body)
    return _PAYLOAD[True](pid, webhook_id, member, fields, None, None, codec, bus_event), bus_event


def _ordering_time(updated: str) -> datetime | None:
    """``updatedAt`` as an event orders by it: as ``from_resource`` reads it, an
    unreadable one orders as none."""
    try:
        return parse_datetime(updated)
    except ValueError:
        return None


def _all_str(items: list[Any]) -> bool:
    """Whether every item is a ``str``: ``str.join`` checks that in C, and raises
    ``TypeError`` on the first one that is not."""
    try:
        "".join(items)
    except TypeError:
        return False
    return True


def check_resource_object(obj: object) -> None:
    """``DecodeError`` unless ``obj`` is shaped as a resource object: what
    ``Codec.decode_resource`` requires before it reads any attribute."""
    # The usual shape in one expression; anything else is looked at below, to say what.
    if (
        type(obj) is dict
        and type(obj.get("type")) is str
        and obj["type"]
        and type(obj.get("id")) is str
        and type(obj.get("attributes", _NO_MEMBER)) is dict
        and type(obj.get("relationships", _NO_MEMBER)) is dict
        and type(obj.get("links", _NO_MEMBER)) is dict
        and obj.get("meta") is None
    ):
        return
    if type(obj) is not dict:
        raise DecodeError("expected a resource object", path=RESOURCE_PATH)
    rtype, rid = obj.get("type"), obj.get("id")
    if type(rtype) is not str or not rtype:
        raise DecodeError("a resource object needs a string type", path=f"{RESOURCE_PATH}.type")
    if type(rid) is not str and (type(rid) is not int):
        raise DecodeError("a resource object needs a string id", path=f"{RESOURCE_PATH}.id")
    for member in ("attributes", "relationships", "links", "meta"):
        value = obj.get(member)
        if value is not None and type(value) is not dict:
            raise DecodeError(f"{member} must be an object", path=f"{RESOURCE_PATH}.{member}")


#: A missing member, as the fast check above reads it: an (empty) object.
_NO_MEMBER: dict[str, Any] = {}

#: Builds a payload from its fields in order: by slot stores on the codec's fast path,
#: by ``__init__`` on the checked one (``_construct.py``; the same object either way).
_PAYLOAD = {fast: constructor(WebhookPayload, fast=fast) for fast in (True, False)}


def resource_event(
    payload: WebhookPayload, *, fast: bool = True, delivery: bytes | None = None
) -> ResourceEvent:
    """What the bus carries for ``payload``: ``ResourceEvent.from_resource`` of its
    resource, built by slot stores for the usual shape when ``fast`` (the same event).

    ``delivery``: the body ``payload`` was decoded from, which the event then carries
    (``ResourceEvent.delivery``), so that a bus need not serialize the resource again.
    """
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
                updated_at = _ordering_time(updated)
            elif updated is None:
                updated_at = None
            else:
                return ResourceEvent.from_resource(raw, event=event)
            status = attributes.get("status")
            return _EVENT(
                rtype,
                rid,
                event,
                raw,
                status if type(status) is str else None,
                updated_at,
                delivery,
            )
    plain = ResourceEvent.from_resource(raw, event=event)
    return plain if delivery is None else attrs.evolve(plain, delivery=delivery)


_EVENT = constructor(ResourceEvent, fast=True)
