"""Merging several async state streams into one, with nothing left running on close."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from typing import Any, TypeVar

from .._tasks import stop
from ..errors import ResourceDeletedError
from ._source import DECIDED, StateSource, origin_of, tag

_T = TypeVar("_T")


class _End:
    __slots__ = ()


_END = _End()


async def merge(
    *streams: AsyncGenerator[_T, None],
    settled: Callable[[int], object] | None = None,
    source: StateSource[Any] | None = None,
) -> AsyncGenerator[_T, None]:
    """Items of every stream as they arrive; the first error from any stream is raised.

    Closing the merged iterator cancels the pumps and closes every stream.

    Args:
        streams: the streams to merge.
        settled: called with the index of the stream whose item ended the consumer's
            wait: a state the consumer decided on (it tagged ``source`` ``DECIDED``
            before closing the merged iterator; not when it closed it for a timeout, a
            cancellation or a ``break``), or a ``ResourceDeletedError`` (a delete is
            final). Needs ``source``.
        source: the source the streams tag (``_source.tag``): each item's origin is read
            as its stream yields it and tagged again as it is passed on, since the
            streams, pumped concurrently, rewrite that one slot in between.
    """
    queue: asyncio.Queue[tuple[int, _T | BaseException, str | None] | _End] = asyncio.Queue()

    async def pump(
        index: int, stream: AsyncGenerator[_T, None], source: StateSource[Any] | None
    ) -> None:
        try:
            async for item in stream:
                queue.put_nowait((index, item, None if source is None else origin_of(source)))
                del item  # not kept while the stream's next item is awaited
        except Exception as exc:
            queue.put_nowait((index, exc, None if source is None else origin_of(source)))
        finally:
            await stream.aclose()
        queue.put_nowait(_END)

    loop = asyncio.get_running_loop()
    tasks = [loop.create_task(pump(i, s, source)) for i, s in enumerate(streams)]
    live = len(tasks)
    try:
        while live:
            got = await queue.get()
            if isinstance(got, _End):
                live -= 1
                continue
            index, item, origin = got
            if source is not None:
                tag(source, origin)
            if isinstance(item, BaseException):
                if settled is not None and isinstance(item, ResourceDeletedError):
                    settled(index)
                raise item
            del got
            try:
                yield item
            except GeneratorExit:
                if settled is not None and source is not None and origin_of(source) == DECIDED:
                    settled(index)
                raise
            del item  # not kept while the next item is awaited
    finally:
        await stop(*tasks)


async def delayed(stream: AsyncGenerator[_T, None], delay: float) -> AsyncGenerator[_T, None]:
    """``stream``, started only after ``delay`` seconds."""
    await asyncio.sleep(delay)
    try:
        async for item in stream:
            yield item
            del item  # not kept while the next item is awaited
    finally:
        await stream.aclose()
