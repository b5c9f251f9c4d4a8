"""Typed observability hooks: what the client sends, gets back and retries; how waits end."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal, TypeVar

import attrs

logger = logging.getLogger("recrubo_async.hooks")


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


#: How a wait ended: its job reached ``until`` (``done``), a failure state (``failed``,
#: ``JobFailedError``), was deleted (``deleted``), the wait's timeout passed
#: (``timed_out``), its task was cancelled (``cancelled``), or anything else was raised
#: (``error``: a 401, a closed client, an ``on_status`` callback's exception).
WaitOutcome = Literal["done", "failed", "deleted", "timed_out", "cancelled", "error"]

#: What delivered the state (or the delete) that ended a wait: a webhook on the bus, a GET
#: (a poll, or a webhook waiter's look after subscribing), the safety poll beside the
#: webhooks, the sandbox's ``?sync=true`` create answer, or a plain create answer.
SettledBy = Literal["webhook", "poll", "safety_poll", "sync", "create"]


@attrs.frozen(kw_only=True)
class WaitEvent:
    """A wait finished (one event per wait; ``watch`` and a create that failed have none).

    Attributes:
        type: the job's JSON:API type (``"flowGenerations"``, ...).
        id: the job's id.
        outcome: how the wait ended (see ``WaitOutcome``).
        settled_by: what delivered the state or delete that ended it; None when it did not
            end on one (``timed_out``, ``cancelled``, ``error``).
        duration: seconds from the wait's start (a ``create_and_wait``'s: before its POST).
        gets: GET answers this wait received: its own looks, and the polls it shared
            (a 404 that ended it counts).
    """

    type: str
    id: str
    outcome: WaitOutcome
    settled_by: SettledBy | None
    duration: float
    gets: int


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
    """Callbacks on every attempt and every wait; each a function or a coroutine function.

    Args:
        on_request: called with a ``RequestEvent`` before each attempt.
        on_response: called with a ``ResponseEvent`` after each answer.
        on_retry: called with a ``RetryEvent`` before the client sleeps and retries.
        on_wait: called with a ``WaitEvent`` when a wait ends, before its result is
            returned or its error raised. One that raises is logged on
            ``recrubo_async.hooks``; the wait's outcome stays.
    """

    on_request: Sequence[Hook[RequestEvent]] = attrs.field(default=(), converter=_as_tuple)
    on_response: Sequence[Hook[ResponseEvent]] = attrs.field(default=(), converter=_as_tuple)
    on_retry: Sequence[Hook[RetryEvent]] = attrs.field(default=(), converter=_as_tuple)
    on_wait: Sequence[Hook[WaitEvent]] = attrs.field(default=(), converter=_as_tuple)


async def emit(hooks: Sequence[Hook[_E]], event: _E) -> None:
    """Call every hook with ``event``, awaiting the ones that return awaitables."""
    for hook in hooks:
        result = hook(event)
        if inspect.isawaitable(result):
            await result


async def emit_logged(hooks: Sequence[Hook[_E]], event: _E) -> None:
    """``emit``, where a hook that raises is logged and the others still run.

    For hooks that observe an outcome they must not change (``on_wait``).
    """
    for hook in hooks:
        try:
            result = hook(event)
            if inspect.isawaitable(result):
                await result
        except Exception:
            logger.exception("hook %r raised on %r; ignored", hook, event)
