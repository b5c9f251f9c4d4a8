"""``InMemoryBus``: the completion bus for one process."""

from __future__ import annotations

import time
from collections import OrderedDict

from ._event import ResourceEvent
from ._local import Fanout, Key, LocalSubscription


class InMemoryBus:
    """Delivers events to subscribers in this process and remembers the latest per resource.

    Args:
        max_latest: how many resources' latest states to remember (oldest forgotten first).
        latest_ttl: seconds a remembered state stays valid.
    """

    def __init__(self, *, max_latest: int = 100_000, latest_ttl: float = 3600.0) -> None:
        self._fanout = Fanout()
        # One bound method for every subscription, rather than one made per subscribe.
        self._remove = self._fanout.remove
        self._latest: OrderedDict[Key, tuple[float, ResourceEvent]] = OrderedDict()
        self._max_latest = max_latest
        self._ttl = latest_ttl

    def __repr__(self) -> str:
        return f"InMemoryBus(subscriptions={self.subscription_count})"

    @property
    def subscription_count(self) -> int:
        """Open subscriptions (all resources); zero when every waiter has cleaned up."""
        return self._fanout.count

    async def publish(self, event: ResourceEvent) -> None:
        key = event.key
        current = self._get_latest(key)
        if current is not None and event.is_older_than(current):
            return
        self._latest[key] = (time.monotonic() + self._ttl, event)
        self._latest.move_to_end(key)
        while len(self._latest) > self._max_latest:
            self._latest.popitem(last=False)
        self._fanout.deliver(event)

    async def subscribe(self, type: str, id: str) -> LocalSubscription:
        sub = LocalSubscription((type, id), self._remove)
        self._fanout.add(sub)
        return sub

    async def latest(self, type: str, id: str) -> ResourceEvent | None:
        return self._get_latest((type, id))

    async def aclose(self) -> None:
        self._fanout.end_all()
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
