"""Waits at scale: N pending webhook waits, each with the state its real first GET returned.

Each wait is a task running ``await client.flow_generations.wait(id, waiter=
WebhookWaiter(bus))`` with the default 900 s timeout, on an ``InMemoryBus``: it subscribes,
checks the bus's latest, GETs the generation over HTTP (from ``_generation_server.py`` in
its own process, which answers the document the emulator gives a queued generation,
with the API docs' example parameters and a vacancy text) and parks. Once all N are
parked, the memory they hold is read with ``tracemalloc`` (after ``gc.collect()``, with
the client's connection pool already warm, so each figure is what N more waits cost):

- bytes per pending wait, the awaiting task INCLUDED: everything, the ``asyncio.Task``
  that runs ``wait()`` too;
- bytes per pending wait, the awaiting task EXCLUDED: the same less what an
  ``asyncio.Task`` costs by itself (measured here as N tasks parked on futures, less the
  same coroutines and futures parked without tasks). The 2 KiB target is on this figure.

Both are read once asyncio has swept the spent request timers the GETs left in its heap
(``drop_cancelled_timers``: the loop's garbage for up to the request timeout, not held by
the waits); the figure before that sweep is printed beside them.

Then every wait is resolved by a ``finished`` event on the bus: time to resolve all and
publish-to-return latency (p50/p99), printed, not targeted. Each figure is given as
min/median/max over ``--rounds`` rounds (the sizes alternate within each round).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import time
import tracemalloc
from typing import Any

from benchmarks._common import (
    free_port,
    percentile,
    server_process,
    spread,
    verdict,
    write_results,
)
from recrubo_async import Client
from recrubo_async.bus import InMemoryBus, ResourceEvent
from recrubo_async.models import FlowGeneration, Resource
from recrubo_async.waiters import WebhookWaiter

#: At most this many bytes per pending wait, the awaiting task excluded.
TARGET_BYTES = 2048
#: Bytes per wait at the largest N over the smallest N: at most this (flat cost per wait).
FLAT_TARGET = 1.15
#: Events published between yields to the event loop.
BATCH = 100
#: Waits started at a time (each GETs once, then parks).
IN_FLIGHT = 500
#: Seconds without a GET answered after which the benchmark gives up.
STALLED = 30.0
#: Concurrent GETs the warm-up makes: the client's connection pool (aiohttp's default
#: limit is 100) is full before the first measurement.
WARM_UP = 100
#: Newer than the served state's ``updatedAt`` (an older event would be dropped as stale).
FINISHED_AT = "2026-06-07T05:30:00+00:00"


def gids(n: int) -> list[str]:
    """N distinct generation ids (made by the caller before measuring: they are its own)."""
    return [f"00000000-0000-4000-8000-{i:012d}" for i in range(n)]


def finished(gid: str) -> ResourceEvent:
    return ResourceEvent.from_resource(
        {
            "type": "flowGenerations",
            "id": gid,
            "attributes": {"status": "finished", "updatedAt": FINISHED_AT},
        },
        event="update",
    )


def traced() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


async def park_waits(client: Client, bus: InMemoryBus, ids: list[str]) -> list[asyncio.Task[Any]]:
    """Start a wait per id; return once each has had its GET's answer and is parked.

    Each task runs ``wait()``'s coroutine itself, as ``asyncio.create_task(client.
    flow_generations.wait(id))`` does: no coroutine of the benchmark's own per wait.
    """
    waiter = WebhookWaiter(bus)
    answered = 0

    def on_status(status: str | None, state: Resource) -> None:
        # Called with the GET's state; the wait parks right after, without yielding.
        nonlocal answered
        answered += 1

    wait = client.flow_generations.wait
    tasks: list[asyncio.Task[Any]] = []
    looks = 0
    progress = (0, time.monotonic())
    # Started IN_FLIGHT at a time, as waits begin in a service: 100,000 GETs queued at
    # once behind a 100-connection pool would pass their request timeout in the queue.
    for start in range(0, len(ids), IN_FLIGHT):
        batch = ids[start : start + IN_FLIGHT]
        tasks += [asyncio.create_task(wait(g, waiter=waiter, on_status=on_status)) for g in batch]
        while answered < len(tasks):
            await asyncio.sleep(0.002)
            looks += 1
            if looks % 500 == 0:  # now and then: has a wait ended (a GET error, say)?
                failed = next((t for t in tasks if t.done()), None)
                if failed is not None:
                    failed.result()
                    raise RuntimeError("a wait returned before its event was published")
                if answered > progress[0]:
                    progress = (answered, time.monotonic())
                elif time.monotonic() - progress[1] > STALLED:
                    raise RuntimeError(f"no GET answered for {STALLED:g}s: is the server up?")
    await asyncio.sleep(0)
    return tasks


async def warm_up(client: Client) -> None:
    """GETs enough at once to fill the connection pool, so no measurement pays for it."""
    ids = gids(WARM_UP)
    got = await asyncio.gather(*(client.flow_generations.retrieve(g) for g in ids))
    assert all(isinstance(g, FlowGeneration) and g.parameters for g in got)


def _never() -> None:
    raise AssertionError("a placeholder timer ran")


async def drop_cancelled_timers(waits: int) -> None:
    """Have asyncio drop the cancelled timers from its heap now.

    Each GET leaves one there: aiohttp's request timeout, cancelled when the answer came.
    asyncio drops a cancelled timer when it falls due (within the request timeout) or once
    the cancelled ones outnumber the live ones, and each parked wait's deadline is a live
    one: right after parking, between none and one spent timer per wait is still there,
    depending on when the loop last swept. That is the loop's garbage, gone on its own
    within a minute, not something a pending wait holds; it is printed apart.
    """
    loop = asyncio.get_running_loop()
    # More cancelled timers than all the live ones (a deadline per wait, and a few): the
    # loop's next iteration sweeps every cancelled timer, these included.
    handles = [loop.call_later(86_400, _never) for _ in range(waits + 1_000)]
    for handle in handles:
        handle.cancel()
    del handles
    await asyncio.sleep(0)
    await asyncio.sleep(0)


async def task_cost(n: int) -> float:
    """Bytes an ``asyncio.Task`` adds to a coroutine parked on a future (per task)."""
    loop = asyncio.get_running_loop()

    async def park(future: asyncio.Future[None]) -> None:
        await future

    base = traced()
    futures = [loop.create_future() for _ in range(n)]
    coros = [park(f) for f in futures]
    for coro in coros:
        coro.send(None)  # parked on its future, as a task's first step would leave it
    without = traced() - base
    for coro in coros:
        coro.close()
    del coros, futures
    base = traced()
    futures = [loop.create_future() for _ in range(n)]
    tasks = [loop.create_task(park(f)) for f in futures]
    await asyncio.sleep(0)
    with_tasks = traced() - base
    for future in futures:
        future.set_result(None)
    await asyncio.gather(*tasks)
    return (with_tasks - without) / n


async def one_round(client: Client, n: int) -> dict[str, Any]:
    """Park N waits, read their memory, then resolve them all by bus events."""
    bus = InMemoryBus()
    ids = gids(n)
    tracemalloc.start()
    try:
        per_task = await task_cost(min(n, 10_000))
        await warm_up(client)  # each pooled connection holds its last answer, as after
        await drop_cancelled_timers(n)
        before = traced()
        tasks = await park_waits(client, bus, ids)
        with_timers = (traced() - before) / n
        await drop_cancelled_timers(n)
        with_task = (traced() - before) / n
    finally:
        tracemalloc.stop()
    done_at: dict[str, float] = {}

    def returned(gid: str, _: object) -> None:
        done_at[gid] = time.perf_counter()

    for gid, task in zip(ids, tasks, strict=True):
        task.add_done_callback(functools.partial(returned, gid))
    published_at: dict[str, float] = {}
    started = time.perf_counter()
    for i, gid in enumerate(ids):
        published_at[gid] = time.perf_counter()
        await bus.publish(finished(gid))
        if i % BATCH == BATCH - 1:
            # Webhooks arrive spread out, not all in one loop iteration: let waits return.
            await asyncio.sleep(0)
    await asyncio.gather(*tasks)
    total = time.perf_counter() - started
    assert bus.subscription_count == 0
    latencies = [done_at[g] - published_at[g] for g in ids]
    return {
        "bytes_per_wait_with_task": with_task,
        "bytes_per_task": per_task,
        "bytes_per_wait": with_task - per_task,
        "bytes_per_wait_with_spent_timers": with_timers - per_task,
        "resolve_all_s": total,
        "p50_ms": percentile(latencies, 50) * 1e3,
        "p99_ms": percentile(latencies, 99) * 1e3,
    }


def fmt(s: dict[str, float], unit: str = "", digits: int = 0) -> str:
    return "/".join(f"{s[k]:,.{digits}f}" for k in ("min", "median", "max")) + unit


def summarize(n: int, got: list[dict[str, Any]]) -> dict[str, Any]:
    """One row per N: each figure's median (what the report reads) and its spread."""
    row: dict[str, Any] = {"n": n, "rounds": got, "spread": {}}
    for key in got[0]:
        row["spread"][key] = spread([r[key] for r in got])
        row[key] = row["spread"][key]["median"]
    row["per_wait_us"] = row["resolve_all_s"] / n * 1e6
    return row


