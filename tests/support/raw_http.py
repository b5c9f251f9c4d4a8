"""A raw-socket HTTP client for the receiver's edge cases.

It sends exactly the bytes a test gives it (non-ASCII header bytes, headers
without a body, bodies dripped or streamed chunk by chunk), which no HTTP library does.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import orjson

from recrubo_async.webhooks import SECRET_HEADER

from .servers import PATIENCE


def request_head(
    path: str = "/webhooks",
    *,
    secret: bytes | None,
    content_length: int | None = None,
    chunked: bool = False,
    method: str = "POST",
) -> bytes:
    """A request line and headers; the secret header only when ``secret`` is given."""
    lines = [f"{method} {path} HTTP/1.1".encode(), b"Host: 127.0.0.1"]
    lines.append(b"Content-Type: application/vnd.api+json")
    if secret is not None:
        lines.append(SECRET_HEADER.encode() + b": " + secret)
    if content_length is not None:
        lines.append(b"Content-Length: " + str(content_length).encode())
    if chunked:
        lines.append(b"Transfer-Encoding: chunked")
    return b"\r\n".join(lines) + b"\r\n\r\n"


def chunk(data: bytes) -> bytes:
    """One chunk of a chunked body."""
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], Any]:
    """One response: status, headers (lower-case names) and the decoded JSON body."""
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    status = int(status_line.split(" ")[1])
    headers = {}
    for line in header_lines:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    body = await reader.readexactly(length) if length else b""
    return status, headers, orjson.loads(body) if body else None


async def post_raw(port: int, path: str, secret: bytes | None, body: bytes) -> tuple[int, Any]:
    """One complete POST with exactly these bytes; the status and the JSON answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        head = request_head(path, secret=secret, content_length=len(body))
        writer.write(head + body)
        await writer.drain()
        status, _, answer = await asyncio.wait_for(read_response(reader), PATIENCE)
        return status, answer
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def closed_by_server(reader: asyncio.StreamReader) -> bool:
    """Whether the server closes the connection (after its answer) instead of reading on."""
    try:
        rest = await asyncio.wait_for(reader.read(), PATIENCE)
    except ConnectionError:
        return True
    return rest == b""
