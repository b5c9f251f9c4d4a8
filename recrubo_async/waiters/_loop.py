"""Running a wait: consume a waiter's states until ``until``, a failure, or the deadline."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import inspect
import sys
import threading
from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import datetime
from typing import Any, NoReturn, Protocol, cast

from ..errors import JobFailedError, WaitTimeoutError
from ..models._base import Resource
from ._conditions import JobSpec
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


#: Whether tasks count cancellation requests (3.11+), which telling a wait's own timeout
#: from a cancellation of the waiting task needs.
_COUNTS_CANCELS = sys.version_info >= (3, 11)


class _Task(Protocol):
    """The parts of ``asyncio.Task`` (3.11+) a deadline uses."""

    def cancel(self, msg: Any = None) -> bool: ...

    def cancelling(self) -> int: ...

    def uncancel(self) -> int: ...


#: What a deadline's timer callback runs in: it reads no context variable, so one empty
#: context per thread serves every wait, not the copy of the caller's that ``call_at``
#: would make per timer.
_callback_contexts = threading.local()


def _callback_context() -> contextvars.Context:
    context: contextvars.Context | None = getattr(_callback_contexts, "context", None)
    if context is None:
        context = _callback_contexts.context = contextvars.Context()
    return context


class _Deadline(_Tracker):
    """A timed wait's tracker, which is also its timeout: ``asyncio.timeout``'s semantics.

    At the deadline its timer handle calls it, and it cancels the waiting task;
    ``run_wait`` then turns that ``CancelledError`` into ``WaitTimeoutError`` unless the
    task was also cancelled from outside, counting cancellations exactly as
    ``asyncio.timeout`` does. It costs one timer handle and two more slots on the tracker
    per wait, where ``asyncio.timeout`` makes a ``Timeout`` object, its ``__dict__``, a
    bound method, a timer handle and a context copy (about 290 B more with 100,000 waits
    parked; see benchmarks/waits.py).
    """

    __slots__ = ("_cancelling", "_handle", "_task", "expired")

    def __init__(self, source: StateSource, timeout: float) -> None:
        super().__init__(source)
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("Timeout should be used inside a task")
        loop = task.get_loop()
        self._task: _Task = cast(_Task, task)
        # Cancellations requested before the wait began are not the deadline's.
        self._cancelling = self._task.cancelling()
        self.expired = False
        when = loop.time() + timeout
        context = _callback_context()
        self._handle: asyncio.Handle = (
            loop.call_soon(self, context=context)
            if when <= loop.time()
            else loop.call_at(when, self, context=context)
        )

    def __call__(self) -> None:
        """The deadline passed: cancel the waiting task."""
        self.expired = True
        self._task.cancel()

    def cancelled_the_task(self) -> bool:
        """Whether the task's pending cancellation is this deadline's alone.

        False when the deadline has not passed, or the task was also cancelled from
        outside: then the ``CancelledError`` must propagate.
        """
        return self.expired and self._task.cancelling() - 1 <= self._cancelling

    def stop(self) -> None:
        """The wait is over: cancel the timer, and withdraw the deadline's cancellation."""
        self._handle.cancel()
        if self.expired:
            self._task.uncancel()


def _raise_timeout(cancelled: asyncio.CancelledError) -> NoReturn:
    """What ``asyncio.timeout`` raises at its deadline: kept as the cause, as before."""
    raise TimeoutError from cancelled


def _timed_out(
    spec: JobSpec, source: StateSource, until: str, timeout: float, last: Resource | None
) -> WaitTimeoutError:
    seen = spec.label(last) if last is not None else "nothing yet"
    return WaitTimeoutError(
        f"{spec.type} {source.id} did not reach {until!r} within {timeout:g}s "
        f"(last seen: {seen}); wait longer with timeout=, or resume later with a WaitToken",
        last_seen=last,
    )


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
    # The timeout is the tracker itself (one timer handle, no task or context manager),
    # and the loop runs in this frame: one coroutine per wait.
    deadline = _Deadline(source, timeout) if timeout is not None and _COUNTS_CANCELS else None
    tracker = deadline or (_Tracker(source) if _tracker is None else _tracker)
    if timeout is not None and deadline is None:  # pragma: no cover - Python 3.10
        return await _run_wait_with_wait_for(waiter, source, until, timeout, on_status)
    try:
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
    except asyncio.CancelledError as exc:
        if timeout is None or deadline is None or not deadline.cancelled_the_task():
            raise
        try:
            _raise_timeout(exc)
        except TimeoutError as timeout_exc:
            raise _timed_out(spec, source, until, timeout, tracker.last) from timeout_exc
    except asyncio.TimeoutError as exc:
        if timeout is None or (deadline is not None and not deadline.expired):
            # A timeout inside the wait (an on_status callback's, say), not the wait's own.
            raise
        raise _timed_out(spec, source, until, timeout, tracker.last) from exc
    finally:
        if deadline is not None:
            deadline.stop()


class _InnerTimeout(Exception):
    """A ``TimeoutError`` raised inside a Python 3.10 wait, carried past ``wait_for``."""

    def __init__(self, error: BaseException) -> None:
        super().__init__()
        self.error = error


async def _carrying_inner_timeouts(wait: Awaitable[Resource]) -> Resource:  # pragma: no cover
    try:
        return await wait
    except asyncio.TimeoutError as exc:
        raise _InnerTimeout(exc) from exc


async def _run_wait_with_wait_for(
    waiter: CompletionWaiter,
    source: StateSource,
    until: str,
    timeout: float,
    on_status: OnStatus | None,
) -> Resource:  # pragma: no cover - Python 3.10, whose tasks do not count cancellations
    """``run_wait`` under ``asyncio.wait_for``: its own timeout is the wait's, and a
    ``TimeoutError`` from inside the wait (an ``on_status`` callback's) stays that."""
    tracker = _Tracker(source)
    inner = run_wait(
        waiter, source, until=until, timeout=None, on_status=on_status, _tracker=tracker
    )
    try:
        return await asyncio.wait_for(_carrying_inner_timeouts(inner), timeout)
    except _InnerTimeout as carried:
        raise carried.error.with_traceback(carried.error.__traceback__) from carried.error.__cause__
    except asyncio.TimeoutError as exc:
        raise _timed_out(source.spec, source, until, timeout, tracker.last) from exc


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
