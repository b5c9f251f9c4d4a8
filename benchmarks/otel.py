"""OpenTelemetry's cost on ``retrieve()``: the extra absent, present and unused, recording.

``client.flow_generations.retrieve(id)`` against the request benchmark's server (a child
process, ``benchmarks/_request_server.py``: the seed-shaped FlowGeneration), at
concurrency 32 (client CPU is the bottleneck: every microsecond shows), by three clients
in one process:

* ``absent``: made while OpenTelemetry cannot be imported, as if the extra were not
  installed (the ``opentelemetry`` modules already loaded are set aside, a meta path
  finder refuses every import of one, the SDK's cached answer is forgotten); its first
  request is sent there too, and no ``opentelemetry`` module may be loaded by then
  (checked, as is that the client has no telemetry);
* ``noop``: the extra installed, the client given the API's no-op providers
  (``NoOpTracerProvider``, ``NoOpMeterProvider``): what a service that has not configured
  OpenTelemetry gets;
* ``sdk``: the OpenTelemetry SDK's ``TracerProvider`` (spans made and ended, no exporter)
  and ``MeterProvider`` with an in-memory reader (the duration histogram recorded): the
  recording path's own cost, exporting aside.

They take turns slice by slice as in ``benchmarks/requests.py`` (``rotated_rounds``:
``SLICE`` requests a slice, the garbage collected before each, the verdict's two clients
always side by side, ``paired_turn_order``). Each slice's figures are requests per second
of wall time and the process's CPU time per request; a ratio is the median of the
slices' paired ratios, with their min and max. Verdict: the extra absent is within noise
of the unused extra, in requests per CPU second (``absent / noop`` >= 0.95; per CPU second
because a process on a shared two-core machine is descheduled for whole milliseconds,
which wall time counts against whichever client it hit); the overhead of recording
(``sdk / noop``) is measured and stated.

One process, not one per setup (as until session 15): two processes running the very same
request path (``absent`` and ``noop`` both have no telemetry) measured 0.83x to 1.04x of
each other from one run to the next, 0.88-0.92x in three runs with each pinned to a core
of its own, so a process's own layout moved the verdict by more than its margin
(benchmarks/findings.md, session 15). In one process the comparison is of what the SDK
does per request; what the extra's modules cost a process by being loaded at all (their
memory) is not in it, and the ``absent`` client, made while the extra was hidden, is
measured with it loaded: right for the SDK, which decides once, when a client is made
(``_otel.make_telemetry``; a client's ``telemetry`` is None for both ``absent`` and
``noop``), and which would have to be measured apart if it ever looked per request.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from functools import partial
from importlib.abc import MetaPathFinder
from typing import Any

from benchmarks._common import free_port, median, server_process, spread, verdict, write_results
from benchmarks._request_server import BASE_PATH, GENERATION_ID
from benchmarks.requests import Call, Kind, rotated_rounds
from recrubo_async import Client, _otel

TARGET = 0.95
API_KEY = "bench-key"


class _NoOpenTelemetry(MetaPathFinder):
    """Refuses every ``opentelemetry`` module: the extra is not installed."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> None:
        if _is_opentelemetry(fullname):
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
        return


def _is_opentelemetry(name: str) -> bool:
    return name == "opentelemetry" or name.startswith("opentelemetry.")


@contextmanager
def _not_installed() -> Iterator[None]:
    """While the block runs, OpenTelemetry is not installed as far as an import can tell:
    the modules loaded are set aside, every import of one is refused, and the SDK's
    cached answer (``_otel._otel_available``) is forgotten on the way in and out."""
    hidden = {name: sys.modules.pop(name) for name in list(sys.modules) if _is_opentelemetry(name)}
    finder = _NoOpenTelemetry()
    sys.meta_path.insert(0, finder)
    _otel._otel_available.cache_clear()
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        sys.modules.update(hidden)
        _otel._otel_available.cache_clear()


def _providers(kind: str) -> dict[str, Any]:
    """The ``Client`` arguments of a setup."""
    if kind == "absent":
        return {}
    if kind == "noop":
        from opentelemetry import metrics, trace

        return {
            "tracer_provider": trace.NoOpTracerProvider(),
            "meter_provider": metrics.NoOpMeterProvider(),
        }
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider

    return {
        "tracer_provider": TracerProvider(),
        "meter_provider": MeterProvider(metric_readers=[InMemoryMetricReader()]),
    }


