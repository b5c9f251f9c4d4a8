"""Webhook receiver throughput: the SDK's aiohttp adapter vs a bare aiohttp handler.

Measured as issue 15 asks (``benchmarks/_paired.py``): both servers
(``benchmarks/_webhook_servers.py``) up for the whole run, in one process (two
``web.AppRunner`` sites in one event loop);
the load from a raw-socket sender in its own process (``benchmarks/_raw_sender.py``: keep-
alive connections, one request at a time per connection, every delivery its own payload
id, resource id and ``updatedAt``, a finished FlowGeneration with the seed's parameters
and a vacancy text); paired rounds alternating which server goes first; min / median /
max; the servers' CPU per delivery read from ``/proc``. The floor reads the body and
answers 200 with a small JSON body; the receiver does its whole job with its defaults
(secret check, bounded read, typed decode, dedupe claim and done, ordering, publish to an
``InMemoryBus``, JSON answer). Target: at least 0.7 of the bare handler, both in payloads/s
and in payloads per server CPU second (``_paired.receiver_verdicts``).
"""

from __future__ import annotations

import argparse
from typing import Any

import aiohttp

from benchmarks._common import write_results
from benchmarks._paired import paired_rounds, receiver_verdicts

TARGET = 0.7


def aiohttp_stack() -> str:
    """aiohttp's version and HTTP parser (its C parser unless ``AIOHTTP_NO_EXTENSIONS``)."""
    from aiohttp import http_parser

    parser = "C" if http_parser.HttpRequestParser is not http_parser.HttpRequestParserPy else "Py"
    return f"aiohttp {aiohttp.__version__} web.run_app, {parser} HTTP parser, asyncio loop"


def main(total: int, rounds: int, concurrency: int, warmup: int) -> dict[str, Any]:
    stack = aiohttp_stack()
    print(stack, flush=True)
    figures = paired_rounds(
        "benchmarks._webhook_servers",
        total=total,
        rounds=rounds,
        concurrency=concurrency,
        warmup=warmup,
        target=TARGET,
    )
    result: dict[str, Any] = {
        "benchmark": "webhook_receiver",
        "title": "Webhook receiver: SDK aiohttp adapter vs a bare aiohttp handler",
        "server": stack,
        **figures,
        "verdicts": receiver_verdicts(figures, "SDK aiohttp receiver / bare aiohttp handler"),
    }
    write_results("webhook_receiver", result)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--warmup", type=int, default=300)
    args = parser.parse_args()
    main(args.requests, args.rounds, args.concurrency, args.warmup)
