"""Remembering which deliveries were handled, so redeliveries run handlers once."""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Protocol, runtime_checkable


@runtime_checkable
class DedupeStore(Protocol):
    """Where handled delivery ids are kept (in memory by default; Redis or a database for
    several replicas)."""

    async def contains(self, key: str) -> bool: ...

    async def add(self, key: str) -> None: ...


class InMemoryDedupe:
    """A bounded, expiring set of delivery ids.

    Args:
        max_entries: the most ids kept; the oldest are forgotten first.
        ttl: seconds an id is kept. Recrubo retries a delivery for about 24 hours, so the
            default keeps ids for 48.
    """

    def __init__(self, *, max_entries: int = 100_000, ttl: float = 48 * 3600.0) -> None:
        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1; got {max_entries}")
        self._entries: OrderedDict[str, float] = OrderedDict()
        self._max = max_entries
        self._ttl = ttl

    def __len__(self) -> int:
        return len(self._entries)

    async def contains(self, key: str) -> bool:
        expires = self._entries.get(key)
        if expires is None:
            return False
        if expires < time.monotonic():
            del self._entries[key]
            return False
        return True

    async def add(self, key: str) -> None:
        self._entries[key] = time.monotonic() + self._ttl
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)
