"""``stop(*tasks)``: cancel background tasks and wait until they have ended.

Shared by everything that owns tasks and ends them (a wait's poll and pumps, the Redis
bus's listener, a dedupe store's background writes): one rule for how to do it.
"""

from __future__ import annotations

import asyncio
from typing import Any


async def stop(*tasks: asyncio.Task[Any]) -> None:
    """Cancel ``tasks`` and wait until they have ended: nothing outlives its owner.

    Not ``suppress(CancelledError): await task``: that would also swallow a cancellation
    of the caller's own task arriving meanwhile, which must propagate. It propagates once
    the tasks have ended, as with ``asyncio.TaskGroup``: a cancelled wait leaves nothing
    running behind it. The tasks are cancelled once, also when the caller is cancelled
    again: a second cancellation would break into their clean-up (closing a subscription),
    which code can make survive one (a shielded UNSUBSCRIBE). So a task that never ends
    when cancelled holds its owner's cancellation too (a custom bus's ``close()`` must end).
    """
    for task in tasks:
        task.cancel()
    interrupted: asyncio.CancelledError | None = None
    while running := [task for task in tasks if not task.done()]:
        try:
            await asyncio.wait(running)
        except asyncio.CancelledError as exc:
            interrupted = interrupted or exc  # the first, as TaskGroup keeps it
    for task in tasks:
        if not task.cancelled():
            task.exception()  # its outcome is the caller's to read, or nobody's: not a leak
    if interrupted is not None:
        try:
            raise interrupted
        finally:
            # Else the error's traceback holds this frame, which holds the error: a cycle
            # keeping the ended tasks (their frames and what they held) until a collection.
            interrupted = None
