"""Running a wait: consume a waiter's states until ``until``, a failure, or the deadline."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import datetime
from typing import Any

from ..errors import JobFailedError, WaitTimeoutError
from ..models._base import Resource
from ._protocol import CompletionWaiter
from ._source import StateSource

#: Called with each distinct status as it is first seen; may be sync or async.
OnStatus = Callable[[str | None, Resource], Awaitable[None] | None]


def _updated_at(resource: Resource) -> datetime | None:
    value = resource.attribute("updatedAt")
    return value if isinstance(value, datetime) else None


def _is_older(state: Resource, than: Resource | None) -> bool:
    if than is None:
        return False
    new, old = _updated_at(state), _updated_at(than)
    return new is not None and old is not None and new < old


# asyncio.timeout (3.11+) costs a timer handle, not a task, which matters at 100k waits.
_timeout: Callable[[float | None], contextlib.AbstractAsyncContextManager[Any]] | None = getattr(
    asyncio, "timeout", None
)
#: The "deadline" of a wait without one: a do-nothing context, shared by every such wait.
_NO_DEADLINE: contextlib.AbstractAsyncContextManager[Any] = contextlib.nullcontext()
#: ``_Tracker.last_label`` before any state: equal to no label.
_NO_LABEL = object()


class _Tracker:
    """The newest state seen, and status changes reported once each."""

    __slots__ = ("last", "last_label", "source")

    def __init__(self, source: StateSource) -> None:
        self.source = source
        self.last: Resource | None = None
        self.last_label: object = _NO_LABEL

    def accept(self, state: Resource) -> bool:
        """Record ``state``; False when it is older than one already seen."""
        if _is_older(state, self.last):
            return False
        self.last = state
        return True

    def changed(self, state: Resource) -> str | bool | None:
        label = self.source.spec.label(state)
        if label == self.last_label:
            return False
        self.last_label = label
        return label


async def run_wait(
    waiter: CompletionWaiter,
    source: StateSource,
    *,
    until: str,
    timeout: float | None,
    on_status: OnStatus | None = None,
    _tracker: _Tracker | None = None,
) -> Resource:
    """Wait until ``source`` satisfies ``until``.

    Raises:
        JobFailedError: the job reached a failure state.
        ResourceDeletedError: the resource was deleted.
        WaitTimeoutError: ``timeout`` seconds passed (``last_seen`` is the newest state).
    """
    spec = source.spec
    satisfied = spec.untils[until]
    tracker = _Tracker(source) if _tracker is None else _tracker
    deadline: Any = _NO_DEADLINE
    try:
        if timeout is not None and _timeout is None:  # pragma: no cover - Python 3.10
            inner = run_wait(
                waiter, source, until=until, timeout=None, on_status=on_status, _tracker=tracker
            )
            return await asyncio.wait_for(inner, timeout)
        # The loop runs in this frame (one coroutine per wait, not two), under a timer
        # handle rather than the extra task wait_for would make.
        deadline = _NO_DEADLINE if timeout is None or _timeout is None else _timeout(timeout)
        async with deadline:
            # try/finally rather than contextlib.aclosing: one object less per parked wait.
            states = waiter.observe(source)
            try:
                async for state in states:
                    if not tracker.accept(state):
                        continue
                    label = tracker.changed(state)
                    if label is not False and on_status is not None:
                        result = on_status(label if isinstance(label, str) else None, state)
                        if inspect.isawaitable(result):
                            await result
                    if spec.failed(state):
                        raise JobFailedError(
                            f"{spec.type} {source.id} ended in {spec.label(state)!r}",
                            resource=state,
                        )
                    if satisfied(state):
                        return state
            finally:
                await states.aclose()
        raise RuntimeError(f"{waiter!r} stopped observing before the wait was over")
    except asyncio.TimeoutError as exc:
        if timeout is None or (deadline is not _NO_DEADLINE and not deadline.expired()):
            # A timeout inside the wait (an on_status callback's, say), not the wait's own.
            raise
        seen = spec.label(tracker.last) if tracker.last is not None else "nothing yet"
        raise WaitTimeoutError(
            f"{spec.type} {source.id} did not reach {until!r} within {timeout:g}s "
            f"(last seen: {seen}); wait longer with timeout=, or resume later with a WaitToken",
            last_seen=tracker.last,
        ) from exc


async def watch_states(
    waiter: CompletionWaiter, source: StateSource
) -> AsyncGenerator[Resource, None]:
    """Each distinct status as it is first seen, ending after a terminal state."""
    tracker = _Tracker(source)
    async with contextlib.aclosing(waiter.observe(source)) as states:
        async for state in states:
            if not tracker.accept(state) or tracker.changed(state) is False:
                continue
            yield state
            if source.spec.terminal(state):
                return
