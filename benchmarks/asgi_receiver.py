"""ASGI receiver throughput: ``WebhookReceiver.asgi_app()`` vs a bare ASGI handler, under uvicorn.

Three processes, so that no two of them share a core's time unmeasured:

* two servers (``benchmarks/_asgi_servers.py``), up for the whole run in one process (two
  ``uvicorn.Server`` in one event loop), under the same uvicorn configuration: the bare
  handler (reads the body, answers 200 with a small JSON body) and the receiver's ASGI
  app doing its whole job (secret check, bounded body read, decode into a typed
  ``FlowGeneration``, dedupe claim, ordering, publish to an ``InMemoryBus``, JSON
  answer);
* the load: a raw-socket sender (``benchmarks/_raw_sender.py``), one process per
  measurement, over keep-alive connections, one request at a time per connection, every
  delivery its own (payload id, resource id, ``updatedAt``), shaped like the emulator's
  FlowGeneration deliveries with the seed's parameters and a vacancy text (about 2.3 KB
  per request);
* this process, which only starts them and waits.

Rounds are paired and alternated (bare then receiver, then receiver then bare, ...), and
the verdict is the median of each round's receiver / bare ratio: the two halves of a pair
run seconds apart, so drift on a noisy machine hits both. Throughput and the servers' CPU
per delivery are reported as min / median / max. A fixed number of rounds of a fixed
number of requests, each sender process under a time limit: the run stops by itself.
Target: at least 0.8 of the bare handler, both in payloads/s and in payloads per server
CPU second (``_paired.receiver_verdicts``: a lucky throughput median on a busy machine
cannot pass alone). The rounds themselves are ``benchmarks/_paired.py``.

``--in-process`` measures the receiver's own CPU per delivery instead: its ASGI app called
in a loop with the sender's deliveries and an immediate ``receive`` (no server, no
sockets), best and mean of rounds by ``time.process_time``, and the cyclic GC's share
(``gc.callbacks``). Nothing is written to ``results/``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time
from collections.abc import MutableMapping
from typing import Any

from benchmarks._common import write_results
from benchmarks._paired import paired_rounds, receiver_verdicts

TARGET = 0.8


def uvicorn_stack() -> str:
    """What uvicorn's ``auto`` settings pick here (the same for both servers)."""
    import importlib.util

    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    return f"uvicorn, http={http}, loop={loop}"


def main(total: int, rounds: int, concurrency: int, warmup: int) -> dict[str, Any]:
    stack = uvicorn_stack()
    print(stack, flush=True)
    figures = paired_rounds(
        "benchmarks._asgi_servers",
        total=total,
        rounds=rounds,
        concurrency=concurrency,
        warmup=warmup,
        target=TARGET,
    )
    result: dict[str, Any] = {
        "benchmark": "asgi_receiver",
        "title": "ASGI receiver: receiver.asgi_app() vs a bare ASGI handler, under uvicorn",
        "server": stack,
        **figures,
        "verdicts": receiver_verdicts(figures, "receiver.asgi_app() / bare ASGI handler"),
    }
    write_results("asgi_receiver", result)
    return result


def in_process(total: int, rounds: int, warmup: int) -> None:
    """CPU per delivery of ``receiver.asgi_app()`` as benchmarked, without a server."""
    from benchmarks._asgi_servers import SECRET
    from benchmarks._raw_sender import delivery
    from recrubo_async.bus import InMemoryBus
    from recrubo_async.webhooks import WebhookReceiver

    app = WebhookReceiver(secret=SECRET, bus=InMemoryBus()).asgi_app()
    headers = [(b"x-recrubo-webhook-secret", SECRET.encode()), (b"content-length", b"2855")]
    statuses: set[int] = set()
    in_gc = [0.0, 0.0]

    def note_gc(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            in_gc[1] = time.process_time()
        else:
            in_gc[0] += time.process_time() - in_gc[1]

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.add(message["status"])

    async def batch(first: int, count: int) -> tuple[float, float]:
        bodies = [delivery(first + n) for n in range(count)]  # made outside the timing
        in_gc[0] = 0.0
        started = time.process_time()
        for body in bodies:
            message = {"type": "http.request", "body": body, "more_body": False}

            async def receive(message: dict[str, Any] = message) -> dict[str, Any]:
                return message

            await app({"type": "http", "method": "POST", "headers": headers}, receive, send)
        return (time.process_time() - started) / count * 1e6, in_gc[0] / count * 1e6

    async def run() -> list[tuple[float, float]]:
        for n in range(0, warmup, total):
            await batch(n, total)
        return [await batch(warmup + n * total, total) for n in range(rounds)]

    gc.callbacks.append(note_gc)
    try:
        runs = asyncio.run(run())
    finally:
        gc.callbacks.remove(note_gc)
    assert statuses == {200}, statuses
    cpu = [c for c, _ in runs]
    print(
        f"in-process, {rounds} rounds of {total:,} after {warmup:,}: CPU per delivery best "
        f"{min(cpu):.1f} us, mean {sum(cpu) / len(cpu):.1f} us; of which the cyclic GC "
        f"{sum(g for _, g in runs) / len(runs):.1f} us (mean)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument(
        "--in-process", action="store_true", help="the receiver's CPU per delivery, no server"
    )
    args = parser.parse_args()
    if args.in_process:
        in_process(args.requests, args.rounds, args.warmup)
    else:
        main(args.requests, args.rounds, args.concurrency, args.warmup)
