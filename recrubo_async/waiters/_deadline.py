"""A wait's deadline: a timer on its tracker (3.11+), or ``asyncio.wait_for`` on 3.10.

``WaitTimeoutError`` is raised only for the wait's own deadline, never in place of a
cancellation of the waiting task, nor for a ``TimeoutError`` raised inside the wait (an
``on_status`` callback's).
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import sys
import threading
from collections.abc import Awaitable
from typing import Any, NoReturn, Protocol, TypeVar, cast

from ..errors import ResourceDeletedError, WaitTimeoutError
from ._source import StateSource, is_delete_of
from ._tracker import Tracker

_T = TypeVar("_T")

#: Whether tasks count cancellation requests (3.11+), which telling a wait's own timeout
#: from a cancellation of the waiting task needs.
COUNTS_CANCELS = sys.version_info >= (3, 11)


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


class Deadline(Tracker):
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

    def __init__(self, source: StateSource[Any], timeout: float) -> None:
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
        """The wait is over: cancel the timer, and withdraw the deadline's cancellation.

        Once stopped (it may be, more than once), the deadline cancels nothing more and
        ``cancelled_the_task`` is False.
        """
        self._handle.cancel()
        if self.expired:
            self.expired = False
            self._task.uncancel()


def delete_cut_short(
    cancelled: BaseException | None, source: StateSource[Any]
) -> ResourceDeletedError | None:
    """The delete that ended the wait on ``source`` before its deadline, when the
    deadline's cancellation then cut short the clean-up it raised through (its
    ``__context__``): the delete, not the deadline, decided that wait. Only the wait's own
    (``_source.is_delete_of``): one an ``on_status`` callback caught is not its outcome."""
    # Through the cancellations only: 3.10's wait_for raises a CancelledError of its own
    # whose context is the one raised in the wait.
    for _ in range(4):
        context = cancelled.__context__ if cancelled is not None else None
        if isinstance(context, ResourceDeletedError):
            return context if is_delete_of(context, source) else None
        if not isinstance(context, asyncio.CancelledError):
            return None
        cancelled = context
    return None


def raise_timeout(cancelled: asyncio.CancelledError) -> NoReturn:
    """What ``asyncio.timeout`` raises at its deadline: kept as the cause, as before."""
    raise TimeoutError from cancelled


def timed_out(
    source: StateSource[Any], until: str, timeout: float, tracker: Tracker
) -> WaitTimeoutError:
    """The error of a wait whose deadline passed, with the newest state it saw.

    ``last_seen`` is that state as the pending wait kept it (``_tracker.pending_view``),
    and the message shows its status. It names the timeout the caller asked for when the
    source carries one (``asked``: a ``create_and_wait`` waits for what is left after its
    create), else ``timeout``, rounded to the millisecond (a resumed ``WaitToken`` waits
    for its remaining time).
    """
    spec = source.spec
    seen = tracker.seen_label()
    asked: float | None = getattr(source, "asked", None)
    shown = round(timeout, 3) if asked is None else asked
    return WaitTimeoutError(
        f"{spec.type} {source.id} did not reach {until!r} within {shown:g}s "
        f"(last seen: {seen}); wait longer with timeout=, or resume later with a WaitToken",
        last_seen=tracker.last,
    )


class _InnerTimeout(Exception):
    """A ``TimeoutError`` raised inside a Python 3.10 wait, carried past ``wait_for``."""

    def __init__(self, error: BaseException) -> None:
        super().__init__()
        self.error = error


async def _carrying_inner_timeouts(wait: Awaitable[_T]) -> _T:  # pragma: no cover
    try:
        return await wait
    except asyncio.TimeoutError as exc:
        raise _InnerTimeout(exc) from exc


async def with_wait_for(
    wait: Awaitable[_T], source: StateSource[Any], until: str, timeout: float, tracker: Tracker
) -> _T:  # pragma: no cover - Python 3.10, whose tasks do not count cancellations
    """``wait`` (an untimed ``run_wait`` keeping ``tracker``) under ``asyncio.wait_for``.

    Its own timeout is the wait's, and a ``TimeoutError`` from inside the wait (an
    ``on_status`` callback's) stays that.
    """
    try:
        return await asyncio.wait_for(_carrying_inner_timeouts(wait), timeout)
    except _InnerTimeout as carried:
        raise carried.error.with_traceback(carried.error.__traceback__) from carried.error.__cause__
    except asyncio.TimeoutError as exc:
        deleted = delete_cut_short(exc.__cause__, source)
        if deleted is not None:
            raise deleted  # noqa: B904 - the delete's own cause (its GET's 404) is kept
        raise timed_out(source, until, timeout, tracker) from exc
    finally:
        # With a deadline already passed (timeout 0), 3.10's wait_for cancels the task
        # before its first step: the wait's coroutine was never started, and would warn
        # "never awaited" when collected. wait_for has ended the task, so this is safe.
        if inspect.iscoroutine(wait):
            wait.close()
