"""Subscriptions held in this process, and fan-out to them (shared by every bus)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import TracebackType

from ..errors import RecruboError
from ._event import ResourceEvent

Key = tuple[str, str]


class BusClosedError(RecruboError):
    """The completion bus was closed while a subscription was waiting on it."""


class _Closed:
    __slots__ = ()


_CLOSED = _Closed()


class LocalSubscription:
    """Events for one resource, queued for one waiter."""

    __slots__ = ("_closed", "_on_close", "_queue", "key")

    def __init__(self, key: Key, on_close: Callable[[LocalSubscription], object]) -> None:
        self.key = key
        self._on_close = on_close
        self._queue: asyncio.Queue[ResourceEvent | _Closed] = asyncio.Queue()
        self._closed = False

    def put(self, event: ResourceEvent) -> None:
        self._queue.put_nowait(event)

    def end(self) -> None:
        """The bus is going away: wake the waiter with ``BusClosedError``."""
        self._queue.put_nowait(_CLOSED)

    async def get(self) -> ResourceEvent:
        item = await self._queue.get()
        if isinstance(item, _Closed):
            self._queue.put_nowait(item)
            raise BusClosedError("the completion bus was closed")
        return item

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
    """Local subscriptions by resource."""

    def __init__(self) -> None:
        self.by_key: dict[Key, set[LocalSubscription]] = {}

    @property
    def count(self) -> int:
        return sum(len(subs) for subs in self.by_key.values())

    def add(self, sub: LocalSubscription) -> bool:
        """Register ``sub``; True when it is the first for its resource."""
        subs = self.by_key.get(sub.key)
        if subs is None:
            self.by_key[sub.key] = {sub}
            return True
        subs.add(sub)
        return False

    def remove(self, sub: LocalSubscription) -> bool:
        """Forget ``sub``; True when it was the last for its resource."""
        subs = self.by_key.get(sub.key)
        if subs is None:
            return False
        subs.discard(sub)
        if subs:
            return False
        del self.by_key[sub.key]
        return True

    def deliver(self, event: ResourceEvent) -> None:
        for sub in tuple(self.by_key.get(event.key, ())):
            sub.put(event)

    def end_all(self) -> None:
        for subs in self.by_key.values():
            for sub in subs:
                sub.end()
        self.by_key.clear()
