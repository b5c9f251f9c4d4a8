"""Observability: OpenTelemetry spans and metrics for a create-and-wait, on the console.

Needs the ``otel`` extra and, as every application does, an OpenTelemetry SDK of its own
choosing (``pip install 'recrubo-async[otel]' opentelemetry-sdk``). Runs against the
embedded emulator in production mode (the job finishes a moment later and a poll sees it),
or against a real API when ``RECRUBO_API_KEY`` and ``RECRUBO_BASE_URL`` are set::

    python examples/observability.py
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from _target import api_target
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    ConsoleMetricExporter,
    MetricsData,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExportResult,
)

from recrubo_async import Client
from recrubo_async.models import (
    CandidateField,
    Requirement,
    TextContext,
    VacancyApplicationParameters,
)
from recrubo_async.waiters import PollingWaiter


def one_line(span: ReadableSpan) -> str:
    """The console exporter prints JSON by default; one line per span reads better here."""
    parent = f" (child of {span.parent.span_id:016x})" if span.parent else ""
    attributes = span.attributes or {}
    shown = {
        k: attributes[k]
        for k in (
            "http.response.status_code",
            "recrubo.wait.outcome",
            "recrubo.wait.settled_by",
        )
        if k in attributes
    }
    return f"span {span.name!r} {span.context.span_id:016x}{parent} {shown}\n"


def metric_lines(data: MetricsData) -> str:
    lines = []
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                for point in metric.data.data_points:
                    value = getattr(point, "count", None)
                    if value is None:
                        value = getattr(point, "value", None)
                        label = "value"
                    else:
                        label = "count"
                    attrs = dict(point.attributes or {})
                    lines.append(f"metric {metric.name} {label}={value} {attrs}\n")
    return "".join(lines)


def draw(spans: Sequence[ReadableSpan]) -> None:
    """The span tree, indented by depth."""
    by_parent: dict[int | None, list[ReadableSpan]] = {}
    ids = {s.context.span_id for s in spans}
    for span in spans:
        parent = span.parent.span_id if span.parent and span.parent.span_id in ids else None
        by_parent.setdefault(parent, []).append(span)

    def walk(parent: int | None, depth: int) -> None:
        for span in sorted(by_parent.get(parent, []), key=lambda s: s.start_time or 0):
            print(f"{'  ' * depth}{span.name}")
            walk(span.context.span_id, depth + 1)

    walk(None, 0)


class Keep(ConsoleSpanExporter):
    """The console exporter, also keeping the spans to draw the tree at the end."""

    def __init__(self) -> None:
        super().__init__(formatter=one_line)
        self.spans: list[ReadableSpan] = []

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.spans.extend(spans)
        return super().export(spans)


async def main() -> None:
    spans = Keep()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    # Exported when the provider shuts down (and every minute while it runs).
    reader = PeriodicExportingMetricReader(ConsoleMetricExporter(formatter=metric_lines))
    meter_provider = MeterProvider(metric_readers=[reader])
    tracer = tracer_provider.get_tracer("example")

    async with (
        api_target(mode="production", speed=20) as target,
        Client(
            target.api_key,
            base_url=target.base_url,
            waiter=PollingWaiter(interval=0.05, max_interval=0.2, jitter=0.0),
            # Without these two, the client uses the global providers
            # (opentelemetry.trace.set_tracer_provider, metrics.set_meter_provider).
            tracer_provider=tracer_provider,
            meter_provider=meter_provider,
        ) as client,
    ):
        with tracer.start_as_current_span("generate a flow"):
            generation = await client.flow_generations.create_and_wait(
                flow_type="vacancy_application_flow",
                parameters=VacancyApplicationParameters(
                    flow_name="Delivery driver",
                    knockout_requirements=[Requirement("Has a driving licence B", "licence")],
                    preferred_requirements=[],
                    required_fields=[CandidateField("email", "email")],
                ),
                context=TextContext(value="Delivery driver in Amsterdam, licence B."),
                timeout=60,
            )
        print(f"generation {generation.id}: {generation.status}")
    tracer_provider.shutdown()
    meter_provider.shutdown()
    print("span tree:")
    draw(spans.spans)


if __name__ == "__main__":
    asyncio.run(main())
