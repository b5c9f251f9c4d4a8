"""Each attempt runs inside ``HTTPCore.send``: a request in flight is awaited through two
coroutines of the SDK's (the resource's method and ``send``), whatever watches it (hooks,
debug logging, OpenTelemetry), and an attempt cancelled in flight still ends its span.

One coroutine per attempt would be one more frame kept per request in flight; at
concurrency 32 that is memory every request reads again (benchmarks/findings.md, session
14). The behaviour of attempts (statuses, retries, hooks, spans) is tested in
test_retries.py, test_otel_requests.py and tests/hooks; this file pins the shape.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from opentelemetry.trace import StatusCode

import recrubo_async
from recrubo_async import Client, Hooks, RequestEvent, ResponseEvent

from ..conftest import API_KEY
from ..support.otel import Recorded
from ..support.scripted_server import Reply, ScriptedServer

SDK_DIR = str(Path(recrubo_async.__file__).parent)
#: Long enough never to answer within a test: the request is cancelled in flight.
NEVER = 120.0


def sdk_coroutines(task: asyncio.Task[Any]) -> list[str]:
    """The names of the SDK's coroutines in ``task``'s chain of awaits, outermost first."""
    names: list[str] = []
    awaited: Any = task.get_coro()
    while awaited is not None:
        code = getattr(awaited, "cr_code", None) or getattr(awaited, "gi_code", None)
        if code is None:  # a future, or an object awaited through __await__
            break
        if code.co_filename.startswith(SDK_DIR):
            names.append(code.co_name)
        awaited = getattr(awaited, "cr_await", None) or getattr(awaited, "gi_yieldfrom", None)
    return names


async def in_flight(server: ScriptedServer, call: asyncio.Task[Any]) -> None:
    """Until the server has the request (and the client awaits its answer)."""
    for _ in range(10_000):
        if server.requests or call.done():
            break
        await asyncio.sleep(0.005)
    assert server.requests and not call.done()


Watch = Callable[[ScriptedServer], AbstractAsyncContextManager[Client]]


@asynccontextmanager
async def unwatched(server: ScriptedServer) -> AsyncIterator[Client]:
    async with Client(API_KEY, base_url=server.url) as client:
        yield client


@asynccontextmanager
async def hooked(server: ScriptedServer) -> AsyncIterator[Client]:
    seen: list[object] = []

    async def on_request(event: RequestEvent) -> None:
        seen.append(event)

    def on_response(event: ResponseEvent) -> None:
        seen.append(event)

    hooks = Hooks(on_request=on_request, on_response=on_response)
    async with Client(API_KEY, base_url=server.url, hooks=hooks) as client:
        yield client
    assert [type(e) for e in seen] == [RequestEvent]  # cancelled before the answer


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@asynccontextmanager
async def logged(server: ScriptedServer) -> AsyncIterator[Client]:
    logger = logging.getLogger("recrubo_async")
    level = logger.level
    lines = Lines()
    logger.setLevel(logging.DEBUG)
    logger.addHandler(lines)
    try:
        async with Client(API_KEY, base_url=server.url) as client:
            yield client
    finally:
        logger.removeHandler(lines)
        logger.setLevel(level)
    # The attempt was watched: its debug line went out before the request.
    assert lines.lines == [f"GET {server.url}/flow-generations/g1 attempt 1"]


@asynccontextmanager
async def traced(server: ScriptedServer) -> AsyncIterator[Client]:
    recorded = Recorded.make()
    try:
        async with Client(API_KEY, base_url=server.url, **recorded.providers) as client:
            yield client
        # The attempt was cancelled in flight: its span still ended, as an error.
        (span,) = recorded.spans()
        assert span.status.status_code is StatusCode.ERROR
        error_type = str((span.attributes or {})["error.type"])
        assert error_type.endswith("CancelledError")
        ((point, _),) = recorded.points("http.client.request.duration")
        assert point["error.type"] == error_type
        assert "http.response.status_code" not in point
    finally:
        recorded.shutdown()


@pytest.mark.parametrize("watch", [unwatched, hooked, logged, traced])
async def test_a_request_in_flight_is_awaited_through_two_coroutines_of_the_sdk(
    watch: Watch, server: ScriptedServer
) -> None:
    server.add(Reply(body={"data": None}, delay=NEVER))
    async with watch(server) as client:
        call = asyncio.create_task(client.flow_generations.retrieve("g1"))
        await in_flight(server, call)
        assert sdk_coroutines(call) == ["retrieve", "send"]
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call


async def test_what_a_failed_attempt_read_is_not_kept_by_the_error_it_raised(
    server: ScriptedServer,
) -> None:
    """The answer object and body of an attempt die with the attempt (as they did with a
    coroutine of its own), not with ``send``'s frame, which the error's traceback keeps."""
    server.add(Reply(status=404, body={"errors": [{"status": "404", "title": "Not Found"}]}))
    async with Client(API_KEY, base_url=server.url) as client:
        with pytest.raises(recrubo_async.NotFoundError) as caught:
            await client.flow_generations.retrieve("g1")
    held = []
    frame_tb = caught.value.__traceback__
    while frame_tb is not None:
        frame = frame_tb.tb_frame
        if frame.f_code.co_filename.startswith(SDK_DIR):
            held += [
                (frame.f_code.co_name, name)
                for name, value in frame.f_locals.items()
                if isinstance(value, (aiohttp.ClientResponse, bytes))
            ]
        frame_tb = frame_tb.tb_next
    assert held == []
