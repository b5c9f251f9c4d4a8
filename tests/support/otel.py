"""OpenTelemetry SDK pieces for the telemetry tests: providers that keep what they got."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import attrs
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


@attrs.define
class Recorded:
    """An in-memory tracer provider and meter provider, and what they recorded."""

    exporter: InMemorySpanExporter
    reader: InMemoryMetricReader
    tracer_provider: TracerProvider
    meter_provider: MeterProvider

    @classmethod
    def make(cls) -> Recorded:
        exporter = InMemorySpanExporter()
        tracer_provider = TracerProvider()
        tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
        reader = InMemoryMetricReader()
        return cls(exporter, reader, tracer_provider, MeterProvider(metric_readers=[reader]))

    @property
    def providers(self) -> dict[str, Any]:
        """``Client(**recorded.providers)``."""
        return {"tracer_provider": self.tracer_provider, "meter_provider": self.meter_provider}

    def spans(self, name: str | None = None) -> list[ReadableSpan]:
        return [s for s in self.exporter.get_finished_spans() if name is None or s.name == name]

    def points(self, metric: str) -> list[tuple[Mapping[str, Any], Any]]:
        """``(attributes, point)`` of every data point of ``metric`` collected now."""
        return list(self._points(metric))

    def _points(self, metric: str) -> Iterator[tuple[Mapping[str, Any], Any]]:
        data = self.reader.get_metrics_data()
        if data is None:
            return
        for rm in data.resource_metrics:
            for sm in rm.scope_metrics:
                for m in sm.metrics:
                    if m.name == metric:
                        for point in m.data.data_points:
                            yield dict(point.attributes or {}), point

    def shutdown(self) -> None:
        self.tracer_provider.shutdown()
        self.meter_provider.shutdown()


def children(spans: list[ReadableSpan], parent: ReadableSpan) -> list[ReadableSpan]:
    """The spans whose parent is ``parent``, in start order."""
    ctx = parent.get_span_context()
    assert ctx is not None
    kids = [s for s in spans if s.parent is not None and s.parent.span_id == ctx.span_id]
    return sorted(kids, key=lambda s: s.start_time or 0)
