"""``PollingWaiter``: GET with backoff; concurrent waits on one resource share one poll."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncGenerator, Hashable

from .._retry import RETRY_STATUSES
from .._tasks import stop
from .._validate import Duration, check_duration, check_factor
from ..errors import (
    APIConnectionError,
    APIStatusError,
    ClientClosedError,
    InternalServerError,
    ResourceDeletedError,
    ResponseTooLargeError,
)
from ..models._base import Resource
from ._source import POLL, StateSource, tag

logger = logging.getLogger("recrubo_async.waiters")


def is_transient(error: Exception) -> bool:
    """Whether a GET that failed after the client's own retries leaves the wait going.

    The next poll may succeed after what the client itself retries (``RETRY_STATUSES``:
    408, 429, 5xx), any other 5xx, and a lost connection.
    """
    if isinstance(error, ResponseTooLargeError):
        return False  # the same GET would get the same answer (not retried either)
    if isinstance(error, (APIConnectionError, InternalServerError)):
        return True
    return isinstance(error, APIStatusError) and error.status in RETRY_STATUSES


_Item = Resource | BaseException

#: A poll group's key: the resource, and the scope that decides what its GET can see.
_Key = tuple[str, str, Hashable]


def _own_error(error: BaseException, source: StateSource[Resource]) -> BaseException:
    """The error a poll ended with, as a fresh exception for one wait.

    Every wait raising the one shared object would add its frames to that object's
    traceback (1,000 waits: 3,000 entries), and each wait's error would be all of theirs.
    """
    if isinstance(error, ResourceDeletedError):
        fresh: BaseException = source.deleted()
        fresh.__cause__ = error.__cause__
        return fresh
    try:
        # The instance without calling __init__ (whose keyword-only arguments differ per
        # class), then its attributes: a copy that has not been raised yet.
        fresh = type(error).__new__(type(error), *error.args)
        fresh.__dict__.update(error.__dict__)
    except Exception:  # an exception class that cannot be copied: share it, as before
        return error
    fresh.__cause__ = error
    return fresh


class _PollGroup:
    """One poll loop for one resource, fanning each state out to every listener."""

    def __init__(
        self, waiter: PollingWaiter, source: StateSource[Resource], first_delay: float
    ) -> None:
        self._waiter = waiter
        self._source = source
        #: Each listening wait's queue, with the source it came with.
        self.listeners: dict[asyncio.Queue[_Item], StateSource[Resource]] = {}
        self.last: Resource | None = None
        self.task = asyncio.get_running_loop().create_task(self._run(first_delay))

    def _broadcast(self, item: _Item) -> None:
        for queue in self.listeners:
            queue.put_nowait(item)

    def _client_closed(
        self, error: ClientClosedError, failed: StateSource[Resource]
    ) -> StateSource[Resource] | None:
        """End the waits whose own client is closed; a live wait's source to poll on with.

        Waits of one scope can come from several clients (copies with another timeout,
        two clients with one key): one of them closing must not end the others' waits.
        ``failed`` is the source the GET went through: the wait it came with may have
        left (and the group moved to another source) while the GET was on its way.
        """
        if not failed.client_closed:
            # Its client says it is open, yet refused: nothing tells the waits apart.
            self._broadcast(error)
            return None
        live: StateSource[Resource] | None = None
        for queue, source in self.listeners.items():
            if source.client_closed:
                queue.put_nowait(error)
            elif live is None:
                live = source
        return live

    async def _run(self, delay: float) -> None:
        waiter = self._waiter
        interval = waiter.interval
        while True:
            if delay > 0:
                await asyncio.sleep(delay)
            waiter.polls += 1
            source = self._source
            try:
                state = await source.fetch()
            except ResourceDeletedError as exc:
                self._broadcast(exc)
                return
            except ClientClosedError as exc:
                live = self._client_closed(exc, source)
                if live is None:
                    return
                self._source = live
                delay = 0.0  # the look that failed, at once, through a live client
                continue
            except Exception as exc:
                if not is_transient(exc):  # not retryable (a 401, a decode error): end the waits
                    self._broadcast(exc)
                    return
                logger.info("poll of %s %s failed (%s); polling on", *self._source.key, exc)
            else:
                self.last = state
                self._broadcast(state)
            delay = waiter.next_delay(interval)
            interval = min(interval * waiter.backoff, waiter.max_interval)


class PollingWaiter:
    """Observes jobs by GETting them, with backoff and jitter.

    All concurrent waits on the same resource share one poll loop (single flight), so N
    waiters on one id cost one GET per interval.

    Args:
        interval: seconds between the first polls.
        max_interval: the longest gap between polls.
        backoff: how much the gap grows after each poll.
        jitter: spread of each gap, as a fraction (0.1 = +-10%).
        initial_delay: seconds before the first poll when a state is already in hand
            (the create call's answer); ``interval`` when None.
    """

    sync_create = False

    def __init__(
        self,
        *,
        interval: Duration = 1.0,
        max_interval: Duration = 30.0,
        backoff: float = 1.5,
        jitter: float = 0.1,
        initial_delay: Duration | None = None,
    ) -> None:
        every = check_duration("PollingWaiter(interval=...)", interval)
        longest = check_duration("PollingWaiter(max_interval=...)", max_interval)
        if longest < every:
            raise ValueError(
                f"PollingWaiter(max_interval=...) must be at least interval ({every:g}s); "
                f"got {longest:g}s"
            )
        first = check_duration(
            "PollingWaiter(initial_delay=...)", initial_delay, allow_zero=True, none_ok=True
        )
        self.interval = every
        self.max_interval = longest
        self.backoff = check_factor("PollingWaiter(backoff=...)", backoff, minimum=1)
        self.jitter = check_factor("PollingWaiter(jitter=...)", jitter, minimum=0, below=1)
        self.initial_delay = every if first is None else first
        self._groups: dict[_Key, _PollGroup] = {}
        #: GETs made by this waiter's poll loops (for tests and benchmarks).
        self.polls = 0

    def __repr__(self) -> str:
        return (
            f"PollingWaiter(interval={self.interval}, max_interval={self.max_interval}, "
            f"backoff={self.backoff}, jitter={self.jitter})"
        )

    @property
    def active_polls(self) -> int:
        """Poll loops running now (one per resource being waited on)."""
        return len(self._groups)

    @property
    def listeners(self) -> int:
        """Waits currently sharing this waiter's poll loops."""
        return sum(len(g.listeners) for g in self._groups.values())

    def next_delay(self, interval: float) -> float:
        if not self.jitter:
            return interval
        return interval * random.uniform(1 - self.jitter, 1 + self.jitter)

    async def observe(self, source: StateSource[Resource]) -> AsyncGenerator[Resource, None]:
        # Read before yielding it: a pending wait's source drops it once passed on.
        first_delay = 0.0 if source.initial is None else None
        if source.initial is not None:
            yield source.initial
        states = self.poll(source, first_delay=first_delay)
        try:
            async for state in states:
                yield state
                del state  # not kept while the next poll is awaited
        finally:
            # Closing this generator does not close the one it iterates: without this, the
            # poll loop would be left (and its listener dropped) only when the garbage
            # collector finalizes it, some loop iterations after the wait returned.
            await states.aclose()

    async def poll(
        self, source: StateSource[Resource], *, first_delay: float | None = None, origin: str = POLL
    ) -> AsyncGenerator[Resource, None]:
        """States from the shared poll loop of ``source`` (joined, or started).

        Each is tagged on ``source`` with ``origin`` (``"safety_poll"`` beside webhooks).
        """
        key = (source.spec.type, source.id, source.scope)
        queue: asyncio.Queue[_Item] = asyncio.Queue()
        group = self._groups.get(key)
        if group is None or group.task.done():
            delay = self.initial_delay if first_delay is None else first_delay
            group = _PollGroup(self, source, delay)
            self._groups[key] = group
        elif group.last is not None:
            queue.put_nowait(group.last)
        group.listeners[queue] = source
        try:
            while True:
                item = await queue.get()
                tag(source, origin)
                if isinstance(item, BaseException):
                    raise _own_error(item, source)
                yield item
                del item  # not kept while the next poll is awaited
        finally:
            await self._leave(key, group, queue)

    async def _leave(self, key: _Key, group: _PollGroup, queue: asyncio.Queue[_Item]) -> None:
        left = group.listeners.pop(queue, None)
        if group.listeners:
            if left is group._source:
                # Poll through a wait that is still there: the one leaving may belong to a
                # client that is about to be closed.
                sources = group.listeners.values()
                group._source = next(
                    (s for s in sources if not s.client_closed), next(iter(sources))
                )
            return
        if self._groups.get(key) is group:
            del self._groups[key]
        await stop(group.task)
