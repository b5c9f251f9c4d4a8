"""Which deliveries were handled, so a redelivery runs handlers once, even across replicas.

The protocol is an atomic claim with a lease: a replica ``claim``\\ s a delivery id before
running its handlers, then marks it ``done``, or ``release``\\ s it when a handler failed so
the sender's retry runs it. A claim whose holder died expires with its lease. A check
("seen?") followed by a separate write ("seen!") is not enough: two replicas handed the
same delivery at once would both see "not yet" and both run the handlers.
"""

from __future__ import annotations

import secrets
import warnings
from contextvars import ContextVar
from typing import Literal, Protocol, runtime_checkable

from .._bounded import BoundedTTLMap, check_max_entries
from .._validate import Duration, check_duration

#: What :meth:`DedupeStore.claim` answers: ``"claimed"`` (run it, then ``done`` or
#: ``release``), ``"done"`` (handled before: a duplicate), ``"busy"`` (another holder's
#: lease is running: it is being handled right now).
Claim = Literal["claimed", "done", "busy"]

#: Recrubo retries a delivery for about 24 hours: ids are kept for twice that.
DEFAULT_TTL = 48 * 3600.0

#: What a store holds for a handled delivery id; a claim holds its token instead.
DONE = "done"

#: The claim tokens taken in this context: a request's task and the tasks it starts.
_TAKEN_HERE: ContextVar[frozenset[str]] = ContextVar("recrubo_dedupe_claims", default=frozenset())
#: Every token some store still holds. A ``done`` or ``release`` run in another task
#: (``asyncio.shield``, ``create_task``) forgets its token in that task's context copy
#: only: the claiming context drops such spent tokens when it next claims.
_LIVE: set[str] = set()


class ClaimTokens:
    """The claims a store holds, by delivery id, and which of them is the caller's.

    One store may serve several receivers in a process (say one per organization), and
    then hold two claims on one delivery: the first receiver's lease ran out while its
    handler still ran, and the second claimed it since. The claim a ``done`` or
    ``release`` acts on is the one taken in the caller's context (the request's task),
    so the first cannot free or finish the second's. A caller elsewhere gets the store's
    only claim on that id, or none when there are several (it cannot be told which).
    """

    __slots__ = ("_held",)

    def __init__(self) -> None:
        self._held: dict[str, list[str]] = {}

    def __len__(self) -> int:
        return len(self._held)

    @staticmethod
    def new() -> str:
        """A token for a claim about to be asked for, unique across replicas."""
        return f"claim:{secrets.token_hex(8)}"

    def add(self, key: str, token: str) -> None:
        """``token`` now holds ``key``, taken in the caller's context."""
        self._held.setdefault(key, []).append(token)
        _LIVE.add(token)
        here = _TAKEN_HERE.get()
        if not here <= _LIVE:
            here = frozenset(here & _LIVE)
        _TAKEN_HERE.set(here | {token})

    def take(self, key: str) -> str | None:
        """The caller's claim on ``key``, forgotten here; None when it has none."""
        tokens = self._held.get(key)
        if not tokens:
            return None
        here = _TAKEN_HERE.get()
        mine = next((token for token in tokens if token in here), None)
        if mine is None:
            if len(tokens) > 1:
                return None
            mine = tokens[0]
        else:
            _TAKEN_HERE.set(here - {mine})
        tokens.remove(mine)
        _LIVE.discard(mine)
        if not tokens:
            del self._held[key]
        return mine


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
        """Mark ``key`` handled (for the store's TTL), ending the caller's claim; a claim
        another holder took since the caller's lease ran out is left alone.

        It must take effect even when the caller stops waiting (a request cancelled at
        shutdown): else the sender's retry runs the handlers again once the lease ends.
        """
        ...

    async def release(self, key: str) -> None:
        """Give up the caller's claim on ``key`` so that a retry can claim it; a claim
        that expired and was taken by another holder is left alone.

        "The caller's claim": a store shared by several receivers of one process can hold
        two claims on one id; the built-in stores tell them apart by the request that
        took them (``contextvars``), as a store of your own shared that way must too.
        """
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
        #: id -> ``DONE``, or a claim's token (living for its lease).
        self._ids: BoundedTTLMap[str, str] = BoundedTTLMap(
            bound, check_duration("InMemoryDedupe(ttl=...)", ttl)
        )
        self._tokens = ClaimTokens()

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
        held = self._ids.get(key)
        if held is not None:
            return "done" if held == DONE else "busy"
        token = self._tokens.new()
        self._ids.put(key, token, lease)
        self._tokens.add(key, token)
        return "claimed"

    def done_now(self, key: str) -> None:
        """:meth:`done`, synchronously."""
        token = self._tokens.take(key)
        held = self._ids.get(key)
        # Another holder's claim (ours ran out and it took the id): its outcome decides.
        if held is None or held in (DONE, token):
            self._ids.put(key, DONE)

    async def release(self, key: str) -> None:
        token = self._tokens.take(key)
        if token is not None and self._ids.get(key) == token:
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
