"""OpenTelemetry for webhook deliveries: one SERVER span per delivery with its type, id,
event and result, and ``recrubo.webhook.deliveries`` counted by result (ok, duplicate,
stale, unauthorized, too large, timed out, incomplete, handler error), those the adapters
answer before the receiver handles them included (real aiohttp and real uvicorn, raw
sockets). Also: no secret in any log record across a whole run. Deliveries go over
loopback to a real receiver."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest
from opentelemetry.trace import SpanKind, StatusCode

from recrubo_async import _otel
from recrubo_async.bus import InMemoryBus
from recrubo_async.waiters import WebhookWaiter
from recrubo_async.webhooks import WebhookReceiver

from ..support.deliveries import SECRET, delivery, generation, headers
from ..support.deployment import CONTEXT, PARAMETERS, deployment
from ..support.otel import Recorded
from ..support.raw_http import chunk, post_raw, read_response, request_head
from ..support.scanner import require_scanner
from ..support.servers import PATIENCE, Serve, receiver_app, serve, serve_aiohttp, serve_asgi
from ..support.timing import eventually, result_of


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorded]:
    """Receivers made in the test record into in-memory providers (in place of the global
    ones, which a process can set only once)."""
    rec = Recorded.make()
    telemetry = _otel.Telemetry(rec.tracer_provider, rec.meter_provider)
    monkeypatch.setattr(_otel, "global_telemetry", lambda: telemetry)
    yield rec
    rec.shutdown()


def counted(recorded: Recorded) -> dict[str, int]:
    """``recrubo.webhook.deliveries`` by result."""
    out: dict[str, int] = {}
    for attributes, point in recorded.points("recrubo.webhook.deliveries"):
        result = str(attributes["recrubo.webhook.result"])
        out[result] = out.get(result, 0) + point.value
    return out


async def post(url: str, body: bytes, secret: str = SECRET) -> int:
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=body, headers=headers(secret)) as resp,
    ):
        return resp.status


async def test_each_delivery_is_a_server_span_with_its_resource_event_and_result(
    recorded: Recorded,
) -> None:
    receiver = WebhookReceiver(secret=SECRET)

    @receiver.on()  # deliveries with a handler are deduplicated (without, nothing runs twice)
    async def handled(payload: Any) -> None:
        return None

    async with serve(receiver_app(receiver)) as served:
        body = delivery(generation("g1", "finished", seconds=5))
        assert await post(served.url("/webhooks"), body) == 200
        assert await post(served.url("/webhooks"), body) == 200  # the same payload again
        older = delivery(generation("g1", "processing", seconds=1))
        assert await post(served.url("/webhooks"), older) == 200
    first, again, late = recorded.spans("webhook delivery")
    assert first.kind is SpanKind.SERVER
    assert dict(first.attributes or {}) == {
        "recrubo.resource.id": "g1",
        "recrubo.webhook.result": "ok",
        "recrubo.resource.type": "flowGenerations",
        "recrubo.webhook.event": "update",
    }
    assert (again.attributes or {})["recrubo.webhook.result"] == "duplicate"
    assert (late.attributes or {})["recrubo.webhook.result"] == "stale"
    assert counted(recorded) == {"ok": 1, "duplicate": 1, "stale": 1}


async def test_a_scanned_delivery_is_traced_without_being_parsed(recorded: Recorded) -> None:
    """With no handler the receiver only scans a delivery (the C scanner): its span names
    the resource from the scan, and the payload and event still hold no parsed resource."""
    require_scanner()
    receiver = WebhookReceiver(secret=SECRET, bus=InMemoryBus())
    result = await receiver.handle(headers(), delivery(generation("g1", "finished")))
    assert result.status == 200 and result.payload is not None
    assert result.payload._raw_resource is None  # not parsed for the span
    (span,) = recorded.spans("webhook delivery")
    assert dict(span.attributes or {}) == {
        "recrubo.resource.id": "g1",
        "recrubo.webhook.result": "ok",
        "recrubo.resource.type": "flowGenerations",
        "recrubo.webhook.event": "update",
    }


async def test_a_rejected_delivery_is_counted_as_unauthorized(recorded: Recorded) -> None:
    receiver = WebhookReceiver(secret=SECRET)
    async with serve(receiver_app(receiver)) as served:
        body = delivery(generation("g1", "finished"))
        assert await post(served.url("/webhooks"), body, secret="not-the-secret") == 401
    (span,) = recorded.spans("webhook delivery")
    assert (span.attributes or {})["recrubo.webhook.result"] == "unauthorized"
    assert counted(recorded) == {"unauthorized": 1}


async def test_a_failing_handler_and_a_body_too_large_are_counted(recorded: Recorded) -> None:
    receiver = WebhookReceiver(secret=SECRET, max_body=2048)

    @receiver.on("flowGenerations")
    async def broken(payload: Any) -> None:
        raise RuntimeError("handler bug")

    result = await receiver.handle(headers(), delivery(generation("g1", "finished")))
    assert result.status == 500
    result = await receiver.handle(headers(), b"{" + b" " * 4096 + b"}")
    assert result.status == 413
    failed, large = recorded.spans("webhook delivery")
    assert failed.status.status_code is StatusCode.ERROR
    assert (failed.attributes or {})["recrubo.webhook.result"] == "handler_error"
    assert (large.attributes or {})["recrubo.webhook.result"] == "too_large"
    assert counted(recorded) == {"handler_error": 1, "too_large": 1}


async def test_no_secret_reaches_any_log_record(
    recorded: Recorded, caplog: pytest.LogCaptureFixture
) -> None:
    """A whole run at DEBUG: create and wait by webhook, a refused delivery, a retry."""
    caplog.set_level(logging.DEBUG)
    async with deployment(clock="manual", client_options=recorded.providers) as env:
        key = env.client._config.api_key.reveal()
        secret = "waiter-test-secret"
        task = env.client.flow_generations.create_and_wait(
            flow_type="vacancy_application_flow",
            parameters=PARAMETERS,
            context=CONTEXT,
            waiter=WebhookWaiter(env.bus),
        )
        running = asyncio.ensure_future(task)
        await eventually(lambda: bool(env.emu.stats.gets), what="the look")
        await env.emu.advance(30)
        await result_of(running)
        assert not env.receiver.authorize({"X-Recrubo-Webhook-Secret": "wrong" + secret})
    assert caplog.records
    for record in caplog.records:
        text = record.getMessage() + repr(record.args) + str(record.exc_text or "")
        assert key not in text, record
        assert secret not in text, record


# -- deliveries the adapters answer before the receiver handles them (issue 18) ---------


@pytest.fixture(params=[serve_aiohttp, serve_asgi], ids=["aiohttp", "uvicorn"])
def serve_adapter(request: pytest.FixtureRequest) -> Serve:
    fn: Serve = request.param
    return fn


@contextlib.asynccontextmanager
async def connection(port: int) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        yield reader, writer
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


def results(recorded: Recorded) -> list[str]:
    """Each delivery span's ``recrubo.webhook.result``, in the order they ended."""
    return [
        str((span.attributes or {})["recrubo.webhook.result"])
        for span in recorded.spans("webhook delivery")
    ]


