"""What a wait has seen: the newest state, and each status change reported once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .._ordering import is_stale
from ..models._base import Resource
from ._source import StateSource


def _updated_at(resource: Resource) -> datetime | None:
    value = resource.attribute("updatedAt")
    return value if isinstance(value, datetime) else None


def _is_older(state: Resource, than: Resource | None) -> bool:
    # A state read from the API is never a delete (that is a 404, handled elsewhere).
    if than is None:
        return False
    return is_stale("update", _updated_at(state), "update", _updated_at(than))


#: ``Tracker.last_label`` before any state: equal to no label.
_NO_LABEL = object()


class Tracker:
    """The newest state seen, and status changes reported once each."""

    __slots__ = ("last", "last_label", "source")

    def __init__(self, source: StateSource[Any]) -> None:
        self.source = source
        self.last: Resource | None = None
        self.last_label: object = _NO_LABEL

    def accept(self, state: Resource) -> bool:
        """Record ``state``; False when it is older than one already seen."""
        if _is_older(state, self.last):
            return False
        self.last = state
        return True

    def changed(self, state: Resource) -> str | bool | None:
        """The state's label when it differs from the last one seen, else False."""
        label = self.source.spec.label(state)
        if label == self.last_label:
            return False
        self.last_label = label
        return label
