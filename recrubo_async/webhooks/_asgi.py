"""``WebhookReceiver.asgi_app()``: the receiver as an ASGI 3 application.

Mount it in Starlette or FastAPI (``app.mount("/webhooks/recrubo", receiver.asgi_app())``)
or serve it alone (``uvicorn module:app``). It needs no framework: it reads the raw
header bytes from the scope, checks the secret before reading any of the body, reads the
body under the size limit and the read deadline, and answers ``{"status": reason}``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import TYPE_CHECKING, Any

import orjson

from ._body import (
    INCOMPLETE,
    NOT_POST,
    TIMED_OUT,
    TOO_LARGE,
    UNAUTHORIZED,
    declared_too_large,
    within,
)

if TYPE_CHECKING:
    from ._receiver import WebhookReceiver
    from ._result import WebhookResult

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_JSON = (b"content-type", b"application/json")
#: Sent when the rest of the body is left unread: the server must not reuse the
#: connection (it would parse the leftover body as the next request) nor drain it.
_CLOSE = (b"connection", b"close")
_ALLOW_POST = (b"allow", b"POST")


class _Disconnected(Exception):
    """The sender went away before its body was complete: nobody to answer."""


class WebhookASGIApp:
    """An ASGI 3 application delivering every ``POST`` to a :class:`WebhookReceiver`.

    Any path is accepted (mounting decides the path); other methods get 405. The lifespan
    protocol is answered, so it can be served alone; it owns nothing to start or stop.
    """

    __slots__ = ("receiver",)

    def __init__(self, receiver: WebhookReceiver) -> None:
        self.receiver = receiver

    def __repr__(self) -> str:
        return f"<WebhookASGIApp {self.receiver!r}>"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await _lifespan(receive, send)
        elif kind == "websocket":
            # Closing before accepting refuses the handshake (the server answers 403).
            await send({"type": "websocket.close", "code": 1008})

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        receiver = self.receiver
        if scope["method"] != "POST":
            await _answer(send, NOT_POST, _CLOSE, _ALLOW_POST)
            return
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        if not receiver.authorize(headers):
            await _answer(send, UNAUTHORIZED, _CLOSE)
            return
        limit = receiver.max_body
        if declared_too_large(_content_length(headers), limit):
            await _answer(send, receiver._refused(TOO_LARGE), _CLOSE)
            return
        try:
            body = await within(receiver.read_timeout, _read(receive, limit))
        except TimeoutError:
            await _answer(send, receiver._refused(TIMED_OUT), _CLOSE)
            return
        except _Disconnected:
            receiver._refused(INCOMPLETE)  # nobody to answer; still a delivery that failed
            return
        if body is None:
            await _answer(send, receiver._refused(TOO_LARGE), _CLOSE)
            return
        await _answer(send, await receiver.handle_body(body))


async def _read(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or ``None`` as soon as it passes ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        if not message.get("more_body", False):
            if not chunks:
                return chunk  # the usual delivery: one message, no join
            chunks.append(chunk)
            return b"".join(chunks)
        chunks.append(chunk)


def _content_length(headers: Iterable[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server rejects a malformed one; the stream limit holds
    return None


#: Each answer's body and Content-Length header, by reason: a handful of fixed words, so
#: encoded once rather than per delivery.
_encoded: dict[str, tuple[bytes, tuple[bytes, bytes]]] = {}


def _encode(reason: str) -> tuple[bytes, tuple[bytes, bytes]]:
    body = orjson.dumps({"status": reason})
    # A Content-Length, not chunked framing: the answer is small and known in full.
    encoded = (body, (b"content-length", str(len(body)).encode("ascii")))
    if len(_encoded) < 64:
        _encoded[reason] = encoded
    return encoded


async def _answer(send: Send, result: WebhookResult, *extra: tuple[bytes, bytes]) -> None:
    body, length = _encoded.get(result.reason) or _encode(result.reason)
    headers = [_JSON, length, *extra]
    await send({"type": "http.response.start", "status": result.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
