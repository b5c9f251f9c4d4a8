"""Subscriptions held in this process, and fan-out to them (shared by every bus)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import TracebackType

from ..errors import BusClosedError
from ._event import ResourceEvent

Key = tuple[str, str]


class LocalSubscription:
    """Events for one resource, queued for one waiter.

    A hand-rolled queue (a list made on first use and one future while waiting) instead
    of ``asyncio.Queue``: a pending wait then costs a few hundred bytes, not several KiB,
    which matters with 100,000 waits parked on one bus.
    """

    __slots__ = ("_closed", "_ended", "_items", "_on_close", "_waiter", "id", "type")

    def __init__(self, key: Key, on_close: Callable[[LocalSubscription], object]) -> None:
        # The type and id strings, not the key tuple: the strings are the wait's own, the
        # tuple would be one more object per pending wait.
        self.type, self.id = key
        self._on_close = on_close
        self._items: list[ResourceEvent] | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._closed = False
        self._ended = False

    @property
    def key(self) -> Key:
        return (self.type, self.id)

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def put(self, event: ResourceEvent) -> None:
        if self._items is None:
            self._items = [event]
        else:
            self._items.append(event)
        self._wake()

    def end(self) -> None:
        """The bus is going away: wake the waiter with ``BusClosedError``."""
        self._ended = True
        self._wake()

    @property
    def pending(self) -> int:
        """Events received and not yet taken."""
        return len(self._items) if self._items else 0

    async def get(self) -> ResourceEvent:
        while not self._items:
            if self._ended:
                raise BusClosedError("the completion bus was closed")
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._items.pop(0)

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            result = self._on_close(self)
            if asyncio.iscoroutine(result):
                await result

    async def __aenter__(self) -> LocalSubscription:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


class Fanout:
    """Local subscriptions by resource.

    Most resources have exactly one waiter, so a lone subscription is stored as itself and
    a set is made only for the second. They are filed by type, then id, so that no key
    tuple is made per resource.
    """

    def __init__(self) -> None:
        self._by_type: dict[str, dict[str, LocalSubscription | set[LocalSubscription]]] = {}
        self.count = 0

    def resources(self) -> list[Key]:
        return [(type, id) for type, by_id in self._by_type.items() for id in by_id]

    def __bool__(self) -> bool:
        return any(self._by_type.values())

    def has(self, type: str, id: str) -> bool:
        """Whether any subscription for the resource is open."""
        by_id = self._by_type.get(type)
        return by_id is not None and id in by_id

    def add(self, sub: LocalSubscription) -> bool:
        """Register ``sub``; True when it is the first for its resource."""
        self.count += 1
        by_id = self._by_type.get(sub.type)
        if by_id is None:
            by_id = self._by_type[sub.type] = {}
        current = by_id.get(sub.id)
        if current is None:
            by_id[sub.id] = sub
            return True
        if isinstance(current, set):
            current.add(sub)
        else:
            by_id[sub.id] = {current, sub}
        return False

    def remove(self, sub: LocalSubscription) -> bool:
        """Forget ``sub``; True when it was the last for its resource."""
        by_id = self._by_type.get(sub.type)
        if by_id is None:
            return False
        current = by_id.get(sub.id)
        if current is sub:
            del by_id[sub.id]
            if not by_id:
                # An empty dict per type ever seen would outlive every wait on it.
                del self._by_type[sub.type]
            self.count -= 1
            return True
        if isinstance(current, set) and sub in current:
            current.discard(sub)
            self.count -= 1
            if len(current) == 1:
                by_id[sub.id] = current.pop()
        return False

    def _subs(self, type: str, id: str) -> tuple[LocalSubscription, ...]:
        by_id = self._by_type.get(type)
        current = None if by_id is None else by_id.get(id)
        if current is None:
            return ()
        return tuple(current) if isinstance(current, set) else (current,)

    def deliver(self, event: ResourceEvent) -> None:
        for sub in self._subs(event.type, event.id):
            sub.put(event)

    def end_all(self) -> None:
        for type, id in self.resources():
            for sub in self._subs(type, id):
                sub.end()
        self._by_type.clear()
        self.count = 0
