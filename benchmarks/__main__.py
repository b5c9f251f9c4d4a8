"""``python -m benchmarks`` (``make bench``): every benchmark (most at reduced sizes), a report.

Each benchmark runs in its own process (one at a time: the machine has two cores, and a
benchmark's server child needs one), with sizes chosen so the whole suite takes at most
``BUDGET`` seconds on two cores and still measures something real. A benchmark that fails
or overruns its time is reported as such; the others still run. Then
``benchmarks/report.py`` writes ``benchmarks/README.md`` and the PNG plots from
``benchmarks/results/*.json``, a table of every verdict is printed, and the exit status is
0 only when every step ran and every target held (``benchmarks/_verdicts.py``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import _verdicts
from benchmarks._common import RESULTS

HERE = Path(__file__).parent

#: (script, arguments, seconds allowed): the sizes ``make bench`` uses.
STEPS: list[tuple[str, list[str], float]] = [
    # Four clients at two concurrencies, 18 rounds (72 paired slices per level: single
    # pairs spread from 0.55 to 1.55, and the median of 36 moved by 0.04 between runs of
    # the same code, as far as the SDK is from the target): about 190 s.
    ("requests", ["--requests", "2000", "--rounds", "18", "--concurrency", "1", "32"], 420),
    # Compound pages of 10, 100, 1,000 and 10,000 resources: 40 s (150 s on a loaded box).
    ("decoding", ["--rounds", "9", "--reps", "2"], 180),
    # 1k, 10k and 100k pending waits, each with its real first GET (a 1k warm-up round is
    # added): 150-200 s on a quiet box.
    ("waits", ["--sizes", "1000", "10000", "100000", "--rounds", "1"], 300),
    ("polling", ["--waits", "100", "--rounds", "3"], 60),
    # A raw-socket sender process against each server, 15 paired rounds (a round lasts
    # about a second, and single rounds swing by a third on a shared two-core machine, so
    # the median of 9 moved by as much as the gap to the target): 60 s.
    ("webhook_receiver", ["--requests", "4000", "--rounds", "15"], 200),
    # Two uvicorn servers and a raw-socket sender process per round, 15 rounds: 80 s.
    ("asgi_receiver", ["--requests", "4000", "--rounds", "15"], 200),
    # Written separately; run when it is there, with its own defaults.
    ("redis_bus", [], 150),
    # Receivers, Redis and workers across processes against raw redis-py, 5 alternated
    # rounds (the p99 of one round is decided by whether a burst of loop lag on the two
    # shared cores fell in its paced phase; the median of 3 failed in about half the
    # runs on that alone): 4-8 minutes.
    ("e2e", ["--rounds", "5"], 660),
    # retrieve() with OpenTelemetry absent / unused / recording: the three clients in one
    # process taking turns slice by slice, absent and no-op side by side, 18 rounds (72
    # paired slices): about 45 s.
    ("otel", ["--requests", "2000", "--rounds", "18"], 240),
    # Creates with and without a RedisLedger against the standalone emulator: about 80 s.
    ("idempotency", ["--creates", "500", "--rounds", "6"], 150),
]
#: What the whole suite may take on two cores (the steps' limits add up to more: a step
#: that overruns its own is stopped).
BUDGET = 30 * 60


def run_step(name: str, args: list[str], limit: float) -> dict[str, object]:
    script = HERE / f"{name}.py"
    if not script.exists():
        print(f"== {name}: skipped, benchmarks/{name}.py is not there", flush=True)
        return {"status": "skipped", "reason": f"benchmarks/{name}.py is not there"}
    (RESULTS / f"{name}.json").unlink(missing_ok=True)  # never report a stale result
    print(f"== {name} {' '.join(args)}", flush=True)
    env = dict(os.environ, PYTHONPATH=str(HERE.parent))
    started = time.monotonic()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", f"benchmarks.{name}", *args],
            cwd=HERE.parent,
            env=env,
            timeout=limit,
            check=False,
        )
    except subprocess.TimeoutExpired:
        print(f"== {name}: stopped after {limit:.0f}s", flush=True)
        return {"status": "timed out", "reason": f"stopped after {limit:.0f}s", "args": args}
    seconds = time.monotonic() - started
    if proc.returncode != 0:
        print(f"== {name}: failed (exit {proc.returncode})", flush=True)
        return {"status": "failed", "reason": f"exit status {proc.returncode}", "args": args}
    print(f"== {name}: done in {seconds:.0f}s", flush=True)
    return {"status": "ok", "seconds": seconds, "args": args}


def main() -> int:
    RESULTS.mkdir(exist_ok=True)
    started = time.monotonic()
    runs = {name: run_step(name, args, limit) for name, args, limit in STEPS}
    total = time.monotonic() - started
    (RESULTS / "_run.json").write_text(
        json.dumps({"steps": runs, "seconds": total}, indent=2) + "\n"
    )
    from benchmarks import report  # after the runs: it reads what they wrote

    report.main()
    results, _ = report.load()
    print("\n".join(["", "verdicts:", *_verdicts.summary(runs, results), ""]))
    failed = _verdicts.failures(runs, results, seconds=total, budget=BUDGET)
    print(
        f"all benchmarks in {total:.0f} s ({total / 60:.1f} min, budget {BUDGET / 60:.0f} min);"
        " report: benchmarks/README.md"
    )
    if failed:
        print(f"{len(failed)} target(s) not met or step(s) not run:")
        print("\n".join(f"  {reason}" for reason in failed))
        return 1
    print("every target met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
