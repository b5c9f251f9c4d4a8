"""``Client(max_response_size=...)``: a body over the limit (declared, streamed or
inflated from a compression bomb) raises ResponseTooLargeError without being held in
memory; bodies within it read as before."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import orjson
import pytest

from recrubo_async import Client, ConfigurationError, ResponseTooLargeError
from recrubo_async._constants import DEFAULT_MAX_RESPONSE_SIZE

from ..conftest import API_KEY

MIB = 1024 * 1024
LIMIT = 1 * MIB
CHUNK = bytes(64 * 1024)
DOC = orjson.dumps({"data": {"type": "flowGenerations", "id": "g1", "attributes": {}}})


def _bomb(make: Callable[[], Any], size: int) -> bytes:
    """``size`` zero bytes compressed, built a chunk at a time (the test stays small)."""
    compressor = make()
    parts = [compressor.compress(CHUNK) for _ in range(size // len(CHUNK))]
    parts.append(compressor.flush())
    return b"".join(parts)


GZIP_BOMB = _bomb(lambda: zlib.compressobj(9, zlib.DEFLATED, 31), 16 * MIB)
DEFLATE_BOMB = _bomb(lambda: zlib.compressobj(9), 16 * MIB)

#: What the raw server answers: the head's extra lines, then the body's chunks.
Answer = tuple[list[str], Callable[[], Iterator[bytes]]]


class RawServer:
    """Answers every request with ``answer``; counts requests and bytes it managed to send."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.requests = 0
        self.sent = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while await reader.readuntil(b"\r\n\r\n"):
                self.requests += 1
                head, body = self.answer
                lines = ["HTTP/1.1 200 OK", "Content-Type: application/vnd.api+json", *head]
                writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
                chunked = "Transfer-Encoding: chunked" in head
                for part in body():
                    writer.write(b"%x\r\n%b\r\n" % (len(part), part) if chunked else part)
                    await writer.drain()
                    self.sent += len(part)
                if chunked:
                    writer.write(b"0\r\n\r\n")
                await writer.drain()
        writer.close()


@contextlib.asynccontextmanager
async def raw_server(answer: Answer) -> AsyncIterator[tuple[RawServer, str]]:
    raw = RawServer(answer)
    server = await asyncio.start_server(raw.serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield raw, f"http://127.0.0.1:{port}/public/v2"
    finally:
        server.close()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(server.wait_closed(), 5)


def zeros(total: int) -> Callable[[], Iterator[bytes]]:
    return lambda: (CHUNK for _ in range(total // len(CHUNK)))


def once(body: bytes) -> Callable[[], Iterator[bytes]]:
    return lambda: iter((body,))


async def _retrieve_peak(url: str, **options: Any) -> tuple[BaseException | None, int]:
    """Retrieve once; the error raised (if any) and the peak of memory allocated meanwhile."""
    async with Client(API_KEY, base_url=url, max_retries=2, **options) as client:
        await client.__aenter__()  # the session exists before measuring
        tracemalloc.start()
        try:
            await client.flow_generations.retrieve("g1")
        except Exception as exc:
            return exc, tracemalloc.get_traced_memory()[1]
        finally:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    return None, peak


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(([f"Content-Length: {300 * MIB}"], zeros(8 * MIB)), id="declared 300 MiB"),
        pytest.param((["Transfer-Encoding: chunked"], zeros(64 * MIB)), id="chunked 64 MiB"),
        pytest.param(
            ([f"Content-Length: {len(GZIP_BOMB)}", "Content-Encoding: gzip"], once(GZIP_BOMB)),
            id="gzip bomb",
        ),
        pytest.param(
            (
                [f"Content-Length: {len(DEFLATE_BOMB)}", "Content-Encoding: deflate"],
                once(DEFLATE_BOMB),
            ),
            id="deflate bomb",
        ),
    ],
)
async def test_a_body_over_the_limit_raises_without_filling_memory(answer: Answer) -> None:
    async with raw_server(answer) as (raw, url):
        error, peak = await _retrieve_peak(url, max_response_size=LIMIT)
    assert isinstance(error, ResponseTooLargeError), error
    assert error.status == 200 and error.limit == LIMIT
    assert "max_response_size" in str(error) and API_KEY not in str(error)
    assert raw.requests == 1, "the same request would get the same answer: never retried"
    # Whatever the body's size, the client held about the limit, not the body.
    assert peak < 6 * LIMIT, f"peak {peak / MIB:.1f} MiB"


async def test_a_compressed_body_within_the_limit_is_read() -> None:
    body = gzip.compress(DOC)
    head = [f"Content-Length: {len(body)}", "Content-Encoding: gzip"]
    async with (
        raw_server((head, once(body))) as (_, url),
        Client(API_KEY, base_url=url, max_response_size=len(DOC)) as client,
    ):
        gen = await client.flow_generations.retrieve("g1")
    assert gen.id == "g1"


async def test_a_chunked_body_within_the_limit_is_read_and_the_connection_reused() -> None:
    async with (
        raw_server((["Transfer-Encoding: chunked"], once(DOC))) as (raw, url),
        Client(API_KEY, base_url=url, max_response_size=len(DOC)) as client,
    ):
        for _ in range(3):
            assert (await client.flow_generations.retrieve("g1")).id == "g1"
    assert raw.requests == 3


async def test_the_client_works_on_after_a_body_over_the_limit() -> None:
    big = (["Transfer-Encoding: chunked"], zeros(4 * MIB))
    async with (
        raw_server(big) as (raw, url),
        Client(API_KEY, base_url=url, max_response_size=LIMIT) as client,
    ):
        with pytest.raises(ResponseTooLargeError):
            await client.flow_generations.retrieve("g1")
        raw.answer = ([f"Content-Length: {len(DOC)}"], once(DOC))
        assert (await client.flow_generations.retrieve("g1")).id == "g1"
        # A copy can lift the limit; None reads any size.
        raw.answer = big
        with pytest.raises(ResponseTooLargeError):
            await client.flow_generations.retrieve("g1")
        unlimited = client.with_options(max_response_size=None)
        with pytest.raises(Exception) as info:  # noqa: PT011 - 4 MiB of zeros is no JSON
            await unlimited.flow_generations.retrieve("g1")
        assert not isinstance(info.value, ResponseTooLargeError)


def test_the_default_limit_is_generous_but_finite() -> None:
    assert 8 * MIB <= DEFAULT_MAX_RESPONSE_SIZE <= 256 * MIB


@pytest.mark.parametrize("bad", [0, -1, True, 1.5, "1", float("nan")])
def test_a_meaningless_limit_is_refused_naming_the_argument(bad: Any) -> None:
    with pytest.raises(ConfigurationError, match="max_response_size"):
        Client(API_KEY, max_response_size=bad)
    with pytest.raises(ConfigurationError, match="max_response_size"):
        Client(API_KEY).with_options(max_response_size=bad)
