"""A real HTTP/1.1 server on 127.0.0.1 that answers from a script and records what it got.

Raw asyncio streams rather than aiohttp.web, so a test can also reset the connection at an
exact moment (after the request was read) or answer slowly.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Mapping
from typing import Any

import attrs
import orjson


@attrs.frozen(kw_only=True)
class Recorded:
    method: str
    target: str
    headers: Mapping[str, str]
    body: bytes
    #: Every header line as sent, lower-cased names, repeats kept.
    header_lines: tuple[tuple[str, str], ...] = ()

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    @property
    def query(self) -> str:
        return self.target.split("?", 1)[1] if "?" in self.target else ""

    def json(self) -> Any:
        return orjson.loads(self.body)


@attrs.frozen(kw_only=True)
class Reply:
    status: int = 200
    body: bytes | Mapping[str, Any] | None = None
    headers: Mapping[str, str] = attrs.field(factory=dict)
    content_type: str = "application/vnd.api+json"
    delay: float = 0.0


@attrs.frozen
class Reset:
    """Read the whole request, then drop the connection without answering."""


Action = Reply | Reset

_REASONS = {200: "OK", 201: "Created", 204: "No Content"}


class ScriptedServer:
    """Answers each request with the next scripted action, then with ``default``."""

    def __init__(self, default: Action | None = None) -> None:
        self.requests: list[Recorded] = []
        self.script: deque[Action] = deque()
        self.default: Action = default or Reply(status=200, body={"data": None})
        self._server: asyncio.Server | None = None
        self._conns: set[asyncio.Task[None]] = set()
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/public/v2"

    def add(self, *actions: Action) -> None:
        self.script.extend(actions)

    async def __aenter__(self) -> ScriptedServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._conns):
            task.cancel()
        for task in list(self._conns):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._conns.add(task)
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    break
                self.requests.append(request)
                action = self.script.popleft() if self.script else self.default
                if isinstance(action, Reset):
                    writer.transport.abort()
                    break
                if action.delay:
                    await asyncio.sleep(action.delay)
                writer.write(_encode(action))
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._conns.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                await writer.wait_closed()


async def _read_request(reader: asyncio.StreamReader) -> Recorded | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    pairs = []
    for line in lines[1:]:
        if line:
            name, value = line.split(":", 1)
            pairs.append((name.strip().lower(), value.strip()))
    headers = dict(pairs)
    length = int(headers.get("content-length", "0"))
    body = await reader.readexactly(length) if length else b""
    return Recorded(
        method=method, target=target, headers=headers, body=body, header_lines=tuple(pairs)
    )


def _encode(reply: Reply) -> bytes:
    if reply.body is None:
        body = b""
    elif isinstance(reply.body, bytes):
        body = reply.body
    else:
        body = orjson.dumps(reply.body)
    reason = _REASONS.get(reply.status, "Status")
    lines = [f"HTTP/1.1 {reply.status} {reason}", f"Content-Length: {len(body)}"]
    if body:
        lines.append(f"Content-Type: {reply.content_type}")
    lines.extend(f"{k}: {v}" for k, v in reply.headers.items())
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
