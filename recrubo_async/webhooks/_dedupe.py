"""Which deliveries were handled, so a redelivery runs handlers once, even across replicas.

The protocol is an atomic claim with a lease: a replica ``claim``\\ s a delivery id before
running its handlers, then marks it ``done``, or ``release``\\ s it when a handler failed so
the sender's retry runs it. A claim whose holder died expires with its lease. A check
("seen?") followed by a separate write ("seen!") is not enough: two replicas handed the
same delivery at once would both see "not yet" and both run the handlers.
"""

from __future__ import annotations

import warnings
from typing import Literal, Protocol, runtime_checkable

from .._bounded import BoundedTTLMap, check_max_entries
from .._validate import Duration, check_duration

#: What :meth:`DedupeStore.claim` answers: ``"claimed"`` (run it, then ``done`` or
#: ``release``), ``"done"`` (handled before: a duplicate), ``"busy"`` (another holder's
#: lease is running: it is being handled right now).
Claim = Literal["claimed", "done", "busy"]

#: Recrubo retries a delivery for about 24 hours: ids are kept for twice that.
DEFAULT_TTL = 48 * 3600.0


@runtime_checkable
class DedupeStore(Protocol):
    """Where delivery ids are claimed and marked handled (in memory by default;
    ``RedisDedupe`` or a database for several replicas)."""

    async def claim(self, key: str, lease: float) -> Claim:
        """Atomically take ``key`` for ``lease`` seconds unless it is done or held.

        A claim that raises may still have been taken (its answer lost on the way back):
        the store frees it, or every redelivery is answered "busy" until the lease ends.
        """
        ...

    async def done(self, key: str) -> None:
        """Mark ``key`` handled (for the store's TTL), ending this store's claim."""
        ...

    async def release(self, key: str) -> None:
        """Give up this store's claim on ``key`` so that a retry can claim it; a claim
        that expired and was taken by another holder is left alone."""
        ...


class InMemoryDedupe:
    """A bounded, expiring map of delivery ids, for one process.

    Args:
        max_entries: the most ids kept; the oldest are forgotten first.
        ttl: how long a handled id is kept (seconds or a ``timedelta``). Recrubo retries a
            delivery for about 24 hours, so the default keeps ids for 48.
    """

    def __init__(self, *, max_entries: int = 100_000, ttl: Duration = DEFAULT_TTL) -> None:
        bound = check_max_entries("InMemoryDedupe(max_entries=...)", max_entries)
        #: id -> done; a claim is an entry not done yet, living for its lease.
        self._ids: BoundedTTLMap[str, bool] = BoundedTTLMap(
            bound, check_duration("InMemoryDedupe(ttl=...)", ttl)
        )

    def __len__(self) -> int:
        return len(self._ids)

    async def claim(self, key: str, lease: float) -> Claim:
        return self.claim_now(key, lease)

    async def done(self, key: str) -> None:
        self.done_now(key)

    # What ``claim`` and ``done`` do, without a coroutine: a receiver whose store is an
    # ``InMemoryDedupe`` itself (not a subclass) calls these directly.

    def claim_now(self, key: str, lease: float) -> Claim:
        """:meth:`claim`, synchronously."""
        done = self._ids.get(key)
        if done is not None:
            return "done" if done else "busy"
        self._ids.put(key, False, lease)
        return "claimed"

    def done_now(self, key: str) -> None:
        """:meth:`done`, synchronously."""
        self._ids.put(key, True)

    async def release(self, key: str) -> None:
        if self._ids.get(key) is False:
            self._ids.discard(key)


class _LegacyDedupe:
    """A store with only ``contains``/``add`` (the protocol before claims), adapted.

    Not atomic across replicas: two replicas can both see "not handled" and both run the
    handlers. Kept so existing stores work while their owners move to ``claim``.
    """

    def __init__(self, store: object) -> None:
        self._store = store

    async def claim(self, key: str, lease: float) -> Claim:
        seen: bool = await self._store.contains(key)  # type: ignore[attr-defined]
        return "done" if seen else "claimed"

    async def done(self, key: str) -> None:
        await self._store.add(key)  # type: ignore[attr-defined]

    async def release(self, key: str) -> None:
        return None


def as_dedupe_store(store: object) -> DedupeStore:
    """``store`` as a :class:`DedupeStore`, adapting (with a warning) a contains/add one."""
    if all(callable(getattr(store, name, None)) for name in ("claim", "done", "release")):
        return store  # type: ignore[return-value]
    if all(callable(getattr(store, name, None)) for name in ("contains", "add")):
        warnings.warn(
            "a dedupe store with only contains()/add() cannot stop two replicas from both "
            "handling one delivery; implement claim(key, lease), done(key) and release(key), "
            "or use RedisDedupe (the 'redis' extra)",
            DeprecationWarning,
            stacklevel=3,
        )
        return _LegacyDedupe(store)
    raise TypeError(
        "WebhookReceiver(dedupe=...) needs a DedupeStore: an object with async "
        f"claim(key, lease), done(key) and release(key); got {type(store).__name__}"
    )
