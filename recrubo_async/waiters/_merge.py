"""Merging several async state streams into one, with nothing left running on close."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Callable
from typing import TypeVar

_T = TypeVar("_T")


class _End:
    __slots__ = ()


_END = _End()


async def merge(
    *streams: AsyncGenerator[_T, None], settled: Callable[[int], object] | None = None
) -> AsyncGenerator[_T, None]:
    """Items of every stream as they arrive; the first error from any stream is raised.

    Closing the merged iterator cancels the pumps and closes every stream.

    Args:
        streams: the streams to merge.
        settled: called with the index of the stream whose item was the last one taken,
            when the consumer closes the merged iterator right after taking it (the item
            ended the consumer's wait).
    """
    queue: asyncio.Queue[tuple[int, _T] | BaseException | _End] = asyncio.Queue()

    async def pump(index: int, stream: AsyncGenerator[_T, None]) -> None:
        try:
            async for item in stream:
                queue.put_nowait((index, item))
        except Exception as exc:
            queue.put_nowait(exc)
        finally:
            await stream.aclose()
        queue.put_nowait(_END)

    loop = asyncio.get_running_loop()
    tasks = [loop.create_task(pump(i, s)) for i, s in enumerate(streams)]
    live = len(tasks)
    try:
        while live:
            got = await queue.get()
            if isinstance(got, _End):
                live -= 1
            elif isinstance(got, BaseException):
                raise got
            else:
                try:
                    yield got[1]
                except GeneratorExit:
                    if settled is not None:
                        settled(got[0])
                    raise
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
