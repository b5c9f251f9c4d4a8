"""``InMemoryBus``: the completion bus for one process."""

from __future__ import annotations

import asyncio
from datetime import datetime

import orjson

from .._bounded import BoundedTTLMap, check_max_entries
from .._ordering import is_stale
from .._validate import Duration, check_duration
from ..errors import BusCheckError
from ._event import ResourceEvent, delivered_resource
from ._local import Fanout, Key, LocalSubscription

#: The resource type of ``check()``'s private subscription: no JSON:API type looks like it.
_CHECK_TYPE = "recrubo.bus-check"

#: A remembered state: (event, updatedAt, status, JSON, whether that JSON is the webhook
#: delivery the state came in rather than the resource alone). Only atomic values, so
#: CPython's cyclic GC stops tracking it; the parsed resource would be a couple of dozen
#: tracked containers per resource, walked by every full collection.
_Held = tuple[str, datetime | None, str | None, bytes, bool]

#: Anything that would not come back from JSON as it went in raises instead (and the
#: event is then kept as it is).
_EXACT_JSON = (
    orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


class InMemoryBus:
    """Delivers events to subscribers in this process and remembers the latest per resource.

    Args:
        max_latest: how many resources' latest states to remember (oldest forgotten first).
        latest_ttl: how long a remembered state stays valid: seconds or a ``timedelta``.
            Past it, :meth:`latest` no longer gives it back, but :meth:`publish` still
            refuses an older state (until ``max_latest`` forgets it): Recrubo retries a
            delivery for about 24 hours, and a receiver orders by this bus.

    Raises:
        ValueError: ``latest_ttl`` NaN, infinite, zero or negative; ``max_latest`` below 1.
    """

    def __init__(self, *, max_latest: int = 100_000, latest_ttl: Duration = 3600.0) -> None:
        # The latest states are read back rarely (once as a wait starts), written on every
        # publish: they are kept as JSON and parsed again by latest().
        self._latest: BoundedTTLMap[Key, _Held | ResourceEvent] = BoundedTTLMap(
            check_max_entries("InMemoryBus(max_latest=...)", max_latest),
            check_duration("InMemoryBus(latest_ttl=...)", latest_ttl),
        )
        self._fanout = Fanout()
        # One bound method for every subscription, rather than one made per subscribe.
        self._remove = self._fanout.remove

    def __repr__(self) -> str:
        return f"InMemoryBus(subscriptions={self.subscription_count})"

    @property
    def subscription_count(self) -> int:
        """Open subscriptions (all resources); zero when every waiter has cleaned up."""
        return self._fanout.count

    async def publish(self, event: ResourceEvent) -> bool:
        """Remember and deliver ``event``; False (and nothing done) when it is older than
        the remembered state, or an update after a delete."""
        return self.publish_now(event)

    def publish_now(self, event: ResourceEvent) -> bool:
        """:meth:`publish` without a coroutine, for callers in this process (a webhook
        receiver): the same answer and the same effect, decided before it returns."""
        key = (event.type, event.id)
        # Expired or not: the TTL bounds what latest() gives back, not the ordering.
        entry = self._latest.peek(key)
        if entry is not None:
            held = entry[1]
            if isinstance(held, ResourceEvent):
                held_event, held_updated_at = held.event, held.updated_at
            else:
                held_event, held_updated_at = held[0], held[1]
            if is_stale(event.event, event.updated_at, held_event, held_updated_at):
                return False
        self._latest.put(key, _hold(event))
        if self._fanout.count:  # no lookups when nobody waits in this process
            self._fanout.deliver(event)
        return True

    async def subscribe(self, type: str, id: str) -> LocalSubscription:
        sub = LocalSubscription((type, id), self._remove)
        self._fanout.add(sub)
        return sub

    async def latest(self, type: str, id: str) -> ResourceEvent | None:
        # Read without dropping an expired state: publish still orders by it.
        held = self._latest.fresh((type, id))
        if held is None or isinstance(held, ResourceEvent):
            return held
        event, updated_at, status, raw, is_delivery = held
        parsed = orjson.loads(raw)
        if is_delivery:
            # A receiver's event always has one; an event made by hand with a
            # ``delivery`` that holds none is a state this bus cannot give back.
            parsed = delivered_resource(parsed)
            if parsed is None:
                return None
        return ResourceEvent(
            type=type,
            id=id,
            event=event,
            resource=parsed,
            status=status,
            updated_at=updated_at,
        )

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


def _hold(event: ResourceEvent) -> _Held | ResourceEvent:
    """What :class:`InMemoryBus` keeps of ``event``: its JSON form where it has one.

    The webhook delivery it came in, when it did: those bytes exist already, where
    serializing the resource again costs about as much as the rest of a publish.
    """
    if event.delivery is not None:
        return (event.event, event.updated_at, event.status, event.delivery, True)
    try:
        resource = orjson.dumps(event.resource, option=_EXACT_JSON)
    except TypeError:
        return event  # not plain JSON (a hand-made event): kept as it is
    # A copy: orjson's result keeps the whole buffer it grew into (16 KiB for a 2.4 KB
    # resource), which would be held here for every remembered resource.
    return (event.event, event.updated_at, event.status, bytes(memoryview(resource)), False)
