"""OpenTelemetry on the request path: one CLIENT span per attempt with the stable HTTP
semantic conventions, the trace context sent on the request, the duration histogram, and
nothing at all (not even an import) without the ``otel`` extra."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest
from opentelemetry.trace import SpanKind, StatusCode
from yarl import URL

from recrubo_async import APIConnectionError, Client, InternalServerError
from recrubo_async._otel import SCHEMA_URL, SCOPE_NAME
from recrubo_async._retry import retry_sleeps_disabled
from recrubo_async._version import __version__
from recrubo_async.testing import Emulator

from ..conftest import API_KEY
from ..support.otel import Recorded
from ..support.scripted_server import Reply, ScriptedServer

OK_ONE = Reply(
    body={"data": {"type": "flowGenerations", "id": "g1", "attributes": {}}},
    headers={"X-Request-Id": "req-42"},
)


@pytest.fixture
def recorded() -> Iterator[Recorded]:
    rec = Recorded.make()
    yield rec
    rec.shutdown()


async def test_an_attempt_is_a_client_span_with_the_http_conventions_and_the_request_id(
    recorded: Recorded, server: ScriptedServer
) -> None:
    server.add(OK_ONE)
    async with Client(API_KEY, base_url=server.url, **recorded.providers) as client:
        await client.flow_generations.retrieve("g1", include=["flow"])
    (span,) = recorded.spans()
    assert span.name == "GET"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    attributes = dict(span.attributes or {})
    assert attributes == {
        "http.request.method": "GET",
        "server.address": URL(server.url).host,
        "server.port": URL(server.url).port,
        "url.full": f"{server.url}/flow-generations/g1?include=flow",
        "http.response.status_code": 200,
        "recrubo.request.id": "req-42",
    }
    scope = span.instrumentation_scope
    assert scope is not None
    assert (scope.name, scope.version, scope.schema_url) == (SCOPE_NAME, __version__, SCHEMA_URL)


async def test_the_trace_context_is_sent_on_the_request(
    recorded: Recorded, server: ScriptedServer
) -> None:
    server.add(OK_ONE)
    async with Client(API_KEY, base_url=server.url, **recorded.providers) as client:
        await client.flow_generations.retrieve("g1")
    (span,) = recorded.spans()
    sent = {k.lower(): v for k, v in server.requests[0].headers.items()}
    trace_id = format(span.context.trace_id, "032x")
    span_id = format(span.context.span_id, "016x")
    assert sent["traceparent"].startswith(f"00-{trace_id}-{span_id}-")
    # Still the client's own headers beside it.
    assert sent["authorization"] == f"Bearer {API_KEY}"


async def test_a_retry_makes_two_attempt_spans_and_the_second_says_resend_count(
    recorded: Recorded, server: ScriptedServer
) -> None:
    server.add(Reply(status=503, body={"errors": [{"status": "503"}]}), OK_ONE)
    with retry_sleeps_disabled():
        async with Client(API_KEY, base_url=server.url, **recorded.providers) as client:
            await client.flow_generations.retrieve("g1")
    first, second = sorted(recorded.spans(), key=lambda s: s.start_time or 0)
    assert first.attributes is not None and second.attributes is not None
    assert first.attributes["http.response.status_code"] == 503
    assert first.attributes["error.type"] == "503"
    assert first.status.status_code is StatusCode.ERROR
    assert "http.request.resend_count" not in first.attributes
    assert second.attributes["http.request.resend_count"] == 1
    assert "error.type" not in second.attributes
    # Two attempts, two trace contexts: each attempt's own span id went out.
    parents = [r.headers.get("traceparent", "") for r in server.requests]
    assert format(first.context.span_id, "016x") in parents[0]
    assert format(second.context.span_id, "016x") in parents[1]


async def test_every_attempt_is_timed_in_the_stable_duration_histogram(
    recorded: Recorded, server: ScriptedServer
) -> None:
    server.default = Reply(status=500, body={"errors": [{"status": "500"}]})
    async with Client(API_KEY, base_url=server.url, max_retries=0, **recorded.providers) as c:
        with pytest.raises(InternalServerError):
            await c.flow_generations.retrieve("g1")
    ((attributes, point),) = recorded.points("http.client.request.duration")
    assert attributes == {
        "http.request.method": "GET",
        "server.address": URL(server.url).host,
        "server.port": URL(server.url).port,
        "http.response.status_code": 500,
        "error.type": "500",
    }
    assert point.count == 1
    assert point.explicit_bounds[:3] == (0.005, 0.01, 0.025)


async def test_a_connection_error_is_an_error_type_without_a_status(recorded: Recorded) -> None:
    async with Emulator() as emu:
        url = emu.base_url
    async with Client(API_KEY, base_url=url, max_retries=0, **recorded.providers) as client:
        with pytest.raises(APIConnectionError):
            await client.flow_generations.retrieve("g1")
    (span,) = recorded.spans()
    assert span.attributes is not None
    assert "http.response.status_code" not in span.attributes
    assert str(span.attributes["error.type"]).startswith("aiohttp.")


async def test_emulator_request_ids_reach_the_spans(recorded: Recorded, api: Client) -> None:
    traced = Client(api._config.api_key.reveal(), base_url=api.base_url, **recorded.providers)
    async with traced:
        page = await traced.flow_generations.list()
    assert not page.items
    (span,) = recorded.spans()
    assert span.attributes is not None
    assert span.attributes["recrubo.request.id"]


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-W", "error", "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_without_the_extra_nothing_is_imported_and_nothing_is_recorded() -> None:
    done = _run(
        """
        import sys
        sys.modules["opentelemetry"] = None  # as if the otel extra were not installed
        import asyncio
        import recrubo_async
        from recrubo_async import Client, ConfigurationError

        client = Client("k", base_url="http://127.0.0.1:9")
        assert client._core.http.telemetry is None
        try:
            Client("k", base_url="http://127.0.0.1:9", tracer_provider=object())
        except ConfigurationError as exc:
            assert "recrubo-async[otel]" in str(exc), exc
        else:
            raise AssertionError("a provider without the extra was accepted")
        assert not [m for m in sys.modules if m.startswith("opentelemetry.")]
        print("ok")
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_importing_the_sdk_does_not_import_opentelemetry() -> None:
    """With the extra installed, only making a client (or receiver) loads it."""
    done = _run(
        """
        import sys
        import recrubo_async, recrubo_async.webhooks, recrubo_async.waiters
        print(sorted(m for m in sys.modules if m.startswith("opentelemetry")))
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_with_the_extra_but_no_provider_set_nothing_is_recorded_or_paid() -> None:
    """The API's own providers (the unset global proxies, or no-op ones given) record
    nothing: the client decides so once, and its requests take the plain path."""
    done = _run(
        """
        from opentelemetry.metrics import NoOpMeterProvider
        from opentelemetry.trace import NoOpTracerProvider
        from recrubo_async import Client
        from recrubo_async.webhooks import WebhookReceiver

        assert Client("k", base_url="http://127.0.0.1:9")._core.http.telemetry is None
        noop = Client(
            "k",
            base_url="http://127.0.0.1:9",
            tracer_provider=NoOpTracerProvider(),
            meter_provider=NoOpMeterProvider(),
        )
        assert noop._core.http.telemetry is None
        assert WebhookReceiver(secret="s")._telemetry is None
        print("ok")
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_global_providers_set_before_the_client_are_used() -> None:
    done = _run(
        """
        import asyncio
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
            InMemorySpanExporter,
        )
        from recrubo_async import Client
        from recrubo_async.testing import Emulator

        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        trace.set_tracer_provider(provider)

        async def main() -> None:
            async with Emulator() as emu:
                org = await emu.create_organization("Global")
                async with Client(org.token, base_url=emu.base_url) as client:
                    await client.flow_generations.list()

        asyncio.run(main())
        print([s.name for s in exporter.get_finished_spans()])
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['GET']"
