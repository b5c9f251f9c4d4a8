"""The ASGI adapter's body-read deadline: ``asyncio.timeout``'s outcome, at the same moment,
with no timer at all for a body the server already holds.

The app is called as a server calls it (``await app(scope, receive, send)``), with
``receive`` callables that hold the body back: what a slow sender does to a real server
(the slow-drip tests in ``test_webhook_body_limits.py`` do it over sockets), but with the
task in the test's hands, so a cancellation can be made to race the deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import pytest

from recrubo_async.webhooks import WebhookReceiver

from ..support.deliveries import SECRET, delivery, generation

pytestmark = pytest.mark.skipif(
    sys.version_info < (3, 11), reason="3.10 bounds the read with asyncio.wait_for"
)

if sys.version_info >= (3, 11):
    from asyncio import timeout
else:  # pragma: no cover - skipped on 3.10 (mypy checks as 3.10)
    timeout: Any = None

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]

READ_TIMEOUT = 0.2


def scope() -> dict[str, Any]:
    return {
        "type": "http",
        "method": "POST",
        "path": "/webhooks",
        "headers": [(b"x-recrubo-webhook-secret", SECRET.encode())],
    }


class Answers:
    """The ``send`` side: the statuses and response headers the app sent."""

    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.headers: list[list[tuple[bytes, bytes]]] = []

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.statuses.append(message["status"])
            self.headers.append(list(message["headers"]))


def buffered(body: bytes) -> Receive:
    """The usual delivery: the whole body already in the server's buffer."""

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def stalling(first: bytes, parked: list[asyncio.Future[Message]]) -> Receive:
    """Sends ``first`` (more to come), then never sends the rest."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": first, "more_body": True}
        waiting: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        parked.append(waiting)
        return await waiting

    return receive


def live_timers() -> int:
    # asyncio has no public count of its timers; cancelled ones stay in the heap a while.
    loop = asyncio.get_running_loop()
    scheduled: list[asyncio.TimerHandle] = loop._scheduled  # type: ignore[attr-defined]
    return len(scheduled)


def receiver(read_timeout: float = READ_TIMEOUT) -> WebhookReceiver:
    return WebhookReceiver(secret=SECRET, read_timeout=read_timeout)


async def test_a_body_the_server_already_holds_starts_no_timer() -> None:
    app = receiver(read_timeout=10.0).asgi_app()
    answers = Answers()
    before = live_timers()
    for n in range(50):
        body = delivery(generation(f"g{n}", "finished"), payload_id=f"p{n}")
        await app(scope(), buffered(body), answers)
    assert answers.statuses == [200] * 50
    assert live_timers() == before


async def test_a_body_that_stops_coming_is_408_at_the_read_timeout() -> None:
    app = receiver().asgi_app()
    answers = Answers()
    parked: list[asyncio.Future[Message]] = []
    loop = asyncio.get_running_loop()
    started = loop.time()
    await app(scope(), stalling(b'{"data":', parked), answers)
    assert loop.time() - started >= READ_TIMEOUT
    assert answers.statuses == [408]
    assert (b"connection", b"close") in answers.headers[0]
    assert [f.cancelled() for f in parked] == [True]  # the pending receive was cancelled
    task: Any = asyncio.current_task()
    assert task.cancelling() == 0  # the deadline withdrew its cancel


async def test_a_body_arriving_in_pieces_before_the_deadline_leaves_no_timer_behind() -> None:
    app = receiver(read_timeout=10.0).asgi_app()
    answers = Answers()
    body = delivery(generation("g1", "finished"), payload_id="p1")
    pieces = [body[:10], body[10:100], body[100:]]

    async def receive() -> Message:
        await asyncio.sleep(0.01)  # the read has to wait: the deadline is armed
        piece = pieces.pop(0)
        return {"type": "http.request", "body": piece, "more_body": bool(pieces)}

    loop = asyncio.get_running_loop()
    await app(scope(), receive, answers)
    assert answers.statuses == [200]
    pending = [h for h in loop._scheduled if not h.cancelled()]  # type: ignore[attr-defined]
    assert [h.when() for h in pending if h.when() > loop.time() + 5] == []
    task: Any = asyncio.current_task()
    assert task.cancelling() == 0


async def test_cancelling_the_request_during_a_slow_read_stays_a_cancellation() -> None:
    app = receiver().asgi_app()
    answers = Answers()
    parked: list[asyncio.Future[Message]] = []
    task = asyncio.create_task(app(scope(), stalling(b"{", parked), answers))
    await asyncio.sleep(READ_TIMEOUT / 4)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert answers.statuses == []


async def test_an_enclosing_timeout_shorter_than_the_read_timeout_is_the_one_raised() -> None:
    app = receiver(read_timeout=10.0).asgi_app()
    answers = Answers()
    parked: list[asyncio.Future[Message]] = []
    with pytest.raises(TimeoutError):
        async with timeout(READ_TIMEOUT):
            await app(scope(), stalling(b"{", parked), answers)
    assert answers.statuses == []
    task: Any = asyncio.current_task()
    assert task.cancelling() == 0


async def test_the_read_timeout_inside_a_longer_enclosing_timeout_is_a_408() -> None:
    app = receiver().asgi_app()
    answers = Answers()
    parked: list[asyncio.Future[Message]] = []
    async with timeout(READ_TIMEOUT * 20):
        await app(scope(), stalling(b"{", parked), answers)
    assert answers.statuses == [408]


@pytest.mark.parametrize("cancel_at", [0.5, 1.25], ids=["just-before", "just-after"])
async def test_a_cancellation_in_the_deadlines_loop_turn_stays_a_cancellation(
    cancel_at: float,
) -> None:
    """The loop is blocked past both the read deadline and an outside cancellation, so
    both land in one turn: the outside cancellation wins, as with ``asyncio.timeout``."""
    app = receiver().asgi_app()
    answers = Answers()
    parked: list[asyncio.Future[Message]] = []
    task = asyncio.create_task(app(scope(), stalling(b"{", parked), answers))
    await asyncio.sleep(0)
    await asyncio.sleep(0)  # parked in the read: its deadline is armed
    assert len(parked) == 1
    loop = asyncio.get_running_loop()
    loop.call_at(loop.time() + READ_TIMEOUT * cancel_at, task.cancel)
    time.sleep(READ_TIMEOUT * 2)  # noqa: ASYNC251 - blocks the loop past both
    with pytest.raises(asyncio.CancelledError):
        await task
    assert answers.statuses == []


async def test_a_task_that_swallowed_an_earlier_cancellation_still_gets_its_408() -> None:
    app = receiver().asgi_app()
    answers = Answers()
    parked: list[asyncio.Future[Message]] = []

    async def request() -> int:
        task: Any = asyncio.current_task()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(1)  # swallowed without uncancel(): the count stays at 1
        await app(scope(), stalling(b"{", parked), answers)
        count: int = task.cancelling()
        return count

    assert await asyncio.create_task(request()) == 1
    assert answers.statuses == [408]


async def test_a_request_closed_mid_read_closes_the_read_and_its_timer() -> None:
    """A server that drops the request's coroutine (garbage, shutdown) without finishing
    it: the read is closed with it, and its deadline cannot fire later."""
    app = receiver(read_timeout=10.0).asgi_app()
    answers = Answers()
    closed: list[bool] = []

    async def receive() -> Message:
        try:
            await asyncio.get_running_loop().create_future()
        finally:
            closed.append(True)
        raise AssertionError("never resumed")

    loop = asyncio.get_running_loop()
    coroutine = app(scope(), receive, answers)
    coroutine.send(None)  # runs until the read waits, inside this test's task
    coroutine.close()
    assert closed == [True]
    pending = [h for h in loop._scheduled if not h.cancelled()]  # type: ignore[attr-defined]
    assert [h.when() for h in pending if h.when() > loop.time() + 5] == []
