"""``benchmarks/otel.py`` makes its ``absent`` client in the process the others run in: while
it is made, OpenTelemetry must look not installed to every import, and afterwards be
exactly as it was (the same module objects), for the ``noop`` and ``sdk`` clients.

No benchmark runs; the clients are made, not used (no connection is opened).
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

import pytest
from opentelemetry import metrics, trace
from opentelemetry.sdk.trace import TracerProvider

from benchmarks import otel
from recrubo_async import Client, _otel

URL = "http://127.0.0.1:9/public/v2"


def loaded() -> dict[str, ModuleType]:
    return {name: module for name, module in sys.modules.items() if otel._is_opentelemetry(name)}


async def test_while_not_installed_no_import_finds_opentelemetry_and_then_all_is_back() -> None:
    assert _otel._otel_available()  # imports what the SDK imports
    before = loaded()
    assert "opentelemetry.propagate" in before  # the later rounds' case: already imported
    with otel._not_installed():
        assert loaded() == {}
        for name in ("opentelemetry", "opentelemetry.trace", "opentelemetry.metrics"):
            with pytest.raises(ModuleNotFoundError, match="No module named 'opentelemetry"):
                importlib.import_module(name)
        assert not _otel._otel_available()
        absent = Client("bench-key", base_url=URL)
        assert absent._core.http.telemetry is None
        with pytest.raises(Exception, match=r"recrubo-async\[otel\]"):
            Client("bench-key", base_url=URL, tracer_provider=trace.NoOpTracerProvider())
    after = loaded()
    assert after.keys() == before.keys()
    assert all(after[name] is before[name] for name in before)
    assert _otel._otel_available()
    assert not any(isinstance(f, otel._NoOpenTelemetry) for f in sys.meta_path)
    noop = Client(
        "bench-key",
        base_url=URL,
        tracer_provider=trace.NoOpTracerProvider(),
        meter_provider=metrics.NoOpMeterProvider(),
    )
    recording = Client("bench-key", base_url=URL, tracer_provider=TracerProvider())
    # The verdict's two clients run the same request path; the stated one records.
    assert noop._core.http.telemetry is None
    assert recording._core.http.telemetry is not None
    for client in (absent, noop, recording):
        await client.aclose()


async def test_an_import_failing_inside_still_restores_everything() -> None:
    assert _otel._otel_available()
    before = loaded()
    with pytest.raises(ModuleNotFoundError), otel._not_installed():
        importlib.import_module("opentelemetry.propagate")
    assert loaded().keys() == before.keys()
    assert _otel._otel_available()
