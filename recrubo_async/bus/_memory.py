"""``InMemoryBus``: the completion bus for one process."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict

from .._validate import Duration, check_duration
from ._event import ResourceEvent
from ._local import BusCheckError, Fanout, Key, LocalSubscription

#: The resource type of ``check()``'s private subscription: no JSON:API type looks like it.
_CHECK_TYPE = "recrubo.bus-check"


class InMemoryBus:
    """Delivers events to subscribers in this process and remembers the latest per resource.

    Args:
        max_latest: how many resources' latest states to remember (oldest forgotten first).
        latest_ttl: how long a remembered state stays valid: seconds or a ``timedelta``.

    Raises:
        ValueError: ``latest_ttl`` NaN, infinite, zero or negative; ``max_latest`` below 1.
    """

    def __init__(self, *, max_latest: int = 100_000, latest_ttl: Duration = 3600.0) -> None:
        if isinstance(max_latest, bool) or not isinstance(max_latest, int) or max_latest < 1:
            raise ValueError(f"InMemoryBus(max_latest=...) must be 1 or more; got {max_latest!r}")
        ttl = check_duration("InMemoryBus(latest_ttl=...)", latest_ttl)
        self._fanout = Fanout()
        # One bound method for every subscription, rather than one made per subscribe.
        self._remove = self._fanout.remove
        self._latest: OrderedDict[Key, tuple[float, ResourceEvent]] = OrderedDict()
        self._max_latest = max_latest
        self._ttl = ttl

    def __repr__(self) -> str:
        return f"InMemoryBus(subscriptions={self.subscription_count})"

    @property
    def subscription_count(self) -> int:
        """Open subscriptions (all resources); zero when every waiter has cleaned up."""
        return self._fanout.count

    async def publish(self, event: ResourceEvent) -> bool:
        """Remember and deliver ``event``; False (and nothing done) when it is older than
        the remembered state, or an update after a delete."""
        key = event.key
        current = self._get_latest(key)
        if current is not None and event.is_older_than(current):
            return False
        self._latest[key] = (time.monotonic() + self._ttl, event)
        self._latest.move_to_end(key)
        while len(self._latest) > self._max_latest:
            self._latest.popitem(last=False)
        self._fanout.deliver(event)
        return True

    async def subscribe(self, type: str, id: str) -> LocalSubscription:
        sub = LocalSubscription((type, id), self._remove)
        self._fanout.add(sub)
        return sub

    async def latest(self, type: str, id: str) -> ResourceEvent | None:
        return self._get_latest((type, id))

    async def check(self, timeout: Duration = 5.0) -> float:
        """A delivery through this bus to a private subscription: the seconds it took.

        The same call as ``RedisBus.check()``, so a health endpoint need not know which bus
        it has; here it only proves the bus is open and the event loop responsive.

        Raises:
            BusCheckError: no delivery within ``timeout``.
        """
        limit = check_duration("InMemoryBus.check(timeout=...)", timeout)
        loop = asyncio.get_running_loop()
        started = loop.time()
        probe = ResourceEvent(
            type=_CHECK_TYPE, id="probe", event="check", resource={"type": _CHECK_TYPE}
        )
        async with await self.subscribe(_CHECK_TYPE, "probe") as sub:
            self._fanout.deliver(probe)
            try:
                await asyncio.wait_for(sub.get(), limit)
            except asyncio.TimeoutError:
                raise BusCheckError(
                    f"InMemoryBus.check: no delivery within {limit:g} s; is the event loop blocked?"
                ) from None
        return loop.time() - started

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
