"""``InMemoryBus``: the completion bus for one process."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from types import TracebackType

from ._event import ResourceEvent

Key = tuple[str, str]


class _MemorySubscription:
    __slots__ = ("_bus", "_closed", "_key", "_queue")

    def __init__(self, bus: InMemoryBus, key: Key) -> None:
        self._bus = bus
        self._key = key
        self._queue: asyncio.Queue[ResourceEvent] = asyncio.Queue()
        self._closed = False

    def _put(self, event: ResourceEvent) -> None:
        self._queue.put_nowait(event)

    async def get(self) -> ResourceEvent:
        return await self._queue.get()

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._bus._remove(self._key, self)

    async def __aenter__(self) -> _MemorySubscription:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


class InMemoryBus:
    """Delivers events to subscribers in this process and remembers the latest per resource.

    Args:
        max_latest: how many resources' latest states to remember (oldest forgotten first).
        latest_ttl: seconds a remembered state stays valid.
    """

    def __init__(self, *, max_latest: int = 100_000, latest_ttl: float = 3600.0) -> None:
        self._subscribers: dict[Key, set[_MemorySubscription]] = {}
        self._latest: OrderedDict[Key, tuple[float, ResourceEvent]] = OrderedDict()
        self._max_latest = max_latest
        self._ttl = latest_ttl

    @property
    def subscription_count(self) -> int:
        """Open subscriptions (all resources); zero when every waiter has cleaned up."""
        return sum(len(subs) for subs in self._subscribers.values())

    async def publish(self, event: ResourceEvent) -> None:
        key = event.key
        current = self._get_latest(key)
        if current is not None and event.is_older_than(current):
            return
        self._latest[key] = (time.monotonic() + self._ttl, event)
        self._latest.move_to_end(key)
        while len(self._latest) > self._max_latest:
            self._latest.popitem(last=False)
        for sub in tuple(self._subscribers.get(key, ())):
            sub._put(event)

    async def subscribe(self, type: str, id: str) -> _MemorySubscription:
        key = (type, id)
        sub = _MemorySubscription(self, key)
        self._subscribers.setdefault(key, set()).add(sub)
        return sub

    async def latest(self, type: str, id: str) -> ResourceEvent | None:
        return self._get_latest((type, id))

    async def aclose(self) -> None:
        for subs in list(self._subscribers.values()):
            for sub in list(subs):
                await sub.close()
        self._latest.clear()

    def _get_latest(self, key: Key) -> ResourceEvent | None:
        entry = self._latest.get(key)
        if entry is None:
            return None
        expires, event = entry
        if expires < time.monotonic():
            del self._latest[key]
            return None
        return event

    def _remove(self, key: Key, sub: _MemorySubscription) -> None:
        subs = self._subscribers.get(key)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._subscribers[key]
