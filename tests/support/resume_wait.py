"""Run as a separate process by test_waiters: resume a wait from a WaitToken.

Reads RECRUBO_API_KEY / RECRUBO_BASE_URL from the environment and the token from stdin;
prints the finished resource's id and status as JSON.
"""

from __future__ import annotations

import asyncio
import sys

import orjson

from recrubo_async import Client
from recrubo_async.waiters import PollingWaiter, WaitToken


async def main() -> None:
    token = WaitToken.loads(sys.stdin.read())
    async with Client(waiter=PollingWaiter(interval=0.05, max_interval=0.2)) as client:
        gen = await client.flow_generations.wait(token)
    sys.stdout.write(orjson.dumps({"id": gen.id, "status": str(gen.status)}).decode())


if __name__ == "__main__":
    asyncio.run(main())
