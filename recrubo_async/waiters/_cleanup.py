"""``cleaned_up``: the one rule for a wait's clean-up that fails.

Closing what a wait observed runs code the SDK does not own (a custom bus's
``Subscription.close()``, a custom waiter's ``finally``). By then the wait has its outcome:
an answer, an error (a delete, a failed job) or a cancellation of the awaiting task. A
failure to clean up is logged as a warning with its traceback and does not replace that
outcome. A cancellation of the awaiting task during the clean-up still cancels it, also
when the clean-up turned it into an error of its own (a client library that raises its own
error when cancelled) or swallowed it (on Python 3.10, which does not count a task's
cancellations, only the first: told by the error's context).
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
        if _cancelled_meanwhile(task, requested, exc):
            raise asyncio.CancelledError() from exc
    else:
        if _cancelled_meanwhile(task, requested, None):
            # Delivered during the clean-up and swallowed there: still the task's.
            raise asyncio.CancelledError()


def _cancels_requested(task: asyncio.Task[object] | None) -> int | None:
    """``task.cancelling()`` (Python 3.11+): cancellations requested and not withdrawn;
    None where there is no such count."""
    cancelling = getattr(task, "cancelling", None)
    return cancelling() if cancelling is not None else None


def _cancelled_meanwhile(
    task: asyncio.Task[object] | None, requested: int | None, exc: BaseException | None
) -> bool:
    """Whether the task was cancelled while the clean-up ran: by its count of requests
    where there is one (a cancellation the clean-up caught for its own ends, say of a task
    of its own, is not the task's); else (Python 3.10) whether ``exc`` was raised while a
    ``CancelledError`` was being handled."""
    if requested is not None:
        now = _cancels_requested(task)
        return now is not None and now > requested
    seen: set[int] = set()
    cause = exc.__context__ if exc is not None else None
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, asyncio.CancelledError):
            return True
        seen.add(id(cause))
        cause = cause.__context__
    return False
