"""Paired, alternated rounds of a raw-socket sender against two receiver servers.

Shared by ``benchmarks/webhook_receiver.py`` (aiohttp) and ``benchmarks/asgi_receiver.py``
(uvicorn). Three processes, so that no two of them share a core's time unmeasured:

* one server process (``python -m <servers> BARE_PORT RECEIVER_PORT``), up for the whole
  run, serving both on two ports from one event loop: the floor (reads the body, answers
  200 with a small JSON body) and the receiver doing its whole job. One process, so that
  what differs between two processes for a whole run (several percent, for the same
  code: benchmarks/findings.md, session 15) is not taken for the receiver's cost;
* the load: a raw-socket sender (``benchmarks/_raw_sender.py``), one process per
  measurement, over keep-alive connections, one request at a time per connection, every
  delivery its own (payload id, resource id, ``updatedAt``);
* this process, which only starts them and waits.

Rounds are paired and alternated (bare then receiver, then receiver then bare, ...), and
the verdict is the median of each round's receiver / bare ratio: the two halves of a pair
run seconds apart, so drift on a noisy machine hits both. Throughput and the servers' CPU
per delivery are reported as min / median / max.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson

from benchmarks._common import free_port, median, server_process, verdict, wait_listening

KINDS = ("bare", "receiver")
#: A sender that takes longer than this has stalled (a round takes a few seconds).
SENDER_LIMIT = 120.0


def send(port: int, pid: int, total: int, concurrency: int, warmup: int) -> dict[str, Any]:
    """One measurement: a fresh sender process against the server on ``port``."""
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parent.parent))
    args = [str(port), str(total), str(concurrency), str(warmup), str(pid)]
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks._raw_sender", *args],
        env=env,
        capture_output=True,
        timeout=SENDER_LIMIT,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"the sender failed:\n{proc.stderr.decode()}")
    result: dict[str, Any] = orjson.loads(proc.stdout.splitlines()[-1])
    return result


def spread(values: list[float]) -> dict[str, float]:
    return {"min": min(values), "median": median(values), "max": max(values)}


def paired_rounds(
    servers: str, *, total: int, rounds: int, concurrency: int, warmup: int, target: float
) -> dict[str, Any]:
    """Run ``rounds`` alternated pairs against ``python -m <servers> BARE_PORT RECEIVER_PORT``.

    Returns the figures every receiver benchmark reports (rates, paired ratios, server CPU
    per delivery, the sender's own load), and prints them as it goes.
    """
    ports = {kind: free_port() for kind in KINDS}
    runs: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
    with server_process(
        [servers, str(ports["bare"]), str(ports["receiver"])], ports["receiver"]
    ) as proc:
        wait_listening(ports["bare"], proc)
        for number in range(rounds):
            for kind in KINDS if number % 2 == 0 else KINDS[::-1]:
                # One server process for both: its CPU is the measured server's alone,
                # the other idles while it is measured.
                run = send(ports[kind], proc.pid, total, concurrency, warmup)
                runs[kind].append(run)
                print(
                    f"round {number + 1} {kind:8}: {run['per_s']:7,.0f} payloads/s, server "
                    f"{run['server_cpu_us'] or float('nan'):5.0f} us CPU per delivery",
                    flush=True,
                )
    rate = {kind: [run["per_s"] for run in runs[kind]] for kind in KINDS}
    paired = [r / b for r, b in zip(rate["receiver"], rate["bare"], strict=True)]
    ratio = median(paired)
    cpu = {
        kind: [run["server_cpu_us"] for run in runs[kind] if run["server_cpu_us"] is not None]
        for kind in KINDS
    }
    # The servers' CPU per delivery, paired the same way: steadier than throughput when
    # other work shares the machine (it still moves with what that work does to caches).
    cpu_paired = (
        [b / r for r, b in zip(cpu["receiver"], cpu["bare"], strict=True)]
        if len(cpu["receiver"]) == len(cpu["bare"]) == rounds
        else []
    )
    sender_busy = max(
        run["sender_cpu_us"] * run["per_s"] / 1e6 for kind in KINDS for run in runs[kind]
    )
    print(f"{runs['bare'][0]['request_bytes']:,} bytes per request")
    for kind in KINDS:
        s = spread(rate[kind])
        print(
            f"{kind:8}: {s['min']:,.0f} / {s['median']:,.0f} / {s['max']:,.0f} payloads/s "
            "(min / median / max)"
        )
    print(
        f"ratio receiver/bare: {ratio:.2f} (target >= {target}); rounds "
        + ", ".join(f"{p:.2f}" for p in paired)
    )
    if cpu_paired:
        print(
            f"server CPU per delivery, bare / receiver: {median(cpu_paired):.2f} "
            f"(median of rounds {', '.join(f'{p:.2f}' for p in cpu_paired)})"
        )
    if sender_busy > 0.8:
        print(f"warning: the sender used {sender_busy:.0%} of a core; it may set the pace")
    load = os.getloadavg()[0]
    if load > (os.cpu_count() or 1):
        print(f"warning: load average {load:.1f} on {os.cpu_count()} cores; rounds are noisy")
    return {
        "request_bytes": runs["bare"][0]["request_bytes"],
        "receiver_per_s": median(rate["receiver"]),
        "bare_per_s": median(rate["bare"]),
        "rounds_receiver_per_s": rate["receiver"],
        "rounds_bare_per_s": rate["bare"],
        "spread_per_s": {kind: spread(rate[kind]) for kind in KINDS},
        "paired_ratios": paired,
        "ratio": ratio,
        "ratio_spread": spread(paired),
        "server_cpu_us": {kind: spread(cpu[kind]) for kind in KINDS if cpu[kind]},
        "paired_cpu_ratios": cpu_paired,
        "cpu_ratio": median(cpu_paired) if cpu_paired else None,
        "sender_busy_max": sender_busy,
        "load_average": load,
        "target": target,
        "rounds": rounds,
        "requests_per_round": total,
        "warmup_per_round": warmup,
        "concurrency": concurrency,
    }


def receiver_verdicts(figures: dict[str, Any], what: str) -> list[dict[str, Any]]:
    """Both must hold: payloads/s (median of paired rounds) and payloads per CPU second
    of the server (bare / receiver CPU per delivery, median of paired rounds).

    On a busy machine single throughput rounds swing by 2x either way, so a lucky
    median alone could pass; the servers' own CPU per delivery cannot be lucky that way.
    """
    target = figures["target"]
    verdicts = [verdict(f"webhook payloads/s: {what}", figures["ratio"], target=target)]
    cpu_ratio = figures["cpu_ratio"]
    verdicts.append(
        verdict(
            f"webhook payloads per server CPU second: {what}",
            cpu_ratio if cpu_ratio is not None else 0.0,
            target=target,
        )
    )
    return verdicts