async def main(sizes: list[int], rounds: int) -> dict[str, Any]:
    port = free_port()
    rounds_by_n: dict[int, list[dict[str, Any]]] = {n: [] for n in sizes}
    with server_process(["benchmarks._generation_server", str(port)], port):
        async with Client("bench-key", base_url=f"http://127.0.0.1:{port}/public/v2") as client:
            await warm_up(client)
            # One unmeasured round: aiohttp's buffers and asyncio's task set at their
            # working sizes, so that no measured round pays for growing them.
            await one_round(client, min(*sizes, 1_000))
            for _ in range(rounds):
                for n in sizes:
                    rounds_by_n[n].append(await one_round(client, n))
    rows = [summarize(n, rounds_by_n[n]) for n in sizes]
    for row in rows:
        s = row["spread"]
        print(
            f"N={row['n']:>7,}: bytes per pending wait (min/median/max), the awaiting task "
            f"EXCLUDED {fmt(s['bytes_per_wait'], ' B')} (target <= {TARGET_BYTES}), "
            f"INCLUDED {fmt(s['bytes_per_wait_with_task'], ' B')} (the task alone: "
            f"{fmt(s['bytes_per_task'], ' B')}); before the loop swept its spent timers "
            f"(task excluded) {fmt(s['bytes_per_wait_with_spent_timers'], ' B')}; all resolved in "
            f"{fmt(s['resolve_all_s'], ' s', 2)}, publish->return p50 "
            f"{fmt(s['p50_ms'], ' ms', 2)}, p99 {fmt(s['p99_ms'], ' ms', 2)}",
            flush=True,
        )
    worst_row = max(rows, key=lambda row: row["spread"]["bytes_per_wait"]["max"])
    verdicts = [
        verdict(
            "memory per pending wait with the state of a real GET (the API docs' example "
            "parameters, a vacancy text), wait() with its default timeout, the awaiting "
            f"task excluded (bytes, worst round of any N: N={worst_row['n']:,})",
            worst_row["spread"]["bytes_per_wait"]["max"],
            target=TARGET_BYTES,
            higher_is_better=False,
            unit="B",
            rounds=[r["bytes_per_wait"] for r in worst_row["rounds"]],
        )
    ]
    if len(rows) > 1:
        small, large = rows[0], rows[-1]
        for row in rows[1:]:
            row["memory_growth"] = (
                row["bytes_per_wait_with_task"] / small["bytes_per_wait_with_task"]
            )
            row["growth"] = row["per_wait_us"] / small["per_wait_us"]
            print(
                f"per wait at N={row['n']:,} vs N={small['n']:,} (medians): memory (task "
                "included) "
                f"x{row['memory_growth']:.3f}, time to resolve x{row['growth']:.2f} (time "
                "not targeted: CPython's cyclic GC walks every live wait)"
            )
        # Paired by round: each round measured every N one after the other. On the figure
        # with the task: what one task costs depends on when asyncio's task set last grew
        # (466-677 B here), which would move the other figure by up to 200 B either way.
        ratios = [
            big["bytes_per_wait_with_task"] / little["bytes_per_wait_with_task"]
            for big, little in zip(large["rounds"], small["rounds"], strict=True)
        ]
        verdicts.append(
            verdict(
                f"memory per pending wait, the awaiting task included, N={large['n']:,} / "
                f"N={small['n']:,} (1.0 = flat)",
                spread(ratios)["median"],
                target=FLAT_TARGET,
                higher_is_better=False,
                rounds=ratios,
            )
        )
    for v in verdicts:
        met = "MET" if v["met"] else "MISSED"
        print(f"{met}: {v['what']}: {v['value']:,.3f} {v['op']} {v['target']}")
    result = {
        "benchmark": "waits",
        "title": "Waits at scale: N webhook waits, each after a real GET, on one in-process bus",
        "rows": rows,
        "target_bytes_per_wait": TARGET_BYTES,
        "verdicts": verdicts,
    }
    write_results("waits", result)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--rounds", type=int, default=3, help="rounds per size (alternated)")
    args = parser.parse_args()
    asyncio.run(main(args.sizes, args.rounds))
