"""``WebhookWaiter`` and ``HybridWaiter``: completion from webhook events on a bus."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator

from .._tasks import stop
from .._validate import Duration, check_duration
from ..bus import CompletionBus, ResourceEvent, Subscription
from ..models._base import Resource
from ._cleanup import cleaned_up
from ._merge import delayed, merge
from ._polling import PollingWaiter, is_transient, logger
from ._source import POLL, SAFETY_POLL, WEBHOOK, StateSource, tag

#: The least time between two "a safety poll settled a wait" warnings of one waiter.
SAFETY_POLL_WARNING_EVERY = 60.0


#: Pauses before looking again at a resource this client has not seen yet, after a look
#: failed: the first, and the longest.
LOOK_AGAIN_FIRST = 1.0
LOOK_AGAIN_MAX = 30.0

#: Bus states held back for a wait whose client has not seen the resource yet (the newest
#: are kept: the wait needs only those).
MAX_HELD = 16


async def _look(source: StateSource[Resource], delay: float = 0.0) -> Resource | None:
    """A GET after subscribing; None when it failed in a way the bus can outlive."""
    if delay:
        await asyncio.sleep(delay)
    try:
        return await source.fetch()
    except Exception as exc:
        if not is_transient(exc):
            raise
        # The bus (and any fallback poll) still settles the wait; one failed look must
        # not end it.
        logger.info("could not fetch %s %s (%s); waiting for events", *source.key, exc)
        return None


async def _next_or_look(
    sub: Subscription, look: asyncio.Task[Resource | None]
) -> ResourceEvent | None:
    """The next event, or None as soon as ``look`` is done (whichever comes first).

    The event is left in the subscription when the look wins: ``get`` is cancelled before
    it takes one (the SDK's subscriptions, like ``asyncio.Queue``, take an item only when
    their ``get`` returns).
    """
    getter = asyncio.get_running_loop().create_task(sub.get())
    try:
        await asyncio.wait((getter, look), return_when=asyncio.FIRST_COMPLETED)
    finally:
        await stop(getter)
    return None if getter.cancelled() else getter.result()


def _from_event(source: StateSource[Resource], event: ResourceEvent) -> Resource:
    """The state a bus event carries (a delete raises), tagged as a webhook's."""
    tag(source, WEBHOOK)
    return source.from_event(event)


async def _bus_states(
    bus: CompletionBus, source: StateSource[Resource]
) -> AsyncGenerator[Resource, None]:
    """Subscribe first, then look: the initial state, the bus's latest, a GET, events.

    Subscribing before looking means a change published between the create call and the
    subscription is seen (by ``latest``, or by the GET) rather than lost. The GET runs
    beside the subscription, not in front of it: an event that arrives while it is in
    flight (a slow or retried GET) is yielded at once, and when that ends the wait the
    GET is cancelled.

    Bus events carry no credentials: a webhook received for one organization would settle
    another organization's wait on the same id. So bus states reach a wait only once its
    own client has seen the resource (the create's answer, a model it passed, or this
    GET); until then they are held, and the GET is repeated (backing off) until it
    answers; they are passed on after its answer. A client that cannot see the resource
    gets what its GET says (a 404: ``ResourceDeletedError``), never another
    organization's state.
    """
    sub = await bus.subscribe(*source.key)
    look: asyncio.Task[Resource | None] | None = None
    #: Bus events waiting for this client to see the resource; None once it has.
    held: list[ResourceEvent] | None = None if source.seen else []
    try:
        if source.initial is not None:
            yield source.initial
        latest = await bus.latest(*source.key)
        if latest is not None:
            if held is None:
                yield _from_event(source, latest)
            else:
                held.append(latest)
        # The locals below are cleared once used: this frame stays parked with the wait,
        # and must not keep a state or an event it has passed on (benchmarks/waits.py).
        latest = None
        delay = 0.0
        while True:
            look = asyncio.get_running_loop().create_task(_look(source, delay))
            if not delay:
                # A look answered without I/O (a cache, a test double) ends in its first
                # step: it then needs no race, and no task and wait machinery beside the
                # subscription.
                await asyncio.sleep(0)
            while not look.done():
                event = await _next_or_look(sub, look)
                if event is None:
                    continue
                if held is None:
                    yield _from_event(source, event)
                else:
                    held.append(event)
                    del held[:-MAX_HELD]
                event = None
            tag(source, POLL)  # the look's answer, or the 404 it raises
            state = look.result()
            look = None
            if state is not None:
                # The look's answer before the states it lets through: a held state that
                # ends the wait must not hide the GET it needed (``WaitEvent.gets``).
                yield state
                state = None
                for event in held or ():
                    yield _from_event(source, event)
                held = event = None
            if held is None:
                break
            delay = min(max(delay * 2, LOOK_AGAIN_FIRST), LOOK_AGAIN_MAX)
        while True:
            yield _from_event(source, await sub.get())
    finally:
        try:
            if look is not None:
                await stop(look)
        finally:
            await cleaned_up(sub.close(), "closing the subscription to %s %s", *source.key)


