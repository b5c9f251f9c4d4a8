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

Two comparisons, each of two setups: ``absent`` against ``noop`` (the verdict) and
``sdk`` against ``noop`` (the overhead, stated); the rounds take them in turn. A round
starts one fresh process per setup of its comparison, which opens its client, warms it
up and then runs a slice of ``SLICE`` requests (about a tenth of a second) each time it is
told to, idle in between: the two setups take turns slice by slice, in the order
``benchmarks/_common.turn_order`` gives (each goes first as often), so that the two halves
of a pair run one right after the other and see the same machine. (Whole runs of a fresh
process each, seconds apart, gave absent / no-op ratios from 0.60 to 1.31 in one run; with
all three setups taking turns, a pair's halves could have the recording setup's slice
between them.) Every round's processes are new (a process's own layout still moves
a setup's figures by several percent), with one hash seed. Each ratio is the median of
the slices' paired ratios, with their min and max.
Two throughputs per setup: requests per second of wall time, and requests per second of
the client process's own CPU time. The verdict takes the second: a process on a shared
two-core machine is descheduled for whole milliseconds by other work, which wall time
counts against whichever setup it hit and CPU time does not, and at concurrency 32 the
client's CPU is what bounds its throughput. Verdict: the extra absent
is within noise of the unused extra (``absent / noop`` >= 0.95); the overhead of
recording (``sdk / noop``) is measured and stated, in both throughputs.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import select
import subprocess
import sys
import time
from importlib.abc import MetaPathFinder
from pathlib import Path
from typing import Any

from benchmarks._common import (
    free_port,
    median,
    server_process,
    spread,
    turn_order,
    verdict,
    write_results,
)

TARGET = 0.95
API_KEY = "bench-key"
#: A worker that does not answer within this has stalled (a slice takes a tenth of a second).
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


#: Requests per slice: the setups take turns slice by slice within a round.
SLICE = 500


async def _serve(kind: str, base_url: str, concurrency: int) -> int:
    """Open a client, warm it up, say so, then run a slice per line read from stdin
    (its request count), printing each slice's figures, until stdin ends; returns how
    many ``opentelemetry`` modules were loaded."""
    from benchmarks._common import run_load
    from benchmarks._request_server import GENERATION_ID
    from recrubo_async import Client

    async with Client(API_KEY, base_url=base_url, **_providers(kind)) as client:
        generations = client.flow_generations

        async def call(_: int) -> None:
            generation = await generations.retrieve(GENERATION_ID)
            if generation.cost != 3:
                raise RuntimeError(f"{kind}: unexpected {generation!r}")

        await run_load(call, total=300, concurrency=concurrency)  # warm up
        print(json.dumps({"ready": kind}), flush=True)
        # Read while the loop idles: nothing else runs in this process between slices.
        while line := sys.stdin.readline().strip():
            count = int(line)
            gc.collect()  # nothing of the last slice is collected on this one's time
            cpu = time.process_time()
            per_s = await run_load(call, total=count, concurrency=concurrency)
            cpu_us = (time.process_time() - cpu) / count * 1e6
            print(json.dumps({"per_s": per_s, "cpu_us": cpu_us}), flush=True)
    return len([name for name in sys.modules if name.startswith("opentelemetry")])


def worker(kind: str, base_url: str, concurrency: int) -> None:
    """One setup's process: slices when told (see ``_serve``), then its module count."""
    if kind == "absent":
        sys.meta_path.insert(0, _NoOpenTelemetry())
    loaded = asyncio.run(_serve(kind, base_url, concurrency))
    if kind == "absent" and loaded:
        raise SystemExit("absent: an opentelemetry module was imported")
    print(json.dumps({"otel_modules": loaded}), flush=True)


class _Setup:
    """One setup's worker process, driven a slice at a time."""

    def __init__(self, kind: str, base_url: str, concurrency: int) -> None:
        self.kind = kind
        # One hash seed for every setup: their dicts are laid out alike, one difference
        # between processes fewer (each setup's code paths are all that should differ).
        env = dict(os.environ, PYTHONPATH=str(Path(__file__).parent.parent), PYTHONHASHSEED="0")
        args = ["--worker", kind, base_url, str(concurrency)]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.otel", *args],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def answer(self) -> dict[str, Any]:
        """The worker's next line, within ``WORKER_LIMIT``."""
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], WORKER_LIMIT)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            self.proc.kill()
            raise RuntimeError(f"{self.kind} worker stalled or failed (exit {self.proc.wait()})")
        found: dict[str, Any] = json.loads(line)
        return found

    def run(self, count: int) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"{count}\n")
        self.proc.stdin.flush()
        return self.answer()

    def close(self) -> None:
        """Ends the worker; raises if it failed (absent having loaded OpenTelemetry)."""
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.answer()
        if self.proc.wait(timeout=WORKER_LIMIT) != 0:
            raise RuntimeError(f"{self.kind} worker failed (exit {self.proc.returncode})")


#: The comparisons, each ``(setup, reference)``: the rounds take them in turn.
COMPARISONS = (("absent", "noop"), ("sdk", "noop"))