@asynccontextmanager
async def _client(kind: str, base_url: str, concurrency: int) -> AsyncIterator[Call]:
    """One setup's client and its call; the ``absent`` one made and first used while
    OpenTelemetry is not installed (``_not_installed``)."""
    if kind == "absent":
        with _not_installed():
            client = Client(API_KEY, base_url=base_url)
    else:
        client = Client(API_KEY, base_url=base_url, **_providers(kind))
    async with client:
        generations = client.flow_generations
        if kind == "absent":
            with _not_installed():
                generation = await generations.retrieve(GENERATION_ID)
                loaded = [name for name in sys.modules if _is_opentelemetry(name)]
            if loaded or client._core.http.telemetry is not None:
                raise RuntimeError(f"absent: OpenTelemetry was used: {loaded}")
        else:
            generation = await generations.retrieve(GENERATION_ID)
        assert generation.cost == 3

        async def call(_: int) -> None:
            generation = await generations.retrieve(GENERATION_ID)
            if generation.cost != 3:
                raise RuntimeError(f"{kind}: unexpected {generation!r}")

        yield call


#: The setups in the order they are made each round (``absent`` first: on the first
#: round nothing has imported OpenTelemetry yet).
KINDS: dict[str, Kind] = {kind: partial(_client, kind) for kind in ("absent", "noop", "sdk")}
#: The verdict's pair, side by side in every turn; ``sdk`` / ``noop`` is stated.
PAIR = ("absent", "noop")


def main(total: int, rounds: int, concurrency: int) -> dict[str, Any]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}{BASE_PATH}"
    print(
        f"retrieve() at concurrency {concurrency}: OpenTelemetry absent / present and unused "
        f"(no-op providers) / recording (SDK providers), one process; {rounds} rounds of "
        f"{total:,} requests per setup, taking turns slice by slice"
    )
    with server_process(["benchmarks._request_server", str(port)], port):
        rate, cpu = asyncio.run(
            rotated_rounds(KINDS, base_url, total, rounds, concurrency, pair=PAIR)
        )
    for kind in KINDS:
        low, mid, high = (spread(rate[kind])[q] for q in ("min", "median", "max"))
        print(
            f"  {kind:<7} {low:>7,.0f} / {mid:>7,.0f} / {high:>7,.0f} req/s (min / median / "
            f"max)  {median(cpu[kind]):>5.0f} us client CPU per request (median)",
            flush=True,
        )
    ratios: dict[str, dict[str, float]] = {}
    # Each slice pair's requests per CPU second, the setup over no-op.
    per_cpu: dict[str, list[float]] = {}
    for kind in ("absent", "sdk"):
        # Requests per CPU second, kind over noop, is noop's CPU per request over kind's.
        per_cpu[kind] = [n / k for k, n in zip(cpu[kind], cpu["noop"], strict=True)]
        ratios[f"{kind}_vs_noop"] = spread(per_cpu[kind])
        ratios[f"wall_{kind}_vs_noop"] = spread(
            [k / n for k, n in zip(rate[kind], rate["noop"], strict=True)]
        )
    for name, s in ratios.items():
        print(f"  {name}: {s['min']:.2f} / {s['median']:.2f} / {s['max']:.2f} (min / median / max)")
    cpu_overhead_us = median(cpu["sdk"]) - median(cpu["noop"])
    print(
        f"recording (SDK providers) costs {1 - ratios['sdk_vs_noop']['median']:.0%} of the "
        f"requests per CPU second ({1 - ratios['wall_sdk_vs_noop']['median']:.0%} of the wall "
        f"throughput), {cpu_overhead_us:.0f} us client CPU per request"
    )
    result = {
        "benchmark": "otel",
        "title": "OpenTelemetry's cost on retrieve(): absent, unused, recording",
        "concurrency": concurrency,
        "requests_per_round": total,
        "rounds": rounds,
        "rounds_per_s": rate,
        "rounds_cpu_us": cpu,
        "per_s": {kind: median(v) for kind, v in rate.items()},
        "cpu_us_per_request": {kind: median(v) for kind, v in cpu.items()},
        "ratio_spread": ratios,
        "recording_cpu_us_per_request": cpu_overhead_us,
        "verdicts": [
            verdict(
                "retrieve() requests per client CPU second, OpenTelemetry not installed / "
                "installed and unused (no-op providers), one process",
                ratios["absent_vs_noop"]["median"],
                target=TARGET,
                rounds=per_cpu["absent"],
            ),
            {
                "what": "retrieve() requests per client CPU second, recording with the "
                "OpenTelemetry SDK's providers (no exporter) / no-op providers: the "
                "overhead, stated",
                "value": ratios["sdk_vs_noop"]["median"],
                "unit": "x",
                **ratios["sdk_vs_noop"],
            },
            {
                "what": "the same, wall-time throughput (stated, not judged: see the "
                "module's docstring): absent / no-op",
                "value": ratios["wall_absent_vs_noop"]["median"],
                "unit": "x",
                **ratios["wall_absent_vs_noop"],
            },
        ],
    }
    write_results("otel", result)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000, help="per setup and round")
    parser.add_argument("--rounds", type=int, default=18)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds: at least 1")
    main(args.requests, args.rounds, args.concurrency)
