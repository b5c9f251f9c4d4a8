"""Create throughput with and without a ``RedisLedger``, side by side.

Three processes: the emulator (``python -m recrubo_emulator``, production mode), a
redis-server this script starts, and this one, which creates flow generations through the
SDK at a fixed concurrency. Rounds are paired and alternated (plain then ledger, then
ledger then plain, ...); the figure is each round's ledger / plain throughput ratio,
reported as min / median / max, so drift on a noisy machine hits both halves of a pair.

The Redis round trips are counted by the client itself (every command the ledger's
connection sends): a create with a new key costs one before its POST (``claim``) and one
after (``complete``); a create whose key is already recorded costs one and sends no POST.
Writes ``results/idempotency.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

import redis.asyncio as aioredis

from benchmarks._common import free_port, median, spread, verdict, write_results
from recrubo_async import Client
from recrubo_async.idempotency import LedgerPolicy
from recrubo_async.idempotency._redis import RedisLedger
from recrubo_async.models import (
    CandidateField,
    Requirement,
    TextContext,
    VacancyApplicationParameters,
)

PARAMETERS = VacancyApplicationParameters(
    knockout_requirements=[Requirement("Has drivers license B", "drivers_license")],
    preferred_requirements=[],
    required_fields=[CandidateField("email", "email")],
    flow_name="Bench",
)
CONTEXT = TextContext(value="We are hiring a delivery driver.")
#: The most a ledger create may cost in Redis round trips (one before the POST, one after).
MAX_ROUND_TRIPS = 2.0


class CountingRedis(aioredis.Redis):
    """A redis-py client that counts the commands it sends (each one a round trip)."""

    def __init__(self, port: int) -> None:
        super().__init__(host="127.0.0.1", port=port)
        self.sent = 0

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        self.sent += 1
        # redis-py's own method is untyped.
        return await cast(Any, super()).execute_command(*args, **options)


@contextmanager
def redis_server() -> Iterator[int]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("benchmarks/idempotency.py needs redis-server (apt-get install it)")
    port = free_port()
    data = tempfile.mkdtemp(prefix="bench-idem-redis-")
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", data]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(data, ignore_errors=True)


async def creates_per_second(
    client: Client, *, total: int, concurrency: int, keyed: bool, repeat_key: str | None = None
) -> float:
    """``total`` creates, ``concurrency`` at a time; with ``keyed`` each has a new key (or
    ``repeat_key``, already recorded)."""
    loop = asyncio.get_running_loop()
    run = uuid.uuid4().hex[:8]
    next_index = 0

    async def worker() -> None:
        nonlocal next_index
        while next_index < total:
            index = next_index
            next_index += 1
            key = repeat_key or (f"bench-{run}-{index}" if keyed else None)
            await client.flow_generations.create(
                flow_type="vacancy_application_flow",
                parameters=PARAMETERS,
                context=CONTEXT,
                idempotency_key=key,
            )

    started = loop.time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return total / (loop.time() - started)


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    with redis_server() as redis_port, emulator_process() as (api_key, base_url):
        redis = CountingRedis(redis_port)
        ledger = RedisLedger(client=redis, policy=LedgerPolicy())
        plain = Client(api_key, base_url=base_url)
        ledgered = Client(api_key, base_url=base_url, ledger=ledger)
        async with plain, ledgered:
            # Warm-up: connections, and redis-py loading each script once (NOSCRIPT).
            await creates_per_second(plain, total=50, concurrency=args.concurrency, keyed=False)
            await creates_per_second(ledgered, total=50, concurrency=args.concurrency, keyed=True)
            ratios: list[float] = []
            rates: dict[str, list[float]] = {"plain": [], "ledger": []}
            trips: list[float] = []
            added: list[float] = []
            #: This process's CPU time per create: less swayed by a loaded machine than
            #: throughput (the emulator and redis-server run in their own processes).
            cpu_us: dict[str, list[float]] = {"plain": [], "ledger": []}
            for number in range(args.rounds):
                order = ("plain", "ledger") if number % 2 == 0 else ("ledger", "plain")
                got: dict[str, float] = {}
                for kind in order:
                    before = redis.sent
                    cpu = time.process_time()
                    got[kind] = await creates_per_second(
                        ledgered if kind == "ledger" else plain,
                        total=args.creates,
                        concurrency=args.concurrency,
                        keyed=kind == "ledger",
                    )
                    cpu_us[kind].append(1e6 * (time.process_time() - cpu) / args.creates)
                    if kind == "ledger":
                        trips.append((redis.sent - before) / args.creates)
                    rates[kind].append(got[kind])
                ratios.append(got["ledger"] / got["plain"])
                # In a closed loop each call takes concurrency / rate seconds.
                added.append(1000 * args.concurrency * (1 / got["ledger"] - 1 / got["plain"]))
                print(
                    f"round {number + 1}: plain {got['plain']:7.0f} creates/s, ledger "
                    f"{got['ledger']:7.0f} creates/s, ratio {ratios[-1]:.2f}, "
                    f"{added[-1]:+.2f} ms per create, client CPU {cpu_us['plain'][-1]:.0f} / "
                    f"{cpu_us['ledger'][-1]:.0f} us per create, "
                    f"{trips[-1]:.2f} Redis round trips per create",
                    flush=True,
                )
            # A key already recorded: one round trip, no POST, one GET.
            key = f"bench-repeat-{uuid.uuid4().hex[:8]}"
            await creates_per_second(ledgered, total=1, concurrency=1, keyed=True, repeat_key=key)
            before = redis.sent
            repeat_rate = await creates_per_second(
                ledgered,
                total=args.creates,
                concurrency=args.concurrency,
                keyed=True,
                repeat_key=key,
            )
            repeat_trips = (redis.sent - before) / args.creates
        await ledger.aclose()
    print(
        f"ledger / plain throughput: min {min(ratios):.2f}, median {median(ratios):.2f}, "
        f"max {max(ratios):.2f}; added per create: median {median(added):.2f} ms; client CPU "
        f"per create: plain {median(cpu_us['plain']):.0f} us, ledger "
        f"{median(cpu_us['ledger']):.0f} us (medians); "
        f"Redis round trips per create: {max(trips):.2f} (new key), "
        f"{repeat_trips:.2f} (recorded key, {repeat_rate:.0f}/s, no POST)"
    )
    return {
        "creates_per_round": args.creates,
        "concurrency": args.concurrency,
        "rounds": args.rounds,
        "plain_per_s": spread(rates["plain"]),
        "ledger_per_s": spread(rates["ledger"]),
        "ratio": spread(ratios),
        "added_ms_per_create": spread(added),
        "client_cpu_us_per_create": {kind: spread(v) for kind, v in cpu_us.items()},
        "redis_round_trips_per_create": max(trips),
        "redis_round_trips_per_recorded_key": repeat_trips,
        "recorded_key_per_s": repeat_rate,
        "verdicts": [
            verdict(
                "Redis round trips per create with a RedisLedger (one before the POST, one after)",
                max(trips),
                target=MAX_ROUND_TRIPS,
                higher_is_better=False,
                unit="",
            ),
            verdict(
                "create throughput with a RedisLedger / without (paired rounds, median)",
                median(ratios),
                target=0.0,
                rounds=ratios,
            ),
        ],
    }


@contextmanager
def emulator_process() -> Iterator[tuple[str, str]]:
    """``python -m recrubo_emulator`` in a child process; its organization key and URL."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "recrubo_emulator", f"--port={port}", "--mode=production"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        printed: dict[str, str] = {}
        for line in proc.stdout:
            if "=" in line:
                name, _, value = line.strip().partition("=")
                printed[name] = value
            if line.startswith("Serving"):
                break
        yield printed["RECRUBO_API_KEY"], printed["RECRUBO_BASE_URL"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--creates", type=int, default=500, help="creates per round and kind")
    parser.add_argument("--rounds", type=int, default=6, help="paired rounds")
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    result = asyncio.run(main_async(args))
    print(f"wrote {write_results('idempotency', result)}")


if __name__ == "__main__":
    main()
