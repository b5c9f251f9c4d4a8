"""``cleaned_up``: the one rule for a wait's clean-up that fails.

Closing what a wait observed runs code the SDK does not own (a custom bus's
``Subscription.close()``, a custom waiter's ``finally``). By then the wait has its outcome:
an answer, an error (a delete, a failed job) or a cancellation of the awaiting task. A
failure to clean up is logged as a warning with its traceback and does not replace that
outcome; a cancellation arriving during the clean-up still propagates.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable

logger = logging.getLogger("recrubo_async.waiters")


async def cleaned_up(close: Awaitable[object], what: str, *args: object) -> None:
    """Await ``close``; an ``Exception`` it raises is logged, not raised.

    ``what`` and ``args``: the log message's format and arguments, naming what was closed
    (the resource's type and id; never anything that could carry a credential).
    """
    try:
        await close
    except Exception:
        logger.warning(what + " failed; the wait keeps its outcome", *args, exc_info=True)
