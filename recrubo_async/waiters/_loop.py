"""The wait loop: consume a waiter's states until ``until``, a failure, or the deadline."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, TypeVar, cast

from .._hooks import Hook, SettledBy, WaitEvent, WaitOutcome, emit_logged
from ..errors import JobFailedError, ResourceDeletedError, WaitTimeoutError
from ..models._base import Resource
from ._cleanup import cleaned_up
from ._deadline import (
    COUNTS_CANCELS,
    Deadline,
    delete_cut_short,
    raise_timeout,
    timed_out,
    with_wait_for,
)
from ._protocol import CompletionWaiter
from ._source import DECIDED, GET_ORIGINS, StateSource, origin_of, tag
from ._tracker import Tracker

if TYPE_CHECKING:
    from .._otel import Telemetry, WaitSpan

_M = TypeVar("_M", bound=Resource)

#: What a wait's clean-up is called in the warning when it fails (``cleaned_up``).
CLEANING_UP = "cleaning up the wait for %s %s"

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
                    del state  # older than one seen: not kept while parked
                    continue
                label = tracker.changed(state)
                if label is not False and on_status is not None:
                    result = on_status(label if isinstance(label, str) else None, state)
                    if inspect.isawaitable(result):
                        await result
                    del result
                # No local for spec.failed(state): each is a slot in every parked frame.
                if spec.failed(state) or satisfied(state):
                    # Decided: the deadline passing while the states close must not turn
                    # this outcome into a timeout (a cancellation from outside still
                    # propagates), and the waiter learns the wait ended on this state.
                    if deadline is not None:
                        deadline.stop()
                    tag(source, DECIDED)
                    if _tracker is not None:  # pragma: no cover - Python 3.10
                        # Under 3.10's wait_for (with_wait_for), which cancels this task at
                        # its timeout (it then takes this outcome) or for its own caller's
                        # cancellation (it re-raises that whatever this returns).
                        with contextlib.suppress(asyncio.CancelledError):
                            await cleaned_up(states.aclose(), CLEANING_UP, *source.key)
                    if spec.failed(state):
                        raise JobFailedError(
                            f"{spec.type} {source.id} ended in {spec.label(state)!r}",
                            resource=state,
                        )
                    return state
                # Parked until the next state: keep no more of this one than a summary.
                tracker.park()
                del state
        finally:
            await cleaned_up(states.aclose(), CLEANING_UP, *source.key)
        raise RuntimeError(f"{waiter!r} stopped observing before the wait was over")
    except asyncio.CancelledError as exc:
        if timeout is None or deadline is None or not deadline.cancelled_the_task():
            raise
        deleted = delete_cut_short(exc, source)
        if deleted is not None:
            raise deleted  # noqa: B904 - the delete's own cause (its GET's 404) is kept
        try:
            raise_timeout(exc)
        except TimeoutError as timeout_exc:
            raise timed_out(source, until, timeout, tracker) from timeout_exc
    except asyncio.TimeoutError as exc:
        if timeout is None or (deadline is not None and not deadline.expired):
            # A timeout inside the wait (an on_status callback's, say), not the wait's own.
            raise
        raise timed_out(source, until, timeout, tracker) from exc
    finally:
        if deadline is not None:
            deadline.stop()


class _Noting:
    """A waiter passing another's states through, noting what a ``WaitEvent`` reports.

    Made only for waits with ``on_wait`` hooks: the others pay nothing for reporting
    beyond the origin slot their waiter rewrites on the source.
    """

    __slots__ = ("_initial_origin", "_waiter", "gets", "origin")

    def __init__(self, waiter: CompletionWaiter, initial_origin: SettledBy) -> None:
        self._waiter = waiter
        self._initial_origin = initial_origin
        self.gets = 0
        #: The origin of the last state passed on, or of the delete raised.
        self.origin: str | None = None

    #: Read only before a create, which this waiter is never asked about.
    sync_create = False

    def _note(self, source: StateSource[Resource], state: Resource | None) -> None:
        # Read as the state arrives: the waiter tagged it just before, and nothing else has
        # run since. The create's answer is recognised by identity: waiters do not tag it.
        initial = state is not None and state is source.initial
        origin = self._initial_origin if initial else origin_of(source)
        if origin in GET_ORIGINS:
            self.gets += 1
        self.origin = origin

    async def observe(self, source: StateSource[Resource]) -> AsyncGenerator[Resource, None]:
        states = self._waiter.observe(source)
        try:
            async for state in states:
                self._note(source, state)
                yield state
                del state  # not kept while the next state is awaited
        except ResourceDeletedError:
            self._note(source, None)
            raise
        finally:
            await states.aclose()


def _settled_by(origin: str | None) -> SettledBy | None:
    if origin in ("webhook", "poll", "safety_poll", "sync", "create"):
        return cast("SettledBy", origin)
    return None


async def run_reported_wait(
    waiter: CompletionWaiter,
    source: StateSource[_M],
    *,
    until: str,
    timeout: float | None,
    on_status: OnStatus | None,
    on_wait: Sequence[Hook[WaitEvent]],
    initial_origin: SettledBy = "create",
    started: float | None = None,
    telemetry: Telemetry | None = None,
    span: WaitSpan | None = None,
) -> _M:
    """``run_wait``, then one ``WaitEvent`` to the ``on_wait`` hooks, however it ended.

    With ``telemetry``, the wait is also a span (current while it runs, so its GETs are
    its children; each status an event on it) that the same ``WaitEvent`` ends.

    Args:
        initial_origin: what ``source.initial`` came from: a ``?sync=true`` create
            (``"sync"``) or a plain one.
        started: the wait's start (``time.monotonic()``); now when None.
        span: the wait's span when it began before the create (``create_and_wait``).
    """
    if started is None:
        started = time.monotonic()
    noting = _Noting(waiter, initial_origin)
    outcome: WaitOutcome = "error"
    if span is None and telemetry is not None:
        span = telemetry.start_wait(source.spec.type, source.id, until, waiter)
    if span is not None:
        on_status = span.on_status(on_status)
    try:
        if span is None:
            state = await run_wait(
                noting, source, until=until, timeout=timeout, on_status=on_status
            )
        else:
            with span.current():
                state = await run_wait(
                    noting, source, until=until, timeout=timeout, on_status=on_status
                )
    except JobFailedError:
        outcome = "failed"
        raise
    except ResourceDeletedError:
        outcome = "deleted"
        raise
    except WaitTimeoutError:
        outcome = "timed_out"
        raise
    except asyncio.CancelledError:
        outcome = "cancelled"
        raise
    else:
        outcome = "done"
        return state
    finally:
        settled = noting.origin if outcome in ("done", "failed", "deleted") else None
        event = WaitEvent(
            type=source.spec.type,
            id=source.id,
            outcome=outcome,
            settled_by=_settled_by(settled),
            duration=time.monotonic() - started,
            gets=noting.gets,
        )
        if span is not None:
            span.end(event)
        await emit_logged(on_wait, event)


async def watch_states(
    waiter: CompletionWaiter, source: StateSource[_M]
) -> AsyncGenerator[_M, None]:
    """Each distinct status as it is first seen, ending after a terminal state."""
    tracker = Tracker(source)
    states = _observe(waiter, source)
    try:
        async for state in states:
            if not tracker.accept(state):
                del state  # older than one seen: not kept while the watch waits
                continue
            if tracker.changed(state) is not False:
                yield state
                if source.spec.terminal(state):
                    tag(source, DECIDED)
                    return
            # Waiting for the next state: keep no more of this one than a summary.
            tracker.park()
            del state
    finally:
        await cleaned_up(states.aclose(), CLEANING_UP, *source.key)
