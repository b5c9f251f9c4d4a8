"""OpenTelemetry's cost on ``retrieve()``: the extra absent, present and unused, recording.

``client.flow_generations.retrieve(id)`` against the request benchmark's server (a child
process, ``benchmarks/_request_server.py``: the seed-shaped FlowGeneration), at
concurrency 32 (client CPU is the bottleneck: every microsecond shows), in three client
setups, each in a fresh process per measurement:

* ``absent``: OpenTelemetry cannot be imported (a meta path finder refuses every
  ``opentelemetry`` module before the SDK is imported, as if the extra were not
  installed); the process checks that no ``opentelemetry`` module was loaded;
* ``noop``: the extra installed, the client given the API's no-op providers
  (``NoOpTracerProvider``, ``NoOpMeterProvider``): what a service that has not configured
  OpenTelemetry gets, and the request path as it was before OpenTelemetry came in;
* ``sdk``: the client given the OpenTelemetry SDK's ``TracerProvider`` (spans made and
  ended, no exporter) and ``MeterProvider`` with an in-memory reader (the duration
  histogram recorded): the recording path's own cost, exporting aside.

Rounds alternate the setups (rotating who goes first); each round's setups run seconds
apart, and each ratio is the median of the rounds' paired ratios, with their min and
max. Two throughputs per setup: requests per second of wall time, and requests per
second of the client process's own CPU time. The verdict takes the second: a process per
measurement on a shared two-core machine is descheduled for whole milliseconds by other
work, which wall time counts against whichever setup it hit and CPU time does not, and at
concurrency 32 the client's CPU is what bounds its throughput. Verdict: the extra absent
is within noise of the unused extra (``absent / noop`` >= 0.95); the overhead of
recording (``sdk / noop``) is measured and stated, in both throughputs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from importlib.abc import MetaPathFinder
from pathlib import Path
from typing import Any

from benchmarks._common import free_port, median, server_process, spread, verdict, write_results

TARGET = 0.95
KINDS = ("absent", "noop", "sdk")
API_KEY = "bench-key"
#: A measurement that takes longer than this has stalled (one takes a few seconds).
WORKER_LIMIT = 120.0


class _NoOpenTelemetry(MetaPathFinder):
    """Refuses every ``opentelemetry`` module: the extra is not installed."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> None:
        if fullname == "opentelemetry" or fullname.startswith("opentelemetry."):
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
        return


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


async def _load(kind: str, base_url: str, total: int, concurrency: int) -> dict[str, Any]:
    from benchmarks._common import run_load
    from benchmarks._request_server import GENERATION_ID
    from recrubo_async import Client

    async with Client(API_KEY, base_url=base_url, **_providers(kind)) as client:
        generations = client.flow_generations

        async def call(_: int) -> None:
            generation = await generations.retrieve(GENERATION_ID)
            if generation.cost != 3:
                raise RuntimeError(f"{kind}: unexpected {generation!r}")

        await run_load(call, total=min(300, total), concurrency=concurrency)  # warm up
        cpu = time.process_time()
        per_s = await run_load(call, total=total, concurrency=concurrency)
        cpu_us = (time.process_time() - cpu) / total * 1e6
    loaded = sorted(name for name in sys.modules if name.startswith("opentelemetry"))
    return {"kind": kind, "per_s": per_s, "cpu_us": cpu_us, "otel_modules": len(loaded)}


def worker(kind: str, base_url: str, total: int, concurrency: int) -> None:
    """One measurement, in this (fresh) process; prints one JSON line."""
    if kind == "absent":
        sys.meta_path.insert(0, _NoOpenTelemetry())
    result = asyncio.run(_load(kind, base_url, total, concurrency))
    if kind == "absent" and result["otel_modules"]:
        raise SystemExit("absent: an opentelemetry module was imported")
    print(json.dumps(result), flush=True)


def measure(kind: str, base_url: str, total: int, concurrency: int) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parent.parent))
    args = ["--worker", kind, base_url, str(total), str(concurrency)]
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.otel", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=WORKER_LIMIT,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} worker failed: {proc.stderr[-2000:]}")
    found: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return found


def main(total: int, rounds: int, concurrency: int) -> dict[str, Any]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}/public/v2"
    print(
        f"retrieve() at concurrency {concurrency}: OpenTelemetry absent / present and unused "
        f"(no-op providers) / recording (SDK providers); {rounds} rounds of {total:,} requests"
    )
    rate: dict[str, list[float]] = {kind: [] for kind in KINDS}
    cpu: dict[str, list[float]] = {kind: [] for kind in KINDS}
    with server_process(["benchmarks._request_server", str(port)], port):
        for r in range(rounds):
            for kind in KINDS[r % len(KINDS) :] + KINDS[: r % len(KINDS)]:
                found = measure(kind, base_url, total, concurrency)
                rate[kind].append(found["per_s"])
                cpu[kind].append(found["cpu_us"])
    for kind in KINDS:
        low, mid, high = (spread(rate[kind])[k] for k in ("min", "median", "max"))
        print(
            f"  {kind:<7} {low:>7,.0f} / {mid:>7,.0f} / {high:>7,.0f} req/s (min / median / max)"
            f"  {median(cpu[kind]):>5.0f} us client CPU per request (median)",
            flush=True,
        )
    # Requests per CPU second, a over b, is b's CPU per request over a's.
    absent = [n / a for a, n in zip(cpu["absent"], cpu["noop"], strict=True)]
    recording = [n / s for s, n in zip(cpu["sdk"], cpu["noop"], strict=True)]
    wall_absent = [a / n for a, n in zip(rate["absent"], rate["noop"], strict=True)]
    wall_recording = [s / n for s, n in zip(rate["sdk"], rate["noop"], strict=True)]
    ratios = {
        "absent_vs_noop": spread(absent),
        "sdk_vs_noop": spread(recording),
        "wall_absent_vs_noop": spread(wall_absent),
        "wall_sdk_vs_noop": spread(wall_recording),
    }
    cpu_overhead_us = median(cpu["sdk"]) - median(cpu["noop"])
    for name, s in ratios.items():
        print(f"  {name}: {s['min']:.2f} / {s['median']:.2f} / {s['max']:.2f} (min / median / max)")
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
        "per_s": {kind: median(rate[kind]) for kind in KINDS},
        "cpu_us_per_request": {kind: median(cpu[kind]) for kind in KINDS},
        "ratio_spread": ratios,
        "recording_cpu_us_per_request": cpu_overhead_us,
        "verdicts": [
            verdict(
                "retrieve() requests per client CPU second, OpenTelemetry not installed / "
                "installed and unused (no-op providers)",
                ratios["absent_vs_noop"]["median"],
                target=TARGET,
                rounds=absent,
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
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        kind, url, count, level = sys.argv[2:6]
        worker(kind, url, int(count), int(level))
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=3000, help="per setup and round")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    main(args.requests, args.rounds, args.concurrency)
