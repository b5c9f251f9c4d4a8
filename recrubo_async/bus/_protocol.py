"""The ``CompletionBus`` protocol: how resource state changes reach waiters."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, runtime_checkable

from ._event import ResourceEvent


@runtime_checkable
class Subscription(Protocol):
    """Events for one (type, id), in arrival order, until closed."""

    async def get(self) -> ResourceEvent:
        """Wait for the next event."""
        ...

    async def close(self) -> None:
        """Stop receiving; idempotent. Frees everything the subscription held in this
        process at once; a bus may tell its server in the background (``RedisBus``
        unsubscribes within about 50 ms). Must end, also when cancelled: a cancelled wait
        ends once its subscription is closed. A ``WebhookWaiter`` closes in the awaiting
        task, where a cancellation can cut the close short: free what is local before the
        first ``await``, as the SDK's buses do."""
        ...

    async def __aenter__(self) -> Subscription: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


@runtime_checkable
class CompletionBus(Protocol):
    """Carries resource state changes from webhook receivers to waiters.

    Receivers ``publish``; waiters ``subscribe`` to a (type, id) *before* they look at the
    resource, then call ``latest`` so that a change published in between is not missed.
    Implementations keep one ordering rule: a state older (by ``updatedAt``) than the one
    they hold is dropped, and after a delete only another (not older) delete is taken. A
    state with no ``updatedAt`` cannot be placed in time and is taken (not after a delete).
    """

    async def publish(self, event: ResourceEvent) -> bool | None:
        """Deliver ``event`` to the subscribers of its (type, id) and remember it.

        Returns whether the state was accepted as the newest: False when a newer state (or
        a delete) is already held and ``event`` was dropped. The webhook receiver then
        answers ``stale`` without dispatching it, whichever replica held the newer state.
        ``None`` (a bus written before this was asked) counts as accepted.
        """
        ...

    async def subscribe(self, type: str, id: str) -> Subscription:
        """Start receiving events for one resource."""
        ...

    async def latest(self, type: str, id: str) -> ResourceEvent | None:
        """The newest event published for the resource (if still remembered)."""
        ...

    async def aclose(self) -> None:
        """Release connections and end every open subscription."""
        ...
