"""What an adversarial review of the edges found, held: ids with ``;``, secrets a header
cannot carry, ``Expect: 100-continue`` from strangers, log floods, the API key in a chained
cause, malformed base URLs and durations too large for a float.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
from collections.abc import AsyncIterator

import pytest

from recrubo_async import Client, ConfigurationError, RecruboError
from recrubo_async.waiters import PollingWaiter
from recrubo_async.webhooks import WebhookReceiver

from ..support.raw_http import post_raw, request_head
from ..support.scripted_server import Reply, ScriptedServer
from ..support.servers import PATIENCE, serve_aiohttp

KEY = "org-key-never-shown-0123456789"
SECRET = "s3cret-for-the-edges"


@pytest.mark.parametrize("bad", ["..;", ".;x", "a;b", "..;/x", ";"])
async def test_ids_with_a_semicolon_are_refused_before_anything_is_sent(bad: str) -> None:
    # yarl sends ';' unquoted, and many servers and proxies read '..;' as '..'.
    async with ScriptedServer() as server, Client(KEY, base_url=server.url) as client:
        server.add(Reply(status=204))
        with pytest.raises(ValueError, match="not a safe path segment"):
            await client.candidates.delete(bad)
        with pytest.raises(ValueError, match="not a safe path segment"):
            await client.flow_generations.wait(bad)
        assert server.requests == []


@pytest.mark.parametrize("secret", [SECRET + "\n", " " + SECRET, SECRET + " ", "a\x00b", "a\rb"])
async def test_a_secret_no_header_can_carry_is_refused_without_echoing_it(secret: str) -> None:
    with pytest.raises(ValueError, match="whitespace or control characters") as refused:
        WebhookReceiver(secret=secret)
    assert secret.strip() not in str(refused.value)
    with pytest.raises(ValueError, match="whitespace or control characters"):
        WebhookReceiver(secret=SECRET, secrets=[secret])
    async with ScriptedServer() as server, Client(KEY, base_url=server.url) as client:
        with pytest.raises(ValueError, match="whitespace or control characters") as refused:
            await client.organizations.configure_webhooks(
                "org-1", url="https://example.com/hooks", secret=secret
            )
        assert secret.strip() not in str(refused.value)
        assert server.requests == []


async def _expect_continue(port: int, secret: bytes | None) -> list[bytes]:
    """Send only the head of a 1 MB POST asking ``Expect: 100-continue``; the status lines
    the server answers before the connection goes quiet or closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        head = request_head(secret=secret, content_length=1_000_000)
        writer.write(head[:-2] + b"Expect: 100-continue\r\n\r\n")
        await writer.drain()
        first = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), PATIENCE)
        return [first.split(b"\r\n", 1)[0]]
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def test_expect_continue_invites_the_body_only_from_a_sender_with_the_secret() -> None:
    receiver = WebhookReceiver(secret=SECRET)
    async with serve_aiohttp(receiver) as port:
        assert await _expect_continue(port, None) == [b"HTTP/1.1 401 Unauthorized"]
        assert await _expect_continue(port, b"wrong") == [b"HTTP/1.1 401 Unauthorized"]
        assert await _expect_continue(port, SECRET.encode()) == [b"HTTP/1.1 100 Continue"]


async def test_rejections_are_counted_and_logged_once_a_minute(
    caplog: pytest.LogCaptureFixture,
) -> None:
    receiver = WebhookReceiver(secret=SECRET)
    with caplog.at_level(logging.WARNING, logger="recrubo_async.webhooks"):
        async with serve_aiohttp(receiver) as port:
            for _ in range(30):
                status, _ = await post_raw(port, "/webhooks", b"not-it-42", b"{}")
                assert status == 401
    assert receiver.rejected == 30
    warnings = [r for r in caplog.records if "rejected" in r.getMessage()]
    assert len(warnings) == 1
    assert SECRET not in caplog.text and "not-it-42" not in caplog.text


@contextlib.asynccontextmanager
async def malformed_server() -> AsyncIterator[int]:
    """Answers every request with a head aiohttp cannot parse (a ClientResponseError)."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nBad Header Line\r\n\r\n")
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


async def test_the_api_key_is_in_no_part_of_a_malformed_answers_error_chain() -> None:
    async with (
        malformed_server() as port,
        Client(KEY, base_url=f"http://127.0.0.1:{port}", max_retries=0) as client,
    ):
        with pytest.raises(RecruboError) as caught:
            await client.candidates.retrieve("abc")
    error: BaseException | None = caught.value
    seen = 0
    while error is not None:
        seen += 1
        assert KEY not in repr(error) and KEY not in str(error)
        error = error.__cause__ or error.__context__
    assert seen >= 1
    assert KEY not in "".join(traceback.format_exception(caught.value))


@pytest.mark.parametrize(
    "url",
    [
        "http://",
        "http://[::1",
        "http://host:99999",
        "https://user:password@api.example.com",
        "http://host/path?query=1",
        "ftp://host",
    ],
)
async def test_a_malformed_base_url_is_a_configuration_error(url: str) -> None:
    with pytest.raises(ConfigurationError, match="base_url"):
        Client(KEY, base_url=url)
    client = Client(KEY, base_url="http://127.0.0.1:1")
    with pytest.raises(ConfigurationError, match="base_url"):
        client.with_options(base_url=url)
    await client.aclose()


def test_a_duration_too_large_for_a_float_is_a_value_error_naming_it() -> None:
    huge = 10**400
    with pytest.raises(ValueError, match="timeout"):
        Client(KEY, timeout=huge)
    with pytest.raises(ValueError, match="max_retry_time"):
        Client(KEY, max_retry_time=huge)
    with pytest.raises(ValueError, match="interval"):
        PollingWaiter(interval=huge)
