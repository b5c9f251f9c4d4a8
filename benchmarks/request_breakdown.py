"""Where ``retrieve()``'s cost over the lean raw form goes: the sending layer or the decode.

``benchmarks/requests.py`` compares the whole ``retrieve()`` with raw aiohttp in the lean
form. This splits the difference with two clients that each take one half of the SDK:

* ``sdk_send``: the SDK's sending layer (``ClientCore.request``: the retry loop, the
  attempt, hooks' checks, ``max_response_size``, the session's defaults), then
  ``orjson.loads`` and the same check as the lean client: no typed model;
* ``lean_decode``: the lean raw form, then the SDK's typed decode of the body
  (``Codec.decode_data`` to a ``FlowGeneration``, what ``retrieve()`` returns).

``sdk_send`` / ``lean`` is what the sending layer costs, ``lean_decode`` / ``lean`` what the
typed model costs. Both reach into private names (``client._core``, ``_jsonapi.Codec``):
a diagnosis, not a verdict, so this is not a ``make bench`` step. Same server, rounds and
pairing as ``requests.py``; client CPU per request beside each rate, since on a shared
box the CPU figures drift less than the rates.

    python -m benchmarks.request_breakdown --requests 2000 --rounds 9 --concurrency 1 32
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import orjson

from benchmarks._common import free_port, median, server_process, spread, write_results
from benchmarks._request_server import BASE_PATH, GENERATION_ID
from benchmarks.requests import API_KEY, HEADERS, Call, Kind, raw_lean, rotated_rounds, sdk
from recrubo_async import Client
from recrubo_async._jsonapi import Codec
from recrubo_async.models import FlowGeneration


@asynccontextmanager
async def sdk_send(base_url: str, concurrency: int) -> AsyncIterator[Call]:
    """The SDK's sending layer, then what the lean client does with the body."""
    async with Client(API_KEY, base_url=base_url) as client:
        core = client._core
        path = f"/flow-generations/{GENERATION_ID}"

        async def call(_: int) -> None:
            body = await core.request("GET", path)
            document: dict[str, Any] = orjson.loads(body)
            if document["data"]["attributes"]["status"] != "finished":
                raise RuntimeError("sdk_send: unexpected document")

        yield call


@asynccontextmanager
async def lean_decode(base_url: str, concurrency: int) -> AsyncIterator[Call]:
    """The lean raw form, then the SDK's typed decode of the body."""
    decode = Codec().decode_data
    async with aiohttp.ClientSession(headers=HEADERS) as session:
        request = session.request

        async def call(_: int) -> None:
            resp = await request(
                "GET", f"{base_url}/flow-generations/{GENERATION_ID}", allow_redirects=False
            )
            body = await resp.read()
            if resp.status != 200:
                raise RuntimeError(f"lean_decode: status {resp.status}")
            if decode(body, FlowGeneration).status != "finished":
                raise RuntimeError("lean_decode: unexpected document")

        yield call


KINDS: dict[str, Kind] = {
    "lean": raw_lean,
    "sdk": sdk,
    "sdk_send": sdk_send,
    "lean_decode": lean_decode,
}


async def level(base_url: str, total: int, rounds: int, concurrency: int) -> dict[str, Any]:
    """Every client at one concurrency, ``rounds`` times, rotating who goes first."""
    names = list(KINDS)
    rate, cpu = await rotated_rounds(KINDS, base_url, total, rounds, concurrency)
    print(f"concurrency {concurrency}: {total:,} requests per client and round, {rounds} rounds")
    out: dict[str, Any] = {"concurrency": concurrency, "clients": {}}
    for name in names:
        # Each round's figure over the lean client's of the same round.
        throughput = spread([s / a for s, a in zip(rate[name], rate["lean"], strict=True)])
        efficiency = spread([a / s for s, a in zip(cpu[name], cpu["lean"], strict=True)])
        out["clients"][name] = {
            "per_s": median(rate[name]),
            "cpu_us_per_request": median(cpu[name]),
            "throughput_vs_lean": throughput,
            "cpu_efficiency_vs_lean": efficiency,
        }
        print(
            f"  {name:<12} {median(rate[name]):>8,.0f} req/s "
            f"{median(cpu[name]):>6.0f} us CPU/request"
            f"  throughput vs lean {throughput['min']:.2f} / {throughput['median']:.2f} / "
            f"{throughput['max']:.2f}  CPU efficiency vs lean {efficiency['min']:.2f} / "
            f"{efficiency['median']:.2f} / {efficiency['max']:.2f}",
            flush=True,
        )
    return out


async def main(total: int, rounds: int, concurrencies: list[int]) -> dict[str, Any]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}{BASE_PATH}"
    print(
        "retrieve() split: lean raw aiohttp, the SDK, the SDK's sending layer + orjson "
        "(sdk_send), lean raw + the SDK's typed decode (lean_decode); min / median / max of "
        "paired rounds"
    )
    with server_process(["benchmarks._request_server", str(port)], port):
        levels = [await level(base_url, total, rounds, c) for c in concurrencies]
    result = {
        "benchmark": "request_breakdown",
        "title": "retrieve() split into the sending layer and the typed decode",
        "levels": levels,
        "rounds": rounds,
        "requests_per_round": total,
        "verdicts": [],
    }
    write_results("request_breakdown", result)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000, help="per client and round")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument(
        "--concurrency", type=int, nargs="+", default=[1, 32], help="one or more levels"
    )
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.rounds, args.concurrency))