async def test_a_body_declared_too_large_is_counted_as_too_large(
    recorded: Recorded, serve_adapter: Serve
) -> None:
    receiver = WebhookReceiver(secret=SECRET, max_body=4096, read_timeout=PATIENCE * 2)
    async with serve_adapter(receiver) as port, connection(port) as (reader, writer):
        writer.write(request_head(secret=SECRET.encode(), content_length=10 * 1024 * 1024))
        await writer.drain()
        status, _, answer = await asyncio.wait_for(read_response(reader), PATIENCE)
    assert (status, answer) == (413, {"status": "body too large"})
    assert results(recorded) == ["too_large"]
    assert counted(recorded) == {"too_large": 1}


async def test_a_streamed_body_past_the_limit_is_counted_as_too_large(
    recorded: Recorded, serve_adapter: Serve
) -> None:
    """No Content-Length: cut off by the stream limit, and counted all the same."""
    receiver = WebhookReceiver(secret=SECRET, max_body=4096, read_timeout=PATIENCE * 2)
    async with serve_adapter(receiver) as port, connection(port) as (reader, writer):
        writer.write(request_head(secret=SECRET.encode(), chunked=True))
        writer.write(chunk(b"x" * 8192))
        await writer.drain()
        status, _, answer = await asyncio.wait_for(read_response(reader), PATIENCE)
    assert (status, answer) == (413, {"status": "body too large"})
    assert results(recorded) == ["too_large"]
    assert counted(recorded) == {"too_large": 1}


async def test_a_body_not_sent_in_time_is_counted_as_timed_out(
    recorded: Recorded, serve_adapter: Serve
) -> None:
    receiver = WebhookReceiver(secret=SECRET, read_timeout=0.3)
    body = delivery(generation("g-late", "finished"))
    async with serve_adapter(receiver) as port, connection(port) as (reader, writer):
        # Half the body, then nothing: the read deadline answers it.
        writer.write(request_head(secret=SECRET.encode(), content_length=len(body)))
        writer.write(body[: len(body) // 2])
        await writer.drain()
        status, _, answer = await asyncio.wait_for(read_response(reader), PATIENCE)
    assert (status, answer) == (408, {"status": "body read timed out"})
    assert results(recorded) == ["timed_out"]
    assert counted(recorded) == {"timed_out": 1}


async def test_a_sender_gone_mid_body_is_counted_as_incomplete(
    recorded: Recorded, serve_adapter: Serve
) -> None:
    receiver = WebhookReceiver(secret=SECRET, read_timeout=PATIENCE * 2)
    body = delivery(generation("g-gone", "finished"))
    async with serve_adapter(receiver) as port:
        async with connection(port) as (_, writer):
            writer.write(request_head(secret=SECRET.encode(), content_length=len(body)))
            writer.write(body[: len(body) // 2])
            await writer.drain()
        await eventually(lambda: bool(recorded.spans("webhook delivery")), what="the span")
    assert results(recorded) == ["incomplete"]
    assert counted(recorded) == {"incomplete": 1}


async def test_refusals_and_deliveries_are_counted_together_on_one_receiver(
    recorded: Recorded, serve_adapter: Serve
) -> None:
    """One of each on one server: every request is one delivery span, with its result."""
    receiver = WebhookReceiver(secret=SECRET, max_body=4096, read_timeout=0.3)
    body = delivery(generation("g-ok", "finished"))
    async with serve_adapter(receiver) as port:
        assert await post_raw(port, "/webhooks", SECRET.encode(), body) == (
            200,
            {"status": "ok"},
        )
        assert (await post_raw(port, "/webhooks", b"wrong", body))[0] == 401
        assert (await post_raw(port, "/webhooks", SECRET.encode(), b"x" * 5000))[0] == 413
        assert (await post_raw(port, "/webhooks", SECRET.encode(), b"{}"))[0] == 400
    assert sorted(results(recorded)) == ["bad_payload", "ok", "too_large", "unauthorized"]
    assert counted(recorded) == {"ok": 1, "unauthorized": 1, "too_large": 1, "bad_payload": 1}
