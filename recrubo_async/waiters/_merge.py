"""Merging several async state streams into one, with nothing left running on close."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from typing import TypeVar

_T = TypeVar("_T")


class _End:
    __slots__ = ()


_END = _End()


async def merge(*streams: AsyncGenerator[_T, None]) -> AsyncGenerator[_T, None]:
    """Items of every stream as they arrive; the first error from any stream is raised.

    Closing the merged iterator cancels the pumps and closes every stream.
    """
    queue: asyncio.Queue[_T | BaseException | _End] = asyncio.Queue()

    async def pump(stream: AsyncGenerator[_T, None]) -> None:
        try:
            async for item in stream:
                queue.put_nowait(item)
        except Exception as exc:
            queue.put_nowait(exc)
        finally:
            await stream.aclose()
        queue.put_nowait(_END)

    tasks = [asyncio.get_running_loop().create_task(pump(s)) for s in streams]
    live = len(tasks)
    try:
        while live:
            item = await queue.get()
            if isinstance(item, _End):
                live -= 1
            elif isinstance(item, BaseException):
                raise item
            else:
                yield item
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def delayed(stream: AsyncGenerator[_T, None], delay: float) -> AsyncGenerator[_T, None]:
    """``stream``, started only after ``delay`` seconds."""
    await asyncio.sleep(delay)
    try:
        async for item in stream:
            yield item
    finally:
        await stream.aclose()
