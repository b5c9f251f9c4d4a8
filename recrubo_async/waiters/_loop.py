"""The wait loop: consume a waiter's states until ``until``, a failure, or the deadline."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import TypeVar, cast

from ..errors import JobFailedError
from ..models._base import Resource
from ._deadline import COUNTS_CANCELS, Deadline, raise_timeout, timed_out, with_wait_for
from ._protocol import CompletionWaiter
from ._source import StateSource
from ._tracker import Tracker

_M = TypeVar("_M", bound=Resource)

#: Called with each distinct status as it is first seen; may be sync or async.
OnStatus = Callable[[str | None, Resource], Awaitable[None] | None]


def _observe(waiter: CompletionWaiter, source: StateSource[_M]) -> AsyncGenerator[_M, None]:
    """``waiter.observe(source)``, typed as the source's model.

    A waiter yields only the states its source gave it (``initial``, ``fetch()``,
    ``from_event()``). ``CompletionWaiter.observe`` does not say so (it is not generic), so
    that waiters written against it, taking and yielding ``Resource``, still type-check.
    """
    return cast("AsyncGenerator[_M, None]", waiter.observe(source))


async def run_wait(
    waiter: CompletionWaiter,
    source: StateSource[_M],
    *,
    until: str,
    timeout: float | None,
    on_status: OnStatus | None = None,
    _tracker: Tracker | None = None,
) -> _M:
    """Wait until ``source`` satisfies ``until``.

    Raises:
        JobFailedError: the job reached a failure state.
        ResourceDeletedError: the resource was deleted.
        WaitTimeoutError: ``timeout`` seconds passed (``last_seen`` is the newest state).
    """
    spec = source.spec
    satisfied = spec.untils[until]
    # The timeout is the tracker itself (one timer handle, no task or context manager),
    # and the loop runs in this frame: one coroutine per wait.
    deadline = Deadline(source, timeout) if timeout is not None and COUNTS_CANCELS else None
    tracker = deadline or (Tracker(source) if _tracker is None else _tracker)
    if timeout is not None and deadline is None:  # pragma: no cover - Python 3.10
        inner = run_wait(
            waiter, source, until=until, timeout=None, on_status=on_status, _tracker=tracker
        )
        return await with_wait_for(inner, source, until, timeout, tracker)
    try:
        # try/finally rather than contextlib.aclosing: one object less per parked wait.
        states = _observe(waiter, source)
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
    except asyncio.CancelledError as exc:
        if timeout is None or deadline is None or not deadline.cancelled_the_task():
            raise
        try:
            raise_timeout(exc)
        except TimeoutError as timeout_exc:
            raise timed_out(source, until, timeout, tracker.last) from timeout_exc
    except asyncio.TimeoutError as exc:
        if timeout is None or (deadline is not None and not deadline.expired):
            # A timeout inside the wait (an on_status callback's, say), not the wait's own.
            raise
        raise timed_out(source, until, timeout, tracker.last) from exc
    finally:
        if deadline is not None:
            deadline.stop()


async def watch_states(
    waiter: CompletionWaiter, source: StateSource[_M]
) -> AsyncGenerator[_M, None]:
    """Each distinct status as it is first seen, ending after a terminal state."""
    tracker = Tracker(source)
    async with contextlib.aclosing(_observe(waiter, source)) as states:
        async for state in states:
            if not tracker.accept(state) or tracker.changed(state) is False:
                continue
            yield state
            if source.spec.terminal(state):
                return
