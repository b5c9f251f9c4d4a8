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
    the tasks have ended, as ``asyncio.TaskGroup`` does: a task still cleaning up (closing
    a subscription) is cancelled again and waited for, so that a cancelled wait leaves
    nothing running behind it.
    """
    for task in tasks:
        task.cancel()
    interrupted: asyncio.CancelledError | None = None
    while running := [task for task in tasks if not task.done()]:
        try:
            await asyncio.wait(running)
        except asyncio.CancelledError as exc:
            interrupted = exc
            for task in running:
                task.cancel()
    for task in tasks:
        if not task.cancelled():
            task.exception()  # its outcome is the caller's to read, or nobody's: not a leak
    if interrupted is not None:
        raise interrupted
