"""Waits at scale: N concurrent waits resolved by webhook events on the in-process bus.

Each wait is a task running the SDK's real wait loop with a ``WebhookWaiter`` on an
``InMemoryBus`` (subscribe, check latest, one state fetch, then events). The state fetch
is served from memory so the figures are the waiter's and the bus's own cost, not HTTP.
Prints, for each N: time to resolve all, p50/p99 latency from publish to the await
returning, and memory per pending wait (target <= 2 KiB), plus how the cost grows with N.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time
import tracemalloc
from typing import Any

from benchmarks._common import percentile, write_results
from recrubo_async._jsonapi import Codec
from recrubo_async.bus import InMemoryBus, ResourceEvent
from recrubo_async.models import FlowGeneration, Resource
from recrubo_async.waiters import StateSource, WebhookWaiter
from recrubo_async.waiters._conditions import FLOW_GENERATION
from recrubo_async.waiters._run import run_wait

TARGET_BYTES = 2048
#: Events published between yields to the event loop.
BATCH = 100
CODEC = Codec()


def finished(gid: str) -> ResourceEvent:
    return ResourceEvent.from_resource(
        {
            "type": "flowGenerations",
            "id": gid,
            "attributes": {"status": "finished", "updatedAt": "2026-01-01T12:00:05Z"},
        },
        event="update",
    )


def source_for(gid: str) -> StateSource:
    queued = FlowGeneration(id=gid, status="queued")  # type: ignore[arg-type]

    async def fetch() -> Resource:
        return queued

    def decode(event: ResourceEvent) -> Resource:
        return CODEC.decode_resource(event.resource)

    return StateSource(spec=FLOW_GENERATION, id=gid, fetch=fetch, decode=decode)


async def start_waits(
    n: int, bus: InMemoryBus, done_at: dict[str, float]
) -> list[asyncio.Task[None]]:
    waiter = WebhookWaiter(bus)

    async def one(gid: str) -> None:
        await run_wait(waiter, source_for(gid), until="finished", timeout=None)
        done_at[gid] = time.perf_counter()

    tasks = [asyncio.create_task(one(f"g{i}")) for i in range(n)]
    while bus.subscription_count < n:  # noqa: ASYNC110 - a bus has no "n subscribed" event
        await asyncio.sleep(0.01)
    await asyncio.sleep(0)
    return tasks


async def memory_per_wait(n: int) -> float:
    """Bytes allocated per pending wait, including the task that awaits it."""
    bus = InMemoryBus()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    tasks = await start_waits(n, bus, {})
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return (after - before) / n


async def memory_per_bare_task(n: int) -> float:
    """Bytes per task parked on a future: what any awaiting task costs, SDK or not."""
    loop = asyncio.get_running_loop()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    futures = [loop.create_future() for _ in range(n)]

    async def park(future: asyncio.Future[None]) -> None:
        await future

    tasks = [asyncio.create_task(park(f)) for f in futures]
    await asyncio.sleep(0)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    for future in futures:
        future.set_result(None)
    await asyncio.gather(*tasks)
    return (after - before) / n


async def resolve_all(n: int) -> dict[str, Any]:
    bus = InMemoryBus()
    done_at: dict[str, float] = {}
    tasks = await start_waits(n, bus, done_at)
    published_at: dict[str, float] = {}
    started = time.perf_counter()
    for i in range(n):
        gid = f"g{i}"
        published_at[gid] = time.perf_counter()
        await bus.publish(finished(gid))
        if i % BATCH == BATCH - 1:
            # Webhooks arrive spread out, not all in one loop iteration: let waits return.
            await asyncio.sleep(0)
    await asyncio.gather(*tasks)
    total = time.perf_counter() - started
    latencies = [done_at[g] - published_at[g] for g in published_at]
    assert bus.subscription_count == 0
    return {
        "n": n,
        "resolve_all_s": total,
        "per_wait_us": total / n * 1e6,
        "p50_ms": percentile(latencies, 50) * 1e3,
        "p99_ms": percentile(latencies, 99) * 1e3,
    }


async def main(sizes: list[int]) -> dict[str, Any]:
    rows = []
    for n in sizes:
        row = await resolve_all(n)
        row["bytes_per_wait_with_task"] = await memory_per_wait(n)
        row["bytes_per_bare_task"] = await memory_per_bare_task(n)
        row["bytes_per_wait"] = row["bytes_per_wait_with_task"] - row["bytes_per_bare_task"]
        rows.append(row)
        print(
            f"N={n:>7,}: all resolved in {row['resolve_all_s']:.2f}s "
            f"({row['per_wait_us']:.1f} us/wait), publish->return p50 {row['p50_ms']:.2f} ms "
            f"p99 {row['p99_ms']:.2f} ms; memory per pending wait {row['bytes_per_wait']:,.0f} B "
            f"(target <= {TARGET_BYTES}), {row['bytes_per_wait_with_task']:,.0f} B with the "
            f"awaiting task itself ({row['bytes_per_bare_task']:,.0f} B for any parked task)"
        )
    base = rows[0]
    for row in rows[1:]:
        growth = row["per_wait_us"] / base["per_wait_us"]
        print(
            f"cost per wait at N={row['n']:,} vs N={base['n']:,}: x{growth:.2f} "
            "(1.0 = linear total cost)"
        )
    result = {"rows": rows, "target_bytes_per_wait": TARGET_BYTES}
    write_results("waits", result)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000, 100_000])
    args = parser.parse_args()
    asyncio.run(main(args.sizes))
