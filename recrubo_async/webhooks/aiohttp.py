"""A ``WebhookReceiver`` on an aiohttp application: secret first, then the body under the
size limit and the read deadline.

    app = web.Application()
    add_routes(receiver, app, "/webhooks/recrubo")

Or, to place the route yourself, ``handler(receiver)`` and ``expect_handler(receiver)``.
``receiver.add_routes(app, path)`` and ``receiver.aiohttp_handler`` delegate here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import orjson
from aiohttp import HttpVersion11, web
from multidict import CIMultiDict

from .._compat import drop_connection, reset_output_size
from ._body import INCOMPLETE, TIMED_OUT, TOO_LARGE, UNAUTHORIZED, declared_too_large, within
from ._result import WebhookResult

if TYPE_CHECKING:
    from aiohttp.streams import StreamReader

    # For annotations only: the receiver imports this module (on first use), not this
    # module the receiver.
    from ._receiver import WebhookReceiver

__all__ = ["add_routes", "expect_handler", "handler"]

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_ExpectHandler = Callable[[web.Request], Awaitable[web.StreamResponse | None]]


def add_routes(receiver: WebhookReceiver, app: web.Application, path: str = "/webhooks") -> None:
    """Add ``POST path`` to ``app`` (other methods get 405).

    A sender asking ``Expect: 100-continue`` is invited to send the body only when its
    secret header is right.
    """
    app.router.add_post(path, handler(receiver), expect_handler=expect_handler(receiver))


def handler(receiver: WebhookReceiver) -> _Handler:
    """An aiohttp request handler delivering each request to ``receiver``."""

    async def handle_webhook(request: web.Request) -> web.StreamResponse:
        return await _handle(receiver, request)

    return handle_webhook


def expect_handler(receiver: WebhookReceiver) -> _ExpectHandler:
    """An aiohttp ``expect_handler`` that answers ``100 Continue`` only to a sender whose
    secret header is right (the route's ``expect_handler=``)."""

    async def expect_webhook(request: web.Request) -> web.StreamResponse | None:
        return await _expect_continue(receiver, request)

    return expect_webhook


async def _handle(receiver: WebhookReceiver, request: web.Request) -> web.StreamResponse:
    """Answer one request with ``receiver`` (``handler(receiver)``, ``aiohttp_handler``)."""
    # Raw bytes: the secret rule is on the bytes sent, not on aiohttp's decoding of them.
    if not receiver.authorize(request.raw_headers):
        return await _refuse(request, UNAUTHORIZED)
    limit = receiver.max_body
    content = request.content
    if content.is_eof():
        # The whole body has arrived (the usual delivery: a few KiB in the packets that
        # brought the headers): take it as it is, with no read loop and no deadline.
        try:
            whole = content.read_nowait()
        except ConnectionError:
            # The sender hung up after sending it (aiohttp parks the error on the
            # stream): as below, nobody hears the answer.
            return _answer(receiver._refused(INCOMPLETE))
        body: bytes | None = whole if len(whole) <= limit else None
    elif declared_too_large(request.content_length, limit):
        return await _refuse(request, receiver._refused(TOO_LARGE))
    else:
        try:
            body = await within(receiver.read_timeout, _read(content, limit))
        except TimeoutError:
            return await _refuse(request, receiver._refused(TIMED_OUT))
        except ConnectionError:
            # The sender left mid-body: nobody hears this answer (aiohttp drops it
            # quietly), and raising would log an error for what is the sender's business.
            return _answer(receiver._refused(INCOMPLETE))
    if body is None:
        return await _refuse(request, receiver._refused(TOO_LARGE))
    result = await receiver.handle_body(body)
    return _answer(result)


async def _expect_continue(
    receiver: WebhookReceiver, request: web.Request
) -> web.StreamResponse | None:
    """``Expect: 100-continue``: invite the body only from a sender with the secret.

    aiohttp's own expect handler answers ``100 Continue`` before the route's handler runs,
    which invites anyone to send the body; a sender without the secret gets its 401 now.
    """
    if not receiver.authorize(request.raw_headers):
        response = _answer(UNAUTHORIZED)
        response.force_close()
        return response
    if request.version == HttpVersion11 and request.headers.get("Expect", "").lower() == (
        "100-continue"
    ):
        await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        # The interim answer is not part of the response's size (as aiohttp's own handler).
        reset_output_size(request)
        return None
    raise web.HTTPExpectationFailed(text=f"Unknown Expect: {request.headers.get('Expect')}")


async def _read(content: StreamReader, limit: int) -> bytes | None:
    """The whole body, or ``None`` as soon as it passes ``limit`` bytes."""
    first = await content.readany()
    size = len(first)
    if size > limit:
        return None
    if not first or content.is_eof():
        return first  # the usual delivery: one small, already buffered chunk; no join
    chunks = [first]
    while chunk := await content.readany():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def _refuse(request: web.Request, result: WebhookResult) -> web.StreamResponse:
    """Answer now and close the connection, without reading what is left of the body.

    aiohttp would otherwise keep reading (and discarding) the rest for up to
    ``lingering_time`` seconds, which is what a slow or oversized sender wants.
    """
    response = _answer(result)
    response.force_close()
    await response.prepare(request)
    await response.write_eof()
    # The answer is written; closing now drops the unread rest of the body.
    drop_connection(request)
    return response


def _answer(result: WebhookResult) -> web.Response:
    # The header given whole (aiohttp copies it): the same answer as content_type=...
    return web.Response(status=result.status, body=_body(result.reason), headers=_JSON)


_JSON: CIMultiDict[str] = CIMultiDict({"Content-Type": "application/json"})


#: Each answer's body, by reason: a handful of fixed words, encoded once.
_bodies: dict[str, bytes] = {}


def _body(reason: str) -> bytes:
    body = _bodies.get(reason)
    if body is None:
        body = orjson.dumps({"status": reason})
        if len(_bodies) < 64:
            _bodies[reason] = body
    return body
