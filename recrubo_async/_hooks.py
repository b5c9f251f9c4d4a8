"""Typed observability hooks: what the client is about to send, got back, and retries."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import attrs


@attrs.frozen(kw_only=True)
class RequestEvent:
    """An attempt is about to be sent. Headers are never included: they hold the key."""

    method: str
    url: str
    attempt: int


@attrs.frozen(kw_only=True)
class ResponseEvent:
    """An attempt got an HTTP answer (any status)."""

    method: str
    url: str
    attempt: int
    status: int
    elapsed: float
    request_id: str | None


@attrs.frozen(kw_only=True)
class RetryEvent:
    """An attempt failed and the client will retry after ``delay`` seconds."""

    method: str
    url: str
    attempt: int
    delay: float
    reason: str
    status: int | None = None
    error: BaseException | None = None


_E = TypeVar("_E")
Hook = Callable[[_E], Awaitable[None] | None]


def _as_tuple(value: Any) -> tuple[Any, ...]:
    # One callable or a sequence of them; a tuple keeps the frozen Hooks immutable.
    if value is None:
        return ()
    if callable(value):
        return (value,)
    return tuple(value)


@attrs.frozen(kw_only=True)
class Hooks:
    """Callbacks called on every attempt; each may be a function or a coroutine function.

    Args:
        on_request: called with a ``RequestEvent`` before each attempt.
        on_response: called with a ``ResponseEvent`` after each answer.
        on_retry: called with a ``RetryEvent`` before the client sleeps and retries.
    """

    on_request: Sequence[Hook[RequestEvent]] = attrs.field(default=(), converter=_as_tuple)
    on_response: Sequence[Hook[ResponseEvent]] = attrs.field(default=(), converter=_as_tuple)
    on_retry: Sequence[Hook[RetryEvent]] = attrs.field(default=(), converter=_as_tuple)


async def emit(hooks: Sequence[Hook[_E]], event: _E) -> None:
    """Call every hook with ``event``, awaiting the ones that return awaitables."""
    for hook in hooks:
        result = hook(event)
        if inspect.isawaitable(result):
            await result
