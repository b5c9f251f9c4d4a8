"""The webhook edge against hostile senders, on both adapters (aiohttp and ASGI under uvicorn).

A webhook URL is public. Whoever connects must not get their body read without the secret,
must not get more than ``max_body`` bytes read whatever ``Content-Length`` says, and must
not hold a connection (or a good delivery) by sending slowly: raw sockets send exactly
those requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest

from recrubo_async.webhooks import WebhookPayload, WebhookReceiver

from ..support.deliveries import SECRET, delivery, generation, headers
from ..support.raw_http import (
    chunk,
    closed_by_server,
    read_response,
    request_head,
)
from ..support.servers import PATIENCE, Serve, serve_aiohttp, serve_asgi

MAX_BODY = 4096
READ_TIMEOUT = 0.5
PATH = "/webhooks"


@pytest.fixture(params=[serve_aiohttp, serve_asgi], ids=["aiohttp", "asgi"])
def serve(request: pytest.FixtureRequest) -> Serve:
    fn: Serve = request.param
    return fn


def make_receiver(read_timeout: float = READ_TIMEOUT) -> tuple[WebhookReceiver, list[str]]:
    receiver = WebhookReceiver(secret=SECRET, max_body=MAX_BODY, read_timeout=read_timeout)
    handled: list[str] = []

    @receiver.on()
    async def record(payload: WebhookPayload) -> None:
        handled.append(payload.id)

    return receiver, handled


@contextlib.asynccontextmanager
async def connect(port: int) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        yield reader, writer
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


@pytest.mark.parametrize("secret", [None, b"guessed"], ids=["missing", "wrong"])
async def test_a_bad_secret_is_401_before_any_of_the_body_is_sent(
    serve: Serve, secret: bytes | None
) -> None:
    receiver, handled = make_receiver(read_timeout=PATIENCE * 2)  # a 408 cannot pass for it
    async with serve(receiver) as port, connect(port) as (reader, writer):
        writer.write(request_head(PATH, secret=secret, content_length=MAX_BODY))
        await writer.drain()
        status, answer_headers, answer = await asyncio.wait_for(read_response(reader), PATIENCE)
        assert (status, answer) == (401, {"status": "unauthorized"})
        assert answer_headers["connection"].lower() == "close"
        assert await closed_by_server(reader)
    assert handled == []


async def test_a_declared_oversize_body_is_413_before_it_is_sent(serve: Serve) -> None:
    receiver, handled = make_receiver(read_timeout=PATIENCE * 2)
    async with serve(receiver) as port, connect(port) as (reader, writer):
        head = request_head(PATH, secret=SECRET.encode(), content_length=50 * 1024 * 1024)
        writer.write(head)
        await writer.drain()
        status, _, answer = await asyncio.wait_for(read_response(reader), PATIENCE)
        assert (status, answer) == (413, {"status": "body too large"})
        assert await closed_by_server(reader)
    assert handled == []


async def test_an_oversize_chunked_body_is_413_before_it_is_all_sent(serve: Serve) -> None:
    """No Content-Length: the stream itself is cut off once it passes ``max_body``."""
    receiver, handled = make_receiver(read_timeout=PATIENCE * 2)
    total_chunks = 1024  # 1 MiB in 1 KiB chunks, against a 4 KiB limit
    async with serve(receiver) as port, connect(port) as (reader, writer):
        writer.write(request_head(PATH, secret=SECRET.encode(), chunked=True))
        answer = asyncio.create_task(read_response(reader))
        sent = 0
        with contextlib.suppress(ConnectionError):
            while sent < total_chunks and not answer.done():
                writer.write(chunk(b"x" * 1024))
                await writer.drain()
                sent += 1
                await asyncio.sleep(0.005)  # a sender that streams, so the answer can race it
        status, _, body = await asyncio.wait_for(answer, PATIENCE)
    assert (status, body) == (413, {"status": "body too large"})
    assert sent < total_chunks, "the answer came only after the whole body was sent"
    assert handled == []


def whole_request(body: bytes, framing: str) -> bytes:
    """A request with ``body``, to be sent in one write: by Content-Length or chunked."""
    if framing == "chunked":
        head = request_head(PATH, secret=SECRET.encode(), chunked=True)
        return head + chunk(body) + b"0\r\n\r\n"
    return request_head(PATH, secret=SECRET.encode(), content_length=len(body)) + body


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
async def test_an_oversize_body_that_arrives_whole_is_413(serve: Serve, framing: str) -> None:
    """Sent in one write, the body may be all buffered before the adapter looks (aiohttp
    then takes it as it is): still measured against ``max_body``, still not handled."""
    receiver, handled = make_receiver(read_timeout=PATIENCE * 2)
    resource = generation("g-big", "finished")
    resource["attributes"]["context"] = {"type": "text", "value": "x" * (MAX_BODY + 1)}
    body = delivery(resource)
    whole = whole_request(body, framing)
    async with serve(receiver) as port, connect(port) as (reader, writer):
        writer.write(whole)
        await writer.drain()
        status, answer_headers, answer = await asyncio.wait_for(read_response(reader), PATIENCE)
        assert (status, answer) == (413, {"status": "body too large"})
        assert answer_headers["connection"].lower() == "close"
    assert handled == []


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
async def test_a_body_that_arrives_whole_is_handled(serve: Serve, framing: str) -> None:
    receiver, handled = make_receiver()
    body = delivery(generation("g-whole", "finished"), payload_id="whole")
    whole = whole_request(body, framing)
    async with serve(receiver) as port, connect(port) as (reader, writer):
        writer.write(whole)
        await writer.drain()
        status, _, answer = await asyncio.wait_for(read_response(reader), PATIENCE)
    assert (status, answer) == (200, {"status": "ok"})
    assert handled == ["whole"]


async def test_a_content_length_that_overstates_the_body_is_408_not_a_hang(
    serve: Serve,
) -> None:
    """A body shorter than its Content-Length (a lie, or a stall) is timed out, not awaited."""
    receiver, handled = make_receiver()
    body = delivery(generation("g-short", "finished"))
    async with serve(receiver) as port, connect(port) as (reader, writer):
        writer.write(request_head(PATH, secret=SECRET.encode(), content_length=MAX_BODY))
        writer.write(body)
        await writer.drain()
        status, _, answer = await asyncio.wait_for(read_response(reader), PATIENCE)
        assert (status, answer) == (408, {"status": "body read timed out"})
        assert await closed_by_server(reader)
    assert handled == []


async def test_a_slow_drip_body_is_408_after_the_read_timeout(serve: Serve) -> None:
    receiver, handled = make_receiver()
    body = delivery(generation("g-drip", "finished"))
    async with serve(receiver) as port, connect(port) as (reader, writer):
        writer.write(request_head(PATH, secret=SECRET.encode(), content_length=len(body)))
        await writer.drain()
        loop = asyncio.get_running_loop()
        started = loop.time()
        answer = asyncio.create_task(read_response(reader))
        with contextlib.suppress(ConnectionError):
            for byte in body:  # one byte every 50 ms: the whole body would take many seconds
                if answer.done():
                    break
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(0.05)
        status, _, result = await asyncio.wait_for(answer, PATIENCE)
        assert (status, result) == (408, {"status": "body read timed out"})
        # Only a lower bound: a loaded machine may answer late, never early.
        assert loop.time() - started >= READ_TIMEOUT * 0.9
        assert await closed_by_server(reader)
    assert handled == []


async def test_many_slow_senders_do_not_block_a_good_delivery(serve: Serve) -> None:
    receiver, handled = make_receiver(read_timeout=2.0)
    slow = 60
    async with serve(receiver) as port, contextlib.AsyncExitStack() as stack:
        conns = [await stack.enter_async_context(connect(port)) for _ in range(slow)]
        for _, writer in conns:
            writer.write(request_head(PATH, secret=SECRET.encode(), content_length=1000))
            writer.write(b'{"data": ')  # and then nothing more
        for _, writer in conns:
            await writer.drain()
        body = delivery(generation("g-good", "finished"), payload_id="good")
        url = f"http://127.0.0.1:{port}{PATH}"
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, data=body, headers=headers()) as resp,
        ):
            assert resp.status == 200
            assert await resp.json() == {"status": "ok"}
        assert handled == ["good"]
        # Every slow sender is then answered 408 and let go, not held.
        answers = await asyncio.wait_for(
            asyncio.gather(*(read_response(reader) for reader, _ in conns)), PATIENCE
        )
        assert {(status, body["status"]) for status, _, body in answers} == {
            (408, "body read timed out")
        }


async def test_a_body_within_the_limits_is_delivered_in_pieces(serve: Serve) -> None:
    """Chunked and slow-but-in-time bodies are assembled and handled like any other."""
    receiver, handled = make_receiver(read_timeout=PATIENCE)
    body = delivery(generation("g-pieces", "finished"), payload_id="pieces")
    async with serve(receiver) as port, connect(port) as (reader, writer):
        writer.write(request_head(PATH, secret=SECRET.encode(), chunked=True))
        for start in range(0, len(body), 40):
            writer.write(chunk(body[start : start + 40]))
            await writer.drain()
            await asyncio.sleep(0.01)
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        status, _, answer = await asyncio.wait_for(read_response(reader), PATIENCE)
    assert (status, answer) == (200, {"status": "ok"})
    assert handled == ["pieces"]


@pytest.mark.parametrize(
    ("read_timeout", "message"),
    [
        (float("nan"), "read_timeout=.*NaN"),
        (-1.0, "read_timeout=.*more than 0"),
        (0, "read_timeout=.*more than 0"),
    ],
)
def test_read_timeout_is_validated(read_timeout: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WebhookReceiver(secret=SECRET, read_timeout=read_timeout)


def test_read_timeout_accepts_timedelta_and_none() -> None:
    assert WebhookReceiver(secret=SECRET, read_timeout=timedelta(seconds=3)).read_timeout == 3.0
    assert WebhookReceiver(secret=SECRET, read_timeout=None).read_timeout is None
    assert WebhookReceiver(secret=SECRET).read_timeout == 10.0


@pytest.mark.parametrize("max_body", [0, -5, True, 1.5])
def test_max_body_is_validated(max_body: int) -> None:
    with pytest.raises(ValueError, match="max_body="):
        WebhookReceiver(secret=SECRET, max_body=max_body)


async def test_a_sender_leaving_mid_body_is_dropped_quietly(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    """No handler runs, nothing is logged as an error, and the next delivery is served."""
    receiver, handled = make_receiver(read_timeout=PATIENCE)
    async with serve(receiver) as port:
        async with connect(port) as (_, writer):
            writer.write(request_head(PATH, secret=SECRET.encode(), content_length=1000))
            writer.write(b'{"data": ')
            await writer.drain()
            await asyncio.sleep(0.2)  # let the server start reading
        body = delivery(generation("g-after", "finished"), payload_id="after")
        url = f"http://127.0.0.1:{port}{PATH}"
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, data=body, headers=headers()) as resp,
        ):
            assert resp.status == 200
    assert handled == ["after"]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
