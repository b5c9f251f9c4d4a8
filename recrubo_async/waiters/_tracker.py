"""What a wait has seen: the newest state, and each status change reported once.

While a wait is pending it keeps, of the newest state, only what it decides by: its
``status`` and ``updatedAt`` (``Tracker.park``). With 100,000 waits parked, each keeping
the whole document of its last GET (a flow generation's parameters and context: about
4 KB parsed) cost more than the rest of the wait together (see benchmarks/waits.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar, cast

from .._ordering import is_stale
from ..models._base import GenericResource, Resource, attribute_fields, wire_name_of
from ._source import StateSource

_R = TypeVar("_R", bound=Resource)

#: The attributes a pending wait keeps of its newest state (wire names).
KEPT = ("status", "updatedAt")


def _is_older(updated: object, than: object) -> bool:
    # A state read from the API is never a delete (that is a 404, handled elsewhere).
    return is_stale(
        "update",
        updated if isinstance(updated, datetime) else None,
        "update",
        than if isinstance(than, datetime) else None,
    )


def summary_of(cls: type[_R], id: str, type: str, status: object, updated: object) -> _R:
    """A model of class ``cls`` with only ``id``, ``status`` and ``updatedAt`` set.

    What ``WaitTimeoutError.last_seen`` is: the newest state as its pending wait kept it.
    A value the model has no field for is put in ``extra`` under its wire name.
    """
    pairs = zip(KEPT, (status, updated), strict=True)
    kept = {wire: value for wire, value in pairs if value is not None}
    if issubclass(cls, GenericResource):
        return cast(_R, GenericResource(id=id, type=type, attributes=kept))
    values: dict[str, Any] = {}
    for field in attribute_fields(cls):
        wire = wire_name_of(field)
        if wire in kept:
            values[field.name] = kept.pop(wire)
    if kept:
        values["extra"] = kept
    if type != cls.TYPE:  # else the model's own (shared) type string
        values["type"] = type
    return cls(id=id, **values)


def pending_view(state: _R, id: str) -> _R:
    """What a pending wait keeps of ``state``, as ``WaitTimeoutError.last_seen`` shows it.

    The same model with the id (the wait's own string when equal), ``status`` and
    ``updatedAt``; not its other attributes (parameters, context, a run's state, an
    analysis result), relationships, links or meta. The state a wait returns, and the ones
    ``on_status`` and ``watch`` are given, are whole.
    """
    return summary_of(
        type(state),
        id if state.id == id else state.id,
        state.type,
        state.attribute("status"),
        state.attribute("updatedAt"),
    )


#: ``Tracker.last_label`` before any state: equal to no label.
_NO_LABEL = object()


class Tracker:
    """The newest state seen, and status changes reported once each.

    ``_state`` is the newest state while the wait looks at it; once the wait goes on
    (``park``) only the state's class, status and ``updatedAt`` are kept, and ``last``
    rebuilds their summary when asked (at a timeout).
    """

    __slots__ = ("_state", "_status", "_updated", "last_label", "source")

    def __init__(self, source: StateSource[Any]) -> None:
        self.source = source
        #: None before any state; the newest state; or, once parked, its class.
        self._state: Resource | type[Resource] | None = None
        self._status: object = None
        self._updated: object = None
        #: The label of the newest state (taken from the whole state, by ``changed``).
        self.last_label: object = _NO_LABEL

    @property
    def last(self) -> Resource | None:
        """The newest state: whole until the wait parks, then its ``pending_view``."""
        state = self._state
        if state is None or isinstance(state, Resource):
            return state
        return summary_of(state, self.source.id, self.source.spec.type, self._status, self._updated)

    def accept(self, state: Resource) -> bool:
        """Record ``state``; False when it is older than one already seen."""
        updated = state.attribute("updatedAt")
        if self._state is not None and _is_older(updated, self._updated):
            return False
        self._state = state
        self._status = state.attribute("status")
        self._updated = updated
        return True

    def changed(self, state: Resource) -> str | bool | None:
        """The state's label when it differs from the last one seen, else False."""
        label = self.source.spec.label(state)
        if label == self.last_label:
            return False
        self.last_label = label
        return label

    def park(self) -> None:
        """The newest state did not end the wait: keep only its class, status and time.

        A source that holds the create's answer (``initial``) may drop it now, through an
        optional ``forget_initial()`` (the SDK's own sources have one): every waiter reads
        ``initial`` before anything else, so it is not needed again.
        """
        state = self._state
        if isinstance(state, Resource):
            self._state = type(state)
        forget = getattr(self.source, "forget_initial", None)
        if forget is not None:
            forget()

    def seen_label(self) -> object:
        """The newest state's label, as a timeout's message shows it."""
        if self._state is None:
            return "nothing yet"
        if self.last_label is _NO_LABEL:  # accepted, not yet labelled: label it now
            last = self.last
            return None if last is None else self.source.spec.label(last)
        return self.last_label
