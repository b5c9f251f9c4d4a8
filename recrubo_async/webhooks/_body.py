"""What adapters share when reading a body from an unauthenticated network peer.

A webhook URL is public: anyone can open a connection and send headers, then drip a body
byte by byte, or send more than any delivery needs. Adapters therefore check the secret
header first, then read the body in a loop that stops at ``max_body`` (whatever
``Content-Length`` claimed) and within ``read_timeout``.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from typing import Any, TypeVar

from ._receiver import WebhookResult

_T = TypeVar("_T")

UNAUTHORIZED = WebhookResult(status=401, reason="unauthorized")
TOO_LARGE = WebhookResult(status=413, reason="body too large")
TIMED_OUT = WebhookResult(status=408, reason="body read timed out")
NOT_POST = WebhookResult(status=405, reason="method not allowed")
INCOMPLETE = WebhookResult(status=400, reason="incomplete body")


def declared_too_large(content_length: int | None, limit: int) -> bool:
    """Whether ``Content-Length`` alone already says the body is over the limit."""
    return content_length is not None and content_length > limit


if sys.version_info >= (3, 11):

    async def within(seconds: float | None, reading: Coroutine[Any, Any, _T]) -> _T:
        """``await reading``, or ``TimeoutError`` after ``seconds`` (``None``: no limit)."""
        # asyncio.timeout: one timer handle, where wait_for would make a task per body.
        async with asyncio.timeout(seconds):
            return await reading

else:  # pragma: no cover - Python 3.10

    async def within(seconds: float | None, reading: Coroutine[Any, Any, _T]) -> _T:
        """``await reading``, or ``TimeoutError`` after ``seconds`` (``None``: no limit)."""
        try:
            return await asyncio.wait_for(reading, seconds)
        except asyncio.TimeoutError as exc:  # not yet the builtin TimeoutError on 3.10
            raise TimeoutError from exc
