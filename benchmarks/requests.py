"""Request overhead: ``client.flow_generations.retrieve()`` against hand-written clients.

Four clients GET the same FlowGeneration document (the seed's parameters and a vacancy
text: about 2 KB) from the same tiny aiohttp server (a child process, so client and server
each have a core), at the same concurrency:

* the SDK: ``await client.flow_generations.retrieve(id)``, a typed ``FlowGeneration``
  (headers, retry policy, hooks, error mapping and decoding included);
* raw aiohttp in the lean form the SDK itself uses (the floor, and the verdict's
  reference): one ``ClientSession`` made with the same headers, ``resp = await
  session.request("GET", url, allow_redirects=False)`` without ``async with`` (which adds
  four coroutines), ``await resp.read()``, the status check, ``orjson.loads`` of the body
  (a dict, no types, no error handling beyond the status check);
* raw aiohttp as most code is written: ``async with session.get(url) as resp``, the same
  read, check and ``orjson.loads``;
* httpx: ``httpx.AsyncClient`` with the same headers, the same URL, ``orjson.loads``.

Each concurrency level is measured on its own: at 1 a request's latency is what counts
(the SDK's cost is added to every call a user waits for); at 32 the client's CPU is the
bottleneck, since the server answers faster than any client can ask: the strictest
setting, where every microsecond the SDK spends shows as lost throughput. Each round opens
and warms every client, then alternates them slice by slice (``SLICE`` requests, about a
tenth of a second at 32; who goes first rotates, and the SDK's and the lean form's slices
always run next to each other, no other client's between them); the figures are medians
over slices; the throughput ratio is the median of each slice's SDK / lean raw pair,
measured side by side, reported with the min and max of the pairs. Target: the SDK at
least 0.9x the lean raw form's throughput at every level; client CPU per request is
reported beside it. httpx runs a tenth of the requests per round: it is several times
slower here, and a rate needs no more.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any

import aiohttp
import orjson

from benchmarks._common import (
    free_port,
    median,
    optional_module,
    paired_turn_order,
    run_load,
    server_process,
    spread,
    verdict,
    write_results,
)
from benchmarks._request_server import BASE_PATH, GENERATION_ID
from recrubo_async import Client
from recrubo_async.models import FlowGeneration

TARGET = 0.9
API_KEY = "bench-key"
#: What the SDK sends on every request; the hand-written clients send the same.
HEADERS = {
    "Authorization": f"Bearer {API_KEY}",
    "Content-Type": "application/vnd.api+json",
    "Accept": "application/vnd.api+json",
}

Call = Callable[[int], Awaitable[None]]
#: Opens one client for (base URL, concurrency) and yields its call.
Kind = Callable[[str, int], AbstractAsyncContextManager[Call]]


@asynccontextmanager
async def sdk(base_url: str, concurrency: int) -> AsyncIterator[Call]:
    async with Client(API_KEY, base_url=base_url) as client:
        generations = client.flow_generations

        async def call(_: int) -> None:
            generation = await generations.retrieve(GENERATION_ID)
            if generation.status != "finished":
                raise RuntimeError(f"sdk: unexpected {generation!r}")

        generation = await generations.retrieve(GENERATION_ID)
        assert isinstance(generation, FlowGeneration) and generation.cost == 3
        yield call


@asynccontextmanager
async def raw_lean(base_url: str, concurrency: int) -> AsyncIterator[Call]:
    async with aiohttp.ClientSession(headers=HEADERS) as session:
        request = session.request

        async def call(_: int) -> None:
            resp = await request(
                "GET", f"{base_url}/flow-generations/{GENERATION_ID}", allow_redirects=False
            )
            body = await resp.read()
            if resp.status != 200:
                raise RuntimeError(f"aiohttp: status {resp.status}")
            document: dict[str, Any] = orjson.loads(body)
            if document["data"]["attributes"]["status"] != "finished":
                raise RuntimeError("aiohttp: unexpected document")

        yield call


@asynccontextmanager
async def raw_aiohttp(base_url: str, concurrency: int) -> AsyncIterator[Call]:
    async with aiohttp.ClientSession(headers=HEADERS) as session:

        async def call(_: int) -> None:
            async with session.get(f"{base_url}/flow-generations/{GENERATION_ID}") as resp:
                body = await resp.read()
                if resp.status != 200:
                    raise RuntimeError(f"aiohttp: status {resp.status}")
            document: dict[str, Any] = orjson.loads(body)
            if document["data"]["attributes"]["status"] != "finished":
                raise RuntimeError("aiohttp: unexpected document")

        yield call


@asynccontextmanager
async def httpx_client(base_url: str, concurrency: int) -> AsyncIterator[Call]:
    httpx = optional_module("httpx")
    # httpx keeps 20 idle connections by default; aiohttp keeps every one it opened (up
    # to 100). Same pool for both, so that httpx does not reconnect at concurrency > 20.
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=max(20, concurrency))
    async with httpx.AsyncClient(headers=HEADERS, limits=limits) as client:

        async def call(_: int) -> None:
            resp = await client.get(f"{base_url}/flow-generations/{GENERATION_ID}")
            if resp.status_code != 200:
                raise RuntimeError(f"httpx: status {resp.status_code}")
            document: dict[str, Any] = orjson.loads(resp.content)
            if document["data"]["attributes"]["status"] != "finished":
                raise RuntimeError("httpx: unexpected document")

        yield call


KINDS: dict[str, Kind] = {
    "sdk": sdk,
    "lean": raw_lean,
    "aiohttp": raw_aiohttp,
    "httpx": httpx_client,
}
#: Requests per round relative to the others' (httpx is several times slower).
SHARE = {"sdk": 1.0, "lean": 1.0, "aiohttp": 1.0, "httpx": 0.1}


#: Requests per slice: a round alternates the clients slice by slice (see ``rotated_rounds``).
SLICE = 500


async def rotated_rounds(
    kinds: dict[str, Kind],
    base_url: str,
    total: int,
    rounds: int,
    concurrency: int,
    share: dict[str, float] | None = None,
    pair: tuple[str, str] = ("sdk", "lean"),
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Each client's rate and CPU per request, slice by slice: ``rounds`` rounds, each
    sending ``total`` requests per client (a client with a ``share`` sends that fraction,
    100 at least) in slices of ``SLICE``, the clients taking turns slice by slice in the
    order ``paired_turn_order`` gives (rotated, with the two clients of ``pair``, the
    verdict's ratio, always side by side), the garbage collected before each.

    Every client of a round is opened and warmed before its first slice, so that a slice
    measures requests only. Slices of a tenth of a second, side by side: on a shared
    machine whose speed drifts by half within seconds, two neighbouring slices see the same
    machine, where whole rounds a second apart did not (the paired ratios of whole rounds
    spread from 0.62 to 1.12 on one run).
    """
    names = list(kinds)
    rate: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    counts = {name: max(100, int(total * (share or {}).get(name, 1.0))) for name in names}
    slices = max(1, total // SLICE)
    for r in range(rounds):
        async with AsyncExitStack() as stack:
            calls = {
                name: await stack.enter_async_context(kinds[name](base_url, concurrency))
                for name in names
            }
            for call in calls.values():
                await run_load(call, total=min(300, total), concurrency=concurrency)  # warm up
            for s in range(slices):
                # Rotated, or the SDK would always follow httpx; the pair's halves next to
                # each other (with four clients, httpx's slice of a quarter of a second
                # could run between them).
                for name in paired_turn_order(names, pair, r, s, slices):
                    count = max(1, counts[name] // slices)
                    # Nothing another client left is collected on this one's time.
                    gc.collect()
                    started = time.process_time()
                    per_s = await run_load(calls[name], total=count, concurrency=concurrency)
                    rate[name].append(per_s)
                    cpu[name].append((time.process_time() - started) / count * 1e6)
    return rate, cpu


async def level(base_url: str, total: int, rounds: int, concurrency: int) -> dict[str, Any]:
    """Every client at one concurrency, ``rounds`` times, alternating."""
    names = list(KINDS)
    rate, cpu = await rotated_rounds(KINDS, base_url, total, rounds, concurrency, SHARE)
    med = {name: median(rate[name]) for name in names}
    med_cpu = {name: median(cpu[name]) for name in names}
    print(f"concurrency {concurrency}: {total:,} requests per client and round, {rounds} rounds")
    for name in names:
        print(
            f"  {name:<8} {med[name]:>8,.0f} req/s  {med_cpu[name]:>6.0f} us client CPU/request "
            f"  throughput vs lean raw x{med[name] / med['lean']:.2f}"
            f"  CPU efficiency vs lean raw x{med_cpu['lean'] / med_cpu[name]:.2f}",
            flush=True,
        )
    # Each slice's SDK figure over the raw figure measured next to it, then the median:
    # pairs measured a tenth of a second apart cancel the machine's drift.
    paired = [s / a for s, a in zip(rate["sdk"], rate["lean"], strict=True)]
    ratios = spread(paired)
    print(
        f"  ratio SDK / lean raw aiohttp throughput at concurrency {concurrency}: "
        f"{ratios['min']:.2f} / {ratios['median']:.2f} / {ratios['max']:.2f} "
        f"(min / median / max of {len(paired)} paired slices, {rounds} rounds)",
        flush=True,
    )
    return {
        "concurrency": concurrency,
        "per_s": med,
        "cpu_us_per_request": med_cpu,
        "rounds_per_s": rate,
        "rounds_cpu_us": cpu,
        "ratio": ratios["median"],
        "ratio_spread": ratios,
        "paired_ratios": paired,
        "cpu_ratio": med_cpu["lean"] / med_cpu["sdk"],
        "plain_aiohttp_ratio": med["sdk"] / med["aiohttp"],
        "httpx_ratio": med["httpx"] / med["lean"],
    }


async def main(total: int, rounds: int, concurrencies: list[int]) -> dict[str, Any]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}{BASE_PATH}"
    print(
        f"GET one FlowGeneration: SDK retrieve() vs raw aiohttp (lean, async with) vs httpx "
        f"(target SDK >= {TARGET}x the lean raw form)"
    )
    with server_process(["benchmarks._request_server", str(port)], port):
        levels = [await level(base_url, total, rounds, c) for c in concurrencies]
    # The headline is the strictest level: the highest concurrency.
    top = max(levels, key=lambda lv: lv["concurrency"])
    for lv in levels:
        print(
            f"ratio SDK / lean raw aiohttp throughput, concurrency {lv['concurrency']}: "
            f"{lv['ratio']:.2f} (target >= {TARGET})"
        )
    result = {
        "benchmark": "requests",
        "title": "Request overhead: retrieve() vs raw aiohttp (lean and async with) vs httpx",
        **top,
        "levels": levels,
        "target": TARGET,
        "rounds": rounds,
        "requests_per_round": total,
        "verdicts": [
            verdict(
                f"retrieve(): SDK / raw aiohttp+orjson in the SDK's lean form, throughput "
                f"at concurrency {lv['concurrency']}",
                lv["ratio"],
                target=TARGET,
                rounds=lv["paired_ratios"],
            )
            for lv in levels
        ],
    }
    write_results("requests", result)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=4000, help="per client and round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--concurrency", type=int, nargs="+", default=[1, 32], help="one or more levels"
    )
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.rounds, args.concurrency))
