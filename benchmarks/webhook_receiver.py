"""Webhook receiver throughput: the SDK's aiohttp adapter vs a bare aiohttp handler.

Both servers run in a child process, one at a time, driven by the same load generator in
this process; rounds alternate so drift on a noisy machine hits both. The receiver does
the full job (verify the secret, decode, dedupe, publish to an in-memory bus).
Target: at least 0.7 of the bare handler.
"""

from __future__ import annotations

import argparse
import asyncio
import uuid
from typing import Any

import aiohttp
import orjson

from benchmarks._common import (
    free_port,
    median,
    run_load,
    server_process,
    verdict,
    write_results,
)
from benchmarks._webhook_servers import SECRET

TARGET = 0.7


def payload() -> bytes:
    return orjson.dumps(
        {
            "data": {
                "type": "webhookPayload",
                "id": str(uuid.uuid4()),
                "attributes": {
                    "webhookId": str(uuid.uuid4()),
                    "event": "update",
                    "fields": ["status"],
                    "resource": {
                        "type": "flowGenerations",
                        "id": str(uuid.uuid4()),
                        "attributes": {
                            "flowType": "vacancy_application_flow",
                            "status": "finished",
                            "flowId": str(uuid.uuid4()),
                            "cost": 3,
                            "parameters": {"language": "nl", "knockoutRequirements": []},
                            "context": {"type": "text", "value": "A vacancy text. " * 20},
                            "createdAt": "2026-01-01T12:00:00Z",
                            "updatedAt": "2026-01-01T12:00:05Z",
                        },
                    },
                },
            }
        }
    )


async def measure(kind: str, total: int, concurrency: int) -> float:
    port = free_port()
    bodies = [payload() for _ in range(total)]
    headers = {"X-Recrubo-Webhook-Secret": SECRET, "Content-Type": "application/vnd.api+json"}
    with server_process(["benchmarks._webhook_servers", kind, str(port)], port):
        url = f"http://127.0.0.1:{port}/webhooks"
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def call(i: int) -> None:
                async with session.post(url, data=bodies[i], headers=headers) as resp:
                    await resp.read()
                    if resp.status != 200:
                        raise RuntimeError(f"{kind}: status {resp.status}")

            await run_load(call, total=min(200, total), concurrency=concurrency)  # warm up
            return await run_load(call, total=total, concurrency=concurrency)


async def main(total: int, rounds: int, concurrency: int) -> dict[str, Any]:
    bare, receiver = [], []
    for _ in range(rounds):
        bare.append(await measure("bare", total, concurrency))
        receiver.append(await measure("receiver", total, concurrency))
    ratio = median(receiver) / median(bare)
    print(f"webhook receiver: {median(receiver):,.0f} payloads/s")
    print(f"bare aiohttp:     {median(bare):,.0f} payloads/s")
    print(f"ratio receiver/bare: {ratio:.2f} (target >= {TARGET})")
    result = {
        "benchmark": "webhook_receiver",
        "title": "Webhook receiver: SDK aiohttp adapter vs a bare aiohttp handler",
        "receiver_per_s": median(receiver),
        "rounds_receiver_per_s": receiver,
        "rounds_bare_per_s": bare,
        "bare_per_s": median(bare),
        "ratio": ratio,
        "target": TARGET,
        "rounds": rounds,
        "requests_per_round": total,
        "concurrency": concurrency,
        "verdicts": [
            verdict("webhook payloads/s: SDK receiver / bare aiohttp", ratio, target=TARGET)
        ],
    }
    write_results("webhook_receiver", result)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.rounds, args.concurrency))
