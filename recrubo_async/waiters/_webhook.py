"""``WebhookWaiter`` and ``HybridWaiter``: completion from webhook events on a bus."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from ..bus import CompletionBus
from ..models._base import Resource
from ._merge import delayed, merge
from ._polling import TRANSIENT_ERRORS, PollingWaiter, logger
from ._source import StateSource


async def _bus_states(bus: CompletionBus, source: StateSource) -> AsyncGenerator[Resource, None]:
    """Subscribe first, then look: the initial state, the bus's latest, one GET, events.

    Subscribing before looking means a change published between the create call and the
    subscription is seen (by ``latest``, or by the GET) rather than lost.
    """
    sub = await bus.subscribe(*source.key)
    try:
        if source.initial is not None:
            yield source.initial
        latest = await bus.latest(*source.key)
        if latest is not None:
            yield source.from_event(latest)
        try:
            state = await source.fetch()
        except TRANSIENT_ERRORS as exc:
            # The bus (and any fallback poll) still settles the wait; one failed look
            # must not end it.
            logger.info("could not fetch %s %s (%s); waiting for events", *source.key, exc)
        else:
            yield state
        while True:
            yield source.from_event(await sub.get())
    finally:
        await sub.close()


class WebhookWaiter:
    """Resolves waits from webhook events published on a ``CompletionBus``.

    It GETs the resource once after subscribing, then only listens; set
    ``fallback_poll_after`` to start polling when no event has settled the wait by then.

    Args:
        bus: the bus a ``WebhookReceiver`` publishes to (in this or another process).
        fallback_poll_after: seconds after which to also poll (None: never).
        fallback: the poller used then.
    """

    sync_create = False

    def __init__(
        self,
        bus: CompletionBus,
        *,
        fallback_poll_after: float | None = None,
        fallback: PollingWaiter | None = None,
    ) -> None:
        self.bus = bus
        self.fallback_poll_after = fallback_poll_after
        self.fallback = fallback or PollingWaiter()

    def __repr__(self) -> str:
        return f"WebhookWaiter(bus={self.bus!r}, fallback_poll_after={self.fallback_poll_after})"

    def observe(self, source: StateSource) -> AsyncGenerator[Resource, None]:
        states = _bus_states(self.bus, source)
        if self.fallback_poll_after is None:
            return states
        polled = delayed(self.fallback.poll(source), self.fallback_poll_after)
        return merge(states, polled)


class HybridWaiter(WebhookWaiter):
    """Webhooks first, with a slow backed-off poll as a safety net for lost webhooks.

    Args:
        bus: the completion bus.
        safety_poll_interval: seconds before the first safety poll, and between the first
            polls after it (growing with backoff up to ``max_interval``).
        max_interval: the longest gap between safety polls.
    """

    def __init__(
        self,
        bus: CompletionBus,
        *,
        safety_poll_interval: float = 15.0,
        max_interval: float = 120.0,
    ) -> None:
        super().__init__(
            bus,
            fallback_poll_after=safety_poll_interval,
            fallback=PollingWaiter(
                interval=safety_poll_interval,
                max_interval=max(max_interval, safety_poll_interval),
                initial_delay=0.0,
            ),
        )
        self.safety_poll_interval = safety_poll_interval

    def __repr__(self) -> str:
        return f"HybridWaiter(bus={self.bus!r}, safety_poll_interval={self.safety_poll_interval})"
