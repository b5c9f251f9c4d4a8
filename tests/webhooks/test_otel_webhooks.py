"""OpenTelemetry for webhook deliveries: one SERVER span per delivery with its type, id,
event and result, and ``recrubo.webhook.deliveries`` counted by result (ok, duplicate,
stale, unauthorized, too large, handler error). Also: no secret in any log record across
a whole run. Deliveries go over loopback to a real receiver."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
from opentelemetry.trace import SpanKind, StatusCode

from recrubo_async import _otel
from recrubo_async.waiters import WebhookWaiter
from recrubo_async.webhooks import WebhookReceiver

from ..support.deliveries import SECRET, delivery, generation, headers
from ..support.deployment import CONTEXT, PARAMETERS, deployment
from ..support.otel import Recorded
from ..support.servers import receiver_app, serve
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
