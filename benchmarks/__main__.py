"""``python -m benchmarks`` (``make bench``): every benchmark (most at reduced sizes), a report.

Each benchmark runs in its own process (one at a time: the machine has two cores, and a
benchmark's server child needs one), with sizes chosen so the whole suite takes a few
minutes and still measures something real. A benchmark that fails or overruns its time is
reported as such; the others still run. Then ``benchmarks/report.py`` writes
``benchmarks/README.md`` and the PNG plots from ``benchmarks/results/*.json``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from benchmarks._common import RESULTS

HERE = Path(__file__).parent

#: (script, arguments, seconds allowed): the sizes ``make bench`` uses.
STEPS: list[tuple[str, list[str], float]] = [
    ("requests", ["--requests", "2000", "--rounds", "9", "--concurrency", "1", "32"], 180),
    ("decoding", ["--resources", "1000", "--rounds", "15", "--reps", "5"], 60),
    # Full size: 10k, 50k and 100k pending waits (about 90 s of the suite).
    ("waits", ["--sizes", "10000", "50000", "100000", "--rounds", "3"], 200),
    ("polling", ["--waits", "100", "--rounds", "3"], 60),
    ("webhook_receiver", ["--requests", "2000", "--rounds", "3"], 90),
    # Two uvicorn servers and a raw-socket sender process per round: about 40 s.
    ("asgi_receiver", ["--requests", "3000", "--rounds", "5"], 120),
    # Written separately; run when it is there, with its own defaults.
    ("redis_bus", [], 150),
]


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
    print(f"all benchmarks in {total:.0f}s; report: benchmarks/README.md")
    return 0 if all(run["status"] in ("ok", "skipped") for run in runs.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
