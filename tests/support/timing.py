"""Bounds in real time, so a broken test fails instead of hanging the run."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

_T = TypeVar("_T")


async def eventually(
    predicate: Callable[[], bool], timeout: float = 10.0, what: str = "condition"
) -> None:
    """Wait until ``predicate()`` holds; fail naming ``what`` after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"{what}: not reached within {timeout:g} s")
        await asyncio.sleep(0.01)


async def result_of(task: asyncio.Task[_T], timeout: float = 10.0) -> _T:
    """The task's result, waited for at most ``timeout`` seconds."""
    return await asyncio.wait_for(task, timeout)
