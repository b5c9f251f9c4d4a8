"""The message a completion bus carries: one resource's new state."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs
import orjson

from .._datetimes import format_datetime, parse_datetime
from .._ordering import is_stale


# One per state change, built by the thousand a second: no ``__weakref__`` slot, so that
# ``_construct`` can build it by plain slot stores (as the models' value objects).
#
# ``eq=False``: the equality below compares ``resource`` as read, so that an event whose
# resource is still in its delivery equals the same event built with the resource.
@attrs.frozen(kw_only=True, weakref_slot=False, eq=False)
class ResourceEvent:
    """A resource changed: its JSON:API resource object as the API sent it.

    Only the resource document and what identifies and orders it travel here: never a
    secret or an API key, so events can cross process boundaries (Redis) safely.

    Attributes:
        type: the JSON:API type, e.g. ``"flowGenerations"``.
        id: the resource id.
        event: ``"create"``, ``"update"`` or ``"delete"``.
        resource: the resource object (``{"type", "id", "attributes", ...}``). Pass
            ``resource=None`` with a ``delivery`` to have it read from the delivery when
            first asked for (a webhook receiver does, so that a delivery nobody in its
            process waits for is never built into dicts).
        status: ``attributes.status`` when the resource has one.
        updated_at: ``attributes.updatedAt``, used to drop out-of-order states.
        delivery: the webhook delivery body the state came in (JSON whose
            ``data.attributes.resource`` is ``resource``), when it came in one: a bus
            keeps and sends these bytes as received instead of serializing ``resource``
            again. Not part of the event's equality.
    """

    type: str
    id: str
    event: str
    #: None until read when the resource is in ``delivery`` (see ``resource``).
    _resource: Mapping[str, Any] | None = attrs.field(alias="resource", repr=False)
    status: str | None = None
    updated_at: datetime | None = None
    delivery: bytes | None = attrs.field(default=None, repr=False)

    @property
    def resource(self) -> Mapping[str, Any]:
        """The resource object; read from ``delivery`` on first access when it was built
        with ``resource=None``.

        Raises:
            ValueError: built with neither a resource nor a delivery that holds one.
        """
        resource = self._resource
        if resource is None:
            resource = delivered_resource(orjson.loads(self.delivery)) if self.delivery else None
            if resource is None:
                raise ValueError(
                    "this ResourceEvent has no resource: build it with resource=... or "
                    "with the webhook delivery that holds one (delivery=...)"
                )
            object.__setattr__(self, "_resource", resource)
        return resource

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, ResourceEvent)
        return (
            self.type == other.type
            and self.id == other.id
            and self.event == other.event
            and self.status == other.status
            and self.updated_at == other.updated_at
            and self.resource == other.resource
        )

    def __hash__(self) -> int:
        # As attrs' hash of the compared fields: a TypeError for a dict resource.
        return hash((self.type, self.id, self.event, self.status, self.updated_at, self.resource))

    @property
    def key(self) -> tuple[str, str]:
        return (self.type, self.id)

    @classmethod
    def from_resource(cls, resource: Mapping[str, Any], *, event: str) -> ResourceEvent:
        """Build the event for a resource object, reading status and updatedAt from it."""
        attributes = resource.get("attributes")
        attributes = attributes if isinstance(attributes, Mapping) else {}
        status = attributes.get("status")
        updated = attributes.get("updatedAt")
        updated_at: datetime | None
        try:
            updated_at = parse_datetime(updated) if updated is not None else None
        except (TypeError, ValueError):
            updated_at = None
        return cls(
            type=str(resource["type"]),
            id=str(resource["id"]),
            event=event,
            resource=resource,
            status=status if isinstance(status, str) else None,
            updated_at=updated_at,
        )

    def is_older_than(self, other: ResourceEvent) -> bool:
        """True when this state must not replace ``other``: it is older by ``updatedAt``,
        or ``other`` is a delete (see ``recrubo_async._ordering``)."""
        return is_stale(self.event, self.updated_at, other.event, other.updated_at)

    def to_json(self) -> bytes:
        """The wire form used between processes.

        With a ``delivery``, its bytes are written as they came (``"delivery": <body>``,
        valid JSON since it was parsed as such) rather than ``"resource"`` serialized
        again: the resource is most of a delivery, and serializing it most of the cost.
        """
        head: dict[str, Any] = {
            # First, in this order: RedisBus's publish script reads the ordering from
            # the stored state's first bytes. ``ts`` is epoch seconds, so that the
            # script can order states without parsing dates.
            "event": self.event,
            "ts": self.updated_at.timestamp() if self.updated_at else None,
            "type": self.type,
            "id": self.id,
            "status": self.status,
            "updatedAt": format_datetime(self.updated_at) if self.updated_at else None,
        }
        if self.delivery is not None:
            return b"".join((orjson.dumps(head)[:-1], b',"delivery":', self.delivery, b"}"))
        head["resource"] = self.resource
        return orjson.dumps(head)

    @classmethod
    def from_json(cls, raw: bytes | str) -> ResourceEvent:
        """Parse :meth:`to_json` output; ``ValueError`` when it is not one."""
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise ValueError(f"not a resource event: {exc}") from exc
        if not isinstance(data, dict):
            raise ValueError("not a resource event: expected an object")
        resource = data.get("resource")
        if resource is None and "delivery" in data:
            resource = delivered_resource(data["delivery"])
        event = data.get("event")
        if (
            not isinstance(resource, dict)
            or not isinstance(event, str)
            or not isinstance(resource.get("type"), str)
            or not isinstance(resource.get("id"), str)
        ):
            raise ValueError("not a resource event: resource, type, id and event are required")
        return cls.from_resource(resource, event=event)


def delivered_resource(delivery: object) -> dict[str, Any] | None:
    """The resource object of a parsed webhook delivery (``data.attributes.resource``),
    or None when it has none."""
    data = delivery.get("data") if isinstance(delivery, dict) else None
    attributes = data.get("attributes") if isinstance(data, dict) else None
    resource = attributes.get("resource") if isinstance(attributes, dict) else None
    return resource if isinstance(resource, dict) else None