class WebhookWaiter:
    """Resolves waits from webhook events published on a ``CompletionBus``.

    It GETs the resource once after subscribing (an event arriving meanwhile wins, and
    the GET is cancelled), then only listens; set ``fallback_poll_after`` to start
    polling when no event has settled the wait by then.

    Args:
        bus: the bus a ``WebhookReceiver`` publishes to (in this or another process).
        fallback_poll_after: seconds (or a ``timedelta``) after which to also poll
            (None: never); a wait it settles reports ``settled_by="safety_poll"``.
        fallback: the poller used then.
    """

    sync_create = False

    def __init__(
        self,
        bus: CompletionBus,
        *,
        fallback_poll_after: Duration | None = None,
        fallback: PollingWaiter | None = None,
    ) -> None:
        self.bus = bus
        self.fallback_poll_after = check_duration(
            f"{type(self).__name__}(fallback_poll_after=...)",
            fallback_poll_after,
            allow_zero=True,
            none_ok=True,
        )
        self.fallback = fallback or PollingWaiter()

    def __repr__(self) -> str:
        return f"WebhookWaiter(bus={self.bus!r}, fallback_poll_after={self.fallback_poll_after})"

    def observe(self, source: StateSource[Resource]) -> AsyncGenerator[Resource, None]:
        states = _bus_states(self.bus, source)
        if self.fallback_poll_after is None:
            return states
        polled = delayed(self.fallback.poll(source, origin=SAFETY_POLL), self.fallback_poll_after)
        return merge(states, polled, source=source)


class HybridWaiter(WebhookWaiter):
    """Webhooks first, with a slow backed-off poll as a safety net for lost webhooks.

    When the safety poll, not the bus, settles a wait, webhooks are being lost or sent
    elsewhere: it logs a WARNING on ``recrubo_async.waiters`` (at most once a minute per
    waiter) and counts it in ``safety_poll_settled``.

    Args:
        bus: the completion bus.
        safety_poll_interval: seconds (or a ``timedelta``) before the first safety poll,
            and between the first polls after it (growing with backoff up to
            ``max_interval``).
        max_interval: the longest gap between safety polls.
    """

    def __init__(
        self,
        bus: CompletionBus,
        *,
        safety_poll_interval: Duration = 15.0,
        max_interval: Duration = 120.0,
    ) -> None:
        every = check_duration("HybridWaiter(safety_poll_interval=...)", safety_poll_interval)
        longest = check_duration("HybridWaiter(max_interval=...)", max_interval)
        super().__init__(
            bus,
            fallback_poll_after=every,
            fallback=PollingWaiter(
                interval=every, max_interval=max(longest, every), initial_delay=0.0
            ),
        )
        self.safety_poll_interval = every
        #: Waits the safety poll settled (each one a webhook that never arrived).
        self.safety_poll_settled = 0
        self._warned_at: float | None = None
        self._on_settled = self._settled  # one bound method, not one per wait

    def __repr__(self) -> str:
        return f"HybridWaiter(bus={self.bus!r}, safety_poll_interval={self.safety_poll_interval})"

    def observe(self, source: StateSource[Resource]) -> AsyncGenerator[Resource, None]:
        polled = delayed(self.fallback.poll(source, origin=SAFETY_POLL), self.safety_poll_interval)
        return merge(_bus_states(self.bus, source), polled, settled=self._on_settled, source=source)

    def _settled(self, stream: int) -> None:
        """A wait ended on a state from stream ``stream`` (0: the bus, 1: the safety poll)."""
        if stream != 1:
            return
        self.safety_poll_settled += 1
        now = time.monotonic()
        if self._warned_at is not None and now - self._warned_at < SAFETY_POLL_WARNING_EVERY:
            return
        self._warned_at = now
        logger.warning(
            "a HybridWaiter's safety poll, not a webhook, settled a wait (%d so far): "
            "webhooks are being lost or misrouted. Check that the organization's webhookUrl "
            "points at your receiver, that the receiver publishes to the bus this worker "
            "listens on (RedisBus: the same Redis URL, db and prefix on both sides), and "
            "that `await bus.check()` succeeds on both",
            self.safety_poll_settled,
        )
