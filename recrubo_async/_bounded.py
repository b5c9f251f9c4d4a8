"""``BoundedTTLMap``: a dict that holds at most N entries, each until it expires.

Used wherever the SDK remembers something per resource or per delivery for a while: the
latest states of ``InMemoryBus``, the delivery ids of ``InMemoryDedupe``, the newest
states a ``WebhookReceiver`` has seen. Memory stays bounded however many keys arrive.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


def check_max_entries(what: str, value: object) -> int:
    """``value`` as a bound of entries; ``ValueError`` (naming ``what``) unless an int >= 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{what} must be 1 or more; got {value!r}")
    return value


class BoundedTTLMap(Generic[K, V]):
    """At most ``max_entries`` keys; a write makes its key the newest, and past the bound
    the least recently written key is forgotten. An entry read after its expiry is
    dropped and reads as missing.

    Args:
        max_entries: how many keys are kept.
        ttl: seconds an entry lives unless :meth:`put` says otherwise (default: forever).

    Values are never ``None``: :meth:`get` answers ``None`` for "not here".
    """

    __slots__ = ("_entries", "max_entries", "ttl")

    def __init__(self, max_entries: int, ttl: float = math.inf) -> None:
        #: key -> (expiry on the monotonic clock, value), oldest write first.
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self.max_entries = max_entries
        self.ttl = ttl

    def __len__(self) -> int:
        """Entries held, expired ones not yet read included."""
        return len(self._entries)

    def get(self, key: K) -> V | None:
        """The value for ``key``, or None when absent or expired (then it is dropped)."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] < time.monotonic():
            del self._entries[key]
            return None
        return entry[1]

    def fresh(self, key: K) -> V | None:
        """The value for ``key`` unless absent or expired, like :meth:`get`, but an expired
        entry is kept (see :meth:`peek`)."""
        entry = self._entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def peek(self, key: K) -> tuple[float, V] | None:
        """``key``'s (expiry on the monotonic clock, value), expired or not; nothing is
        dropped, so a caller can still order by a value it no longer hands out."""
        return self._entries.get(key)

    def put(self, key: K, value: V, ttl: float | None = None) -> None:
        """Store ``value`` for ``ttl`` seconds (the map's own by default), as the newest."""
        entries = self._entries
        entries[key] = (time.monotonic() + (self.ttl if ttl is None else ttl), value)
        entries.move_to_end(key)
        while len(entries) > self.max_entries:
            entries.popitem(last=False)

    def discard(self, key: K) -> None:
        """Forget ``key`` if held."""
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()
