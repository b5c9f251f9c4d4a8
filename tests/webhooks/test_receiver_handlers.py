"""What counts as a handler, and what a handler's ``CancelledError`` means.

Any async callable the ``Handler`` type admits is accepted at run time too (an ``async
def`` function, a ``functools.partial`` of one, an object with an ``async def
__call__``). A handler that raises ``CancelledError`` while its delivery is not being
cancelled (it awaited something another component cancelled) is a failing handler:
500, logged with the payload id, never raised out of ``handle()``; a cancellation of
the request itself still propagates. Python 3.10's tasks do not count cancellations, so
there a handler's own ``CancelledError`` is taken as the request's: it propagates, and the
claim is released so that the retry runs the handler again (docs/webhooks.md).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sys

import pytest

from recrubo_async.webhooks import WebhookPayload, WebhookReceiver

from ..support.deliveries import SECRET, delivery, generation, headers
from ..support.raw_http import post_raw
from ..support.servers import Serve, serve_aiohttp, serve_asgi

PATIENCE = 30.0

#: Whether a task can tell a handler's own CancelledError from its own cancellation.
TELLS_CANCELLATIONS_APART = sys.version_info >= (3, 11)


class Recorder:
    def __init__(self) -> None:
        self.seen: list[str] = []

    async def __call__(self, payload: WebhookPayload) -> None:
        self.seen.append(payload.id)


async def record_into(seen: list[str], payload: WebhookPayload) -> None:
    seen.append(payload.id)


async def test_an_object_with_an_async_call_and_a_partial_are_handlers() -> None:
    receiver = WebhookReceiver(secret=SECRET)
    recorder = Recorder()
    seen: list[str] = []
    receiver.add_handler(recorder)  # type-checks: a Recorder is a Handler
    receiver.on()(functools.partial(record_into, seen))
    wrapped = Recorder()
    receiver.on()(functools.partial(wrapped))  # a partial of an async callable object
    result = await receiver.handle(
        headers(), delivery(generation("g1", "finished"), payload_id="p1")
    )
    assert (result.status, result.reason) == (200, "ok")
    assert recorder.seen == seen == wrapped.seen == ["p1"]


def test_a_callable_that_is_not_async_is_refused_naming_what_it_got() -> None:
    class Sync:
        def __call__(self, payload: WebhookPayload) -> None:
            return None

    receiver = WebhookReceiver(secret=SECRET)
    for handler in (Sync(), print, Recorder):
        with pytest.raises(TypeError, match="async __call__; got "):
            receiver.add_handler(handler)  # type: ignore[arg-type]


def receiver_whose_handler_sees_a_cancelled_future() -> tuple[WebhookReceiver, list[str]]:
    receiver = WebhookReceiver(secret=SECRET)
    calls: list[str] = []

    @receiver.on()
    async def handler(payload: WebhookPayload) -> None:
        calls.append(payload.id)
        elsewhere = asyncio.get_running_loop().create_future()
        elsewhere.cancel()  # cancelled by someone else; this request is not
        await elsewhere

    return receiver, calls


async def test_a_handlers_own_cancelled_error_is_a_500_and_the_retry_runs_it() -> None:
    receiver, calls = receiver_whose_handler_sees_a_cancelled_future()
    body = delivery(generation("g1", "finished"), payload_id="p-cancel-1")
    for _ in range(2):  # not marked handled, and the claim released: the retry runs it
        if TELLS_CANCELLATIONS_APART:
            result = await receiver.handle(headers(), body)
            assert (result.status, result.reason) == (500, "handler failed")
        else:
            with pytest.raises(asyncio.CancelledError):
                await receiver.handle(headers(), body)
    assert calls == ["p-cancel-1", "p-cancel-1"]


async def test_a_cancelled_error_from_a_future_cancelled_while_awaited_is_a_500() -> None:
    receiver = WebhookReceiver(secret=SECRET)
    pending: list[asyncio.Future[None]] = []
    awaiting = asyncio.Event()

    @receiver.on()
    async def handler(payload: WebhookPayload) -> None:
        pending.append(asyncio.get_running_loop().create_future())
        awaiting.set()
        await pending[-1]

    request = asyncio.create_task(
        receiver.handle(headers(), delivery(generation("g1", "finished"), payload_id="p2"))
    )
    await asyncio.wait_for(awaiting.wait(), PATIENCE)
    pending[0].cancel()  # another component cancels what the handler waits for
    if TELLS_CANCELLATIONS_APART:
        result = await asyncio.wait_for(request, PATIENCE)
        assert (result.status, result.reason) == (500, "handler failed")
    else:
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(request, PATIENCE)


async def test_cancelling_the_request_still_cancels_it() -> None:
    receiver = WebhookReceiver(secret=SECRET)
    started = asyncio.Event()
    seen: list[BaseException] = []

    @receiver.on()
    async def handler(payload: WebhookPayload) -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        except BaseException as exc:
            seen.append(exc)
            raise

    body = delivery(generation("g1", "finished"), payload_id="p3")
    request = asyncio.create_task(receiver.handle(headers(), body))
    await asyncio.wait_for(started.wait(), PATIENCE)
    request.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(request, PATIENCE)
    assert len(seen) == 1 and isinstance(seen[0], asyncio.CancelledError)
    # Released: a redelivery runs the handler again.
    started.clear()
    again = asyncio.create_task(receiver.handle(headers(), body))
    await asyncio.wait_for(started.wait(), PATIENCE)
    again.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(again, PATIENCE)


@pytest.mark.skipif(
    not TELLS_CANCELLATIONS_APART,
    reason="Python 3.10 takes a handler's CancelledError as the request's (documented)",
)
@pytest.mark.parametrize("serve", [serve_aiohttp, serve_asgi], ids=["aiohttp", "asgi"])
async def test_over_a_socket_it_is_a_logged_500(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    receiver, calls = receiver_whose_handler_sees_a_cancelled_future()
    body = delivery(generation("g2", "finished"), payload_id="p-cancel-2")
    caplog.set_level(logging.WARNING)
    async with serve(receiver) as port:
        answer = await post_raw(port, "/webhooks", SECRET.encode(), body)
    assert answer == (500, {"status": "handler failed"})
    assert calls == ["p-cancel-2"]
    assert any(
        r.name == "recrubo_async.webhooks" and "p-cancel-2" in r.getMessage()
        for r in caplog.records
    ), [r.getMessage() for r in caplog.records]
