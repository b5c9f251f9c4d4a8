"""The aiohttp adapter: secret first, then the body under the size limit and read deadline."""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson
from aiohttp import HttpVersion11, web

from ._body import INCOMPLETE, TIMED_OUT, TOO_LARGE, UNAUTHORIZED, declared_too_large, within

if TYPE_CHECKING:
    from aiohttp.streams import StreamReader

    from ._receiver import WebhookReceiver, WebhookResult


async def handle_request(receiver: WebhookReceiver, request: web.Request) -> web.StreamResponse:
    # Raw bytes: the secret rule is on the bytes sent, not on aiohttp's decoding of them.
    if not receiver.authorize(request.raw_headers):
        return await _refuse(request, UNAUTHORIZED)
    limit = receiver.max_body
    if declared_too_large(request.content_length, limit):
        return await _refuse(request, TOO_LARGE)
    try:
        body = await within(receiver.read_timeout, _read(request.content, limit))
    except TimeoutError:
        return await _refuse(request, TIMED_OUT)
    except ConnectionError:
        # The sender left mid-body: nobody hears this answer (aiohttp drops it quietly),
        # and raising would log an error for what is the sender's business.
        return _answer(INCOMPLETE)
    if body is None:
        return await _refuse(request, TOO_LARGE)
    result = await receiver.handle_body(body)
    return _answer(result)


async def expect_continue(
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
        request.writer.output_size = 0
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
    request.protocol.force_close()
    return response


def _answer(result: WebhookResult) -> web.Response:
    return web.Response(
        status=result.status,
        body=orjson.dumps({"status": result.reason}),
        content_type="application/json",
    )
