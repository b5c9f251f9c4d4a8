"""Waits at scale: N concurrent waits resolved by webhook events on the in-process bus.

Each wait is a task running ``client.flow_generations.wait(id, waiter=WebhookWaiter(bus))``
on an ``InMemoryBus`` (subscribe, check latest, one state fetch, then events). The state
fetch (``retrieve``) is served from memory, so the figures are the waiter's and the bus's
own cost, not HTTP. Prints, for each N: time to resolve all, p50/p99 latency from publish
to the await returning, and memory per pending wait, plus how the cost per wait grows
with N.

The memory target (<= 2 KiB per pending wait) is checked on the way users wait:
``await client.flow_generations.wait(id)`` with its default 900 s timeout. (Until the
timeout became a timer handle per wait, the headline was the wait loop ``run_wait``
alone, without a timeout; that figure and ``wait()`` without a timeout are printed beside
it.)
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time
import tracemalloc
from typing import Any

from benchmarks._common import percentile, verdict, write_results
from recrubo_async import Client
from recrubo_async.bus import InMemoryBus, ResourceEvent
from recrubo_async.models import FlowGeneration, FlowGenerationStatus
from recrubo_async.resources.flow_generations import FlowGenerations
from recrubo_async.waiters import WebhookWaiter
from recrubo_async.waiters._loop import run_wait

TARGET_BYTES = 2048
#: Cost per wait at the largest N over the smallest: 1.0 is linear total cost. With the
#: cyclic GC off the same run measures x1.03-1.09; with it on, each collection walks every
#: live wait, so more waits cost a little more each.
GROWTH_TARGET = 1.5
#: Events published between yields to the event loop.
BATCH = 100
#: How a wait is started: the wait loop itself (run_wait), the public ``wait()`` with no
#: timeout, and ``wait()`` with its default 900 s timeout (the figure the target is for).
APIS = ("run_wait", "wait", "wait_default_timeout")
#: The API whose figure the memory target is checked on: what users write.
HEADLINE_API = "wait_default_timeout"


def finished(gid: str) -> ResourceEvent:
    return ResourceEvent.from_resource(
        {
            "type": "flowGenerations",
            "id": gid,
            "attributes": {"status": "finished", "updatedAt": "2026-01-01T12:00:05Z"},
        },
        event="update",
    )


class MemoryFlowGenerations(FlowGenerations):
    """``client.flow_generations`` whose GET answers from memory: a fresh queued model."""

    async def retrieve(self, id: Any, **_: Any) -> FlowGeneration:
        return FlowGeneration(id=id, status=FlowGenerationStatus.QUEUED)


def generations() -> MemoryFlowGenerations:
    # The client never sends a request: retrieve() above answers, the bus does the rest.
    client = Client("bench-key", base_url="http://127.0.0.1:9")
    return MemoryFlowGenerations(client._core)


async def start_waits(
    n: int, bus: InMemoryBus, done_at: dict[str, float], api: str = "wait"
) -> list[asyncio.Task[None]]:
    waiter = WebhookWaiter(bus)
    resource = generations()

    async def one(gid: str) -> None:
        if api == "run_wait":
            await run_wait(waiter, resource._source(gid), until="finished", timeout=None)
        elif api == "wait":
            await resource.wait(gid, waiter=waiter, timeout=None)
        else:
            await resource.wait(gid, waiter=waiter)
        done_at[gid] = time.perf_counter()

    gids = [f"g{i}" for i in range(n)]
    tasks = [asyncio.create_task(one(gid)) for gid in gids]
    while bus.subscription_count < n:  # noqa: ASYNC110 - a bus has no "n subscribed" event
        await asyncio.sleep(0.01)
    await asyncio.sleep(0)
    return tasks


async def memory_per_wait(n: int, api: str) -> float:
    """Bytes allocated per pending wait, including the task that awaits it."""
    bus = InMemoryBus()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    tasks = await start_waits(n, bus, {}, api)
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
    gids = [f"g{i}" for i in range(n)]  # the same id strings the waits are given

    async def park(future: asyncio.Future[None], gid: str) -> None:
        await future

    tasks = [asyncio.create_task(park(f, g)) for f, g in zip(futures, gids, strict=True)]
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


async def main(sizes: list[int], rounds: int) -> dict[str, Any]:
    # Timing rounds alternate the sizes; each N's row is its median round (by total time).
    timings: dict[int, list[dict[str, Any]]] = {n: [] for n in sizes}
    for _ in range(rounds):
        for n in sizes:
            timings[n].append(await resolve_all(n))
    rows = []
    for n in sizes:
        ordered = sorted(timings[n], key=lambda t: float(t["resolve_all_s"]))
        row = ordered[len(ordered) // 2]
        row["rounds_resolve_all_s"] = [t["resolve_all_s"] for t in timings[n]]
        bare = await memory_per_bare_task(n)
        row["bytes_per_bare_task"] = bare
        for api in APIS:
            with_task = await memory_per_wait(n, api)
            row[f"bytes_per_wait_with_task_{api}"] = with_task
            row[f"bytes_per_wait_{api}"] = with_task - bare
        row["bytes_per_wait"] = row[f"bytes_per_wait_{HEADLINE_API}"]
        rows.append(row)
        print(
            f"N={n:>7,}: all resolved in {row['resolve_all_s']:.2f}s "
            f"({row['per_wait_us']:.1f} us/wait), publish->return p50 {row['p50_ms']:.2f} ms "
            f"p99 {row['p99_ms']:.2f} ms; memory per pending wait(), default timeout, "
            f"{row['bytes_per_wait']:,.0f} B (target <= {TARGET_BYTES}); wait() without a "
            f"timeout {row['bytes_per_wait_wait']:,.0f} B, the wait loop alone "
            f"{row['bytes_per_wait_run_wait']:,.0f} B; "
            f"{bare:,.0f} B more for the awaiting task itself"
        )
    base = rows[0]
    for row in rows[1:]:
        row["growth"] = row["per_wait_us"] / base["per_wait_us"]
        print(
            f"cost per wait at N={row['n']:,} vs N={base['n']:,}: x{row['growth']:.2f} "
            "(1.0 = linear total cost)"
        )
    worst = max(row["bytes_per_wait"] for row in rows)
    verdicts = [
        verdict(
            "memory per pending wait, wait() with its default timeout (bytes, worst N)",
            worst,
            target=TARGET_BYTES,
            higher_is_better=False,
            unit="B",
        )
    ]
    if len(rows) > 1:
        growth = rows[-1]["growth"]
        verdicts.append(
            verdict(
                f"cost per wait, N={rows[-1]['n']:,} / N={base['n']:,} (1.0 = linear; "
                "1.5 allowed for CPython's GC walking a larger heap)",
                growth,
                target=GROWTH_TARGET,
                higher_is_better=False,
            )
        )
    result = {
        "benchmark": "waits",
        "title": "Waits at scale: N webhook waits on one in-process bus",
        "rows": rows,
        "target_bytes_per_wait": TARGET_BYTES,
        "verdicts": verdicts,
    }
    write_results("waits", result)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000, 100_000])
    parser.add_argument("--rounds", type=int, default=3, help="timing rounds per size")
    args = parser.parse_args()
    asyncio.run(main(args.sizes, args.rounds))
