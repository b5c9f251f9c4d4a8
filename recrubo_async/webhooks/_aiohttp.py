"""The aiohttp adapter: stream the body under the size limit, answer with the result."""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson
from aiohttp import web

if TYPE_CHECKING:
    from ._receiver import WebhookReceiver


async def handle_request(receiver: WebhookReceiver, request: web.Request) -> web.Response:
    limit = receiver.max_body
    if request.content_length is not None and request.content_length > limit:
        return _answer(413, "body too large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            # Stop reading: a sender that lied about (or left out) Content-Length is cut off.
            return _answer(413, "body too large")
        chunks.append(chunk)
    result = await receiver.handle(request.headers, b"".join(chunks))
    return _answer(result.status, result.reason)


def _answer(status: int, reason: str) -> web.Response:
    return web.Response(
        status=status,
        body=orjson.dumps({"status": reason}),
        content_type="application/json",
    )
