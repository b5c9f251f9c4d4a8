"""Polling cost: GETs per completed wait, the SDK's ``PollingWaiter`` against a plain loop.

Against the in-process emulator (generations take 4 emulated seconds; the clock runs
``--speed`` times real time), N waits run at once, either all on one flow generation or
on N distinct ones, two ways:

* the SDK: ``client.flow_generations.wait(id, waiter=PollingWaiter(...))``, where waits on
  one id share one poll loop (single flight) and the gap grows with backoff;
* a plain loop per wait: ``retrieve(id)`` every ``interval`` seconds until finished, which
  is what an SDK without waiters leaves its users to write.

Both start at the same interval. GETs are counted by the emulator (``emu.stats.gets``)
and printed per completed wait, side by side, with the ratio plain loop / SDK.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from benchmarks._common import median, verdict, write_results
from recrubo_async import Client
from recrubo_async.models import FlowGenerationStatus, TextContext, VacancyApplicationParameters
from recrubo_async.testing import Emulator
from recrubo_async.waiters import PollingWaiter

#: Real seconds between the first polls (emulated: interval x speed).
INTERVAL = 0.05
#: On one id, the SDK must need at least this many times fewer GETs per wait.
TARGET_ONE_ID = 10.0

PARAMETERS = VacancyApplicationParameters(
    knockout_requirements=[], preferred_requirements=[], required_fields=[]
)


async def plain_loop(client: Client, gid: str) -> None:
    while True:
        generation = await client.flow_generations.retrieve(gid)
        if generation.status == FlowGenerationStatus.FINISHED:
            return
        await asyncio.sleep(INTERVAL)


async def run_case(
    emu: Emulator, client: Client, *, n: int, distinct: bool, how: str
) -> dict[str, Any]:
    """Create the generation(s), run N waits at once, count the single-resource GETs."""
    count = n if distinct else 1
    created = [
        await client.flow_generations.create(
            flow_type="vacancy_application_flow",
            parameters=PARAMETERS,
            context=TextContext(value="Drivers wanted in Utrecht."),
        )
        for _ in range(count)
    ]
    ids = [created[i % count].id for i in range(n)]
    waiter = PollingWaiter(interval=INTERVAL, max_interval=8 * INTERVAL)
    wait: Callable[[str], Awaitable[Any]]
    if how == "sdk":

        def wait(gid: str) -> Awaitable[Any]:
            return client.flow_generations.wait(gid, waiter=waiter, timeout=60)

    else:

        def wait(gid: str) -> Awaitable[Any]:
            return plain_loop(client, gid)

    emu.reset_stats()
    await asyncio.gather(*(wait(gid) for gid in ids))
    gets = sum(emu.stats.gets[gid] for gid in set(ids))
    return {"gets": gets, "waits": n, "gets_per_wait": gets / n}


async def main(n: int, rounds: int, speed: float) -> dict[str, Any]:
    cases = [(distinct, how) for distinct in (False, True) for how in ("sdk", "plain")]
    per_wait: dict[str, list[float]] = {f"{h}_{'distinct' if d else 'one'}": [] for d, h in cases}
    async with Emulator(mode="production", speed=speed, seed=7) as emu:
        org = await emu.create_organization("bench")
        async with Client(org.token, base_url=emu.base_url) as client:
            for r in range(rounds):
                for distinct, how in cases[r % 2 :] + cases[: r % 2]:
                    row = await run_case(emu, client, n=n, distinct=distinct, how=how)
                    per_wait[f"{how}_{'distinct' if distinct else 'one'}"].append(
                        row["gets_per_wait"]
                    )
    med = {key: median(values) for key, values in per_wait.items()}
    one_ratio = med["plain_one"] / med["sdk_one"]
    distinct_ratio = med["plain_distinct"] / med["sdk_distinct"]
    print(
        f"GETs per completed wait, {n} waits at once, generation takes {4 / speed:.2f}s, "
        f"first poll interval {INTERVAL}s, median of {rounds} rounds"
    )
    print(f"  {'':<22}{'SDK PollingWaiter':>20}{'plain loop':>14}{'plain / SDK':>14}")
    print(
        f"  {f'{n} waits on one id':<22}{med['sdk_one']:>20.2f}{med['plain_one']:>14.2f}"
        f"{one_ratio:>13.1f}x"
    )
    print(
        f"  {f'{n} waits on {n} ids':<22}{med['sdk_distinct']:>20.2f}"
        f"{med['plain_distinct']:>14.2f}{distinct_ratio:>13.1f}x"
    )
    print(
        f"ratio plain loop / SDK GETs per wait: one id x{one_ratio:.1f} (target >= "
        f"{TARGET_ONE_ID:g}), distinct ids x{distinct_ratio:.2f}"
    )
    result = {
        "benchmark": "polling",
        "title": "Polling cost: GETs per completed wait",
        "waits": n,
        "interval_s": INTERVAL,
        "job_seconds": 4 / speed,
        "gets_per_wait": med,
        "rounds_gets_per_wait": per_wait,
        "one_id_ratio": one_ratio,
        "distinct_ratio": distinct_ratio,
        "verdicts": [
            verdict(
                f"GETs per wait, {n} waits on one id: plain loop / SDK",
                one_ratio,
                target=TARGET_ONE_ID,
            ),
            verdict(
                f"GETs per wait, {n} waits on {n} ids: plain loop / SDK",
                distinct_ratio,
                target=1.0,
            ),
        ],
    }
    write_results("polling", result)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--waits", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--speed", type=float, default=5.0, help="emulated seconds per second")
    args = parser.parse_args()
    asyncio.run(main(args.waits, args.rounds, args.speed))
