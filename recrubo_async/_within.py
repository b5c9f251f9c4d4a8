"""``within(seconds, coroutine)``: await it, or ``TimeoutError`` after ``seconds``.

Shared by the webhook adapters (a body's read deadline) and the Redis script batcher (an
exchange's deadline): on Python 3.11+ the timer is started only if the coroutine suspends,
so the usual case (a body already buffered) costs no timer at all.
"""

from __future__ import annotations

import asyncio
import math
import sys
import types
from collections.abc import Awaitable, Coroutine, Generator
from typing import Any, TypeVar, cast

_T = TypeVar("_T")


if sys.version_info >= (3, 11):

    def within(seconds: float | None, reading: Coroutine[Any, Any, _T]) -> Awaitable[_T]:
        """``await reading``, or ``TimeoutError`` after ``seconds`` (``None``: no limit).

        The same outcome as ``asyncio.timeout(seconds)`` around the read, at the same
        moment, but the timer is started only if the read has to wait: a delivery's body
        is nearly always in the server's buffer when the application starts, and then it
        costs no timer at all (a timer per body, cancelled 10 s before it would fire,
        piles up in the loop's heap at thousands of deliveries a second).
        """
        if seconds is None or seconds == math.inf:
            return reading
        return _bounded(seconds, reading)

    @types.coroutine
    def _bounded(seconds: float, reading: Coroutine[Any, Any, _T]) -> Generator[Any, Any, _T]:
        # Step ``reading`` by hand (what ``await`` does), to see whether it suspends.
        try:
            step = reading.send(None)
        except StopIteration as finished:
            return cast(_T, finished.value)
        task = asyncio.current_task()
        if task is None:
            reading.close()
            raise RuntimeError("a body read with a deadline must run inside a task")
        loop = task.get_loop()
        timer = _ReadTimer(task)
        handle = loop.call_at(loop.time() + seconds, timer)
        try:
            while True:
                try:
                    signal = yield step
                except GeneratorExit:
                    reading.close()
                    raise
                except BaseException as exc:  # thrown in by the task: pass it on
                    step = reading.throw(exc)
                else:
                    step = reading.send(signal)
        except StopIteration as finished:
            return cast(_T, finished.value)
        except asyncio.CancelledError as exc:
            if timer.withdraw():
                raise TimeoutError from exc
            raise
        finally:
            handle.cancel()
            timer.withdraw()

    class _ReadTimer:
        """Cancels the reading task at the deadline; ``asyncio.timeout``'s bookkeeping."""

        __slots__ = ("_cancelling", "_state", "_task")

        def __init__(self, task: asyncio.Task[Any]) -> None:
            self._task = task
            # Cancellations requested before the read are not the deadline's.
            self._cancelling = task.cancelling()
            self._state = "pending"

        def __call__(self) -> None:
            self._state = "expired"
            self._task.cancel()

        def withdraw(self) -> bool:
            """Withdraw the deadline's cancellation (once): whether the task's pending
            cancellation was the deadline's alone, so the read timed out."""
            if self._state != "expired":
                return False
            self._state = "withdrawn"
            return self._task.uncancel() <= self._cancelling

else:  # pragma: no cover - Python 3.10

    async def within(seconds: float | None, reading: Coroutine[Any, Any, _T]) -> _T:
        """``await reading``, or ``TimeoutError`` after ``seconds`` (``None``: no limit)."""
        try:
            return await asyncio.wait_for(reading, seconds)
        except asyncio.TimeoutError as exc:  # not yet the builtin TimeoutError on 3.10
            raise TimeoutError from exc