def measure_round(
    base_url: str, total: int, concurrency: int, round_index: int
) -> dict[str, list[dict[str, Any]]]:
    """One round of the comparison ``round_index`` picks: a fresh process per setup, then
    ``total // SLICE`` turns of a slice each (numbered on from that comparison's last
    round, so that who goes first keeps alternating)."""
    kinds = COMPARISONS[round_index % len(COMPARISONS)]
    setups = {kind: _Setup(kind, base_url, concurrency) for kind in kinds}
    try:
        for setup in setups.values():
            setup.answer()  # ready
        found: dict[str, list[dict[str, Any]]] = {kind: [] for kind in kinds}
        slices = max(1, total // SLICE)
        first = round_index // len(COMPARISONS) * slices
        for turn in range(first, first + slices):
            for kind in turn_order(kinds, turn):
                found[kind].append(setups[kind].run(total // slices))
        for setup in setups.values():
            setup.close()
        return found
    finally:
        for setup in setups.values():
            if setup.proc.poll() is None:
                setup.proc.kill()
                setup.proc.wait()


def main(total: int, rounds: int, concurrency: int) -> dict[str, Any]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}/public/v2"
    print(
        f"retrieve() at concurrency {concurrency}: OpenTelemetry absent / present and unused "
        f"(no-op providers) / recording (SDK providers); {rounds} rounds, each of one "
        f"comparison in turn ({total:,} requests per setup, in slices of {SLICE})"
    )
    # Per comparison ("absent_vs_noop", "sdk_vs_noop"): each of its setups' slices, in
    # the order of their pairs.
    names = {pair: f"{pair[0]}_vs_{pair[1]}" for pair in COMPARISONS}
    rate: dict[str, dict[str, list[float]]] = {names[p]: {k: [] for k in p} for p in COMPARISONS}
    cpu: dict[str, dict[str, list[float]]] = {names[p]: {k: [] for k in p} for p in COMPARISONS}
    with server_process(["benchmarks._request_server", str(port)], port):
        for r in range(rounds):
            name = names[COMPARISONS[r % len(COMPARISONS)]]
            found = measure_round(base_url, total, concurrency, r)
            for kind, slices in found.items():
                rate[name][kind].extend(s["per_s"] for s in slices)
                cpu[name][kind].extend(s["cpu_us"] for s in slices)
    ratios: dict[str, dict[str, float]] = {}
    for (kind, reference), name in names.items():
        print(f"  {name}:")
        for k in (kind, reference):
            low, mid, high = (spread(rate[name][k])[q] for q in ("min", "median", "max"))
            print(
                f"    {k:<7} {low:>7,.0f} / {mid:>7,.0f} / {high:>7,.0f} req/s "
                f"(min / median / max)  {median(cpu[name][k]):>5.0f} us client CPU per "
                "request (median)",
                flush=True,
            )
        # Requests per CPU second, a over b, is b's CPU per request over a's.
        pairs = zip(cpu[name][kind], cpu[name][reference], strict=True)
        ratios[name] = spread([r / k for k, r in pairs])
        walls = zip(rate[name][kind], rate[name][reference], strict=True)
        ratios[f"wall_{name}"] = spread([k / r for k, r in walls])
    sdk_cpu = cpu["sdk_vs_noop"]
    cpu_overhead_us = median(sdk_cpu["sdk"]) - median(sdk_cpu["noop"])
    for name, s in ratios.items():
        print(f"  {name}: {s['min']:.2f} / {s['median']:.2f} / {s['max']:.2f} (min / median / max)")
    print(
        f"recording (SDK providers) costs {1 - ratios['sdk_vs_noop']['median']:.0%} of the "
        f"requests per CPU second ({1 - ratios['wall_sdk_vs_noop']['median']:.0%} of the wall "
        f"throughput), {cpu_overhead_us:.0f} us client CPU per request"
    )
    absent_cpu = cpu["absent_vs_noop"]
    absent = [n / a for a, n in zip(absent_cpu["absent"], absent_cpu["noop"], strict=True)]
    result = {
        "benchmark": "otel",
        "title": "OpenTelemetry's cost on retrieve(): absent, unused, recording",
        "concurrency": concurrency,
        "requests_per_round": total,
        "rounds": rounds,
        "rounds_per_comparison": {
            name: len(range(i, rounds, len(COMPARISONS))) for i, name in enumerate(names.values())
        },
        "rounds_per_s": rate,
        "rounds_cpu_us": cpu,
        "per_s": {n: {k: median(v) for k, v in by.items()} for n, by in rate.items()},
        "cpu_us_per_request": {n: {k: median(v) for k, v in by.items()} for n, by in cpu.items()},
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
        kind, url, level = sys.argv[2:5]
        worker(kind, url, int(level))
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=3000, help="per setup and round")
    parser.add_argument("--rounds", type=int, default=8, help="taken by the comparisons in turn")
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    if args.rounds < len(COMPARISONS):
        parser.error(f"--rounds: at least {len(COMPARISONS)}, one per comparison")
    main(args.requests, args.rounds, args.concurrency)
