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
    of the caller's own task arriving meanwhile, which must propagate.
    """
    for task in tasks:
        task.cancel()
    running = [task for task in tasks if not task.done()]
    if running:
        await asyncio.wait(running)
    for task in tasks:
        if not task.cancelled():
            task.exception()  # its outcome is the caller's to read, or nobody's: not a leak
