"""``cleaned_up``: the one rule for a wait's clean-up that fails.

Closing what a wait observed runs code the SDK does not own (a custom bus's
``Subscription.close()``, a custom waiter's ``finally``). By then the wait has its outcome:
an answer, an error (a delete, a failed job) or a cancellation of the awaiting task. A
failure to clean up is logged as a warning with its traceback and does not replace that
outcome. A cancellation of the awaiting task during the clean-up still cancels it, also
when the clean-up turned it into an error of its own (a client library that raises its own
error when cancelled) or swallowed it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable

logger = logging.getLogger("recrubo_async.waiters")


async def cleaned_up(close: Awaitable[object], what: str, *args: object) -> None:
    """Await ``close``; an ``Exception`` it raises is logged, not raised, unless the task
    was cancelled meanwhile (then ``CancelledError`` is raised).

    ``what`` and ``args``: the log message's format and arguments, naming what was closed
    (the resource's type and id; never anything that could carry a credential).
    """
    task = asyncio.current_task()
    requested = _cancels_requested(task)
    try:
        await close
    except Exception as exc:
        logger.warning(what + " failed; the wait keeps its outcome", *args, exc_info=True)
        if _cancels_requested(task) > requested or _caused_by_cancellation(exc):
            raise asyncio.CancelledError() from exc
    else:
        if _cancels_requested(task) > requested:
            # Delivered during the clean-up and swallowed there: still the task's.
            raise asyncio.CancelledError()


def _cancels_requested(task: asyncio.Task[object] | None) -> int:
    """``task.cancelling()`` (Python 3.11+): cancellations requested and not withdrawn."""
    cancelling = getattr(task, "cancelling", None)
    return cancelling() if cancelling is not None else 0


def _caused_by_cancellation(exc: BaseException) -> bool:
    """Whether ``exc`` was raised while a ``CancelledError`` was being handled."""
    seen: set[int] = set()
    cause: BaseException | None = exc.__context__
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, asyncio.CancelledError):
            return True
        seen.add(id(cause))
        cause = cause.__context__
    return False
