"""Two receiver processes on one real Redis, with ``RedisDedupe`` and ``RedisBus``.

Each delivery is sent to both replicas at once (as a retrying sender and a load balancer
can), and deliveries of one resource arrive reordered. Every handler run is appended to a
Redis list by the replica that ran it. The promise: each delivery's handlers run exactly
once when it is the newest state, never for an update older than one already published,
and every copy is eventually answered 2xx (a 503 ``in progress`` is retried, as Recrubo
would).
"""

from __future__ import annotations

import asyncio
import random
import secrets
from collections import Counter
from pathlib import Path

import aiohttp
import redis.asyncio as aioredis

from ..support.deliveries import delivery, generation
from ..support.processes import Processes
from ..support.redis_server import RedisServer

#: Answers to one copy of one delivery before the test gives up on it: a busy copy waits
#: up to busy_wait (2 s) per try, so this is far beyond a loaded machine's need.
TRIES = 20


async def send(http: aiohttp.ClientSession, port: int, secret: str, body: bytes) -> tuple[int, str]:
    """POST one copy, retrying 503 ``in progress`` as the sender would."""
    for _ in range(TRIES):
        async with http.post(
            f"http://127.0.0.1:{port}/webhooks",
            data=body,
            headers={"X-Recrubo-Webhook-Secret": secret, "Content-Type": "application/json"},
        ) as response:
            text = await response.text()
            if response.status != 503:
                return response.status, text
        await asyncio.sleep(0.2)
    raise AssertionError("a copy was answered 503 every time")


async def test_two_replicas_run_each_delivery_once_and_never_an_older_state(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    redis = redis_server
    procs = Processes(tmp_path)
    admin = aioredis.Redis.from_url(redis.url, decode_responses=True)
    secret = secrets.token_urlsafe(16)
    try:
        env = {"RECRUBO_WEBHOOK_SECRET": secret, "REDIS_URL": redis.url, "REPLICA_RECORD": "1"}
        replicas = [
            await procs.start(f"replica{i}", "tests.support.mp_receiver", env=env) for i in (0, 1)
        ]
        ports = [
            (await r.first_line(lambda line: line.get("event") == "listening"))["port"]
            for r in replicas
        ]
        rng = random.Random(4)
        async with aiohttp.ClientSession() as http:

            async def both(body: bytes) -> list[tuple[int, str]]:
                return list(await asyncio.gather(*(send(http, p, secret, body) for p in ports)))

            # 1. The newest state of 30 resources, each to both replicas at once.
            newest = {
                f"g{i}": delivery(generation(f"g{i}", "finished", seconds=10), payload_id=f"new{i}")
                for i in range(30)
            }
            answers = await asyncio.gather(*(both(b) for b in newest.values()))
            # 2. Older states of the same resources, late, to both at once, with the newest
            #    again (a duplicate): none may run.
            late = [
                delivery(generation(f"g{i}", "processing", seconds=5), payload_id=f"old{i}")
                for i in range(30)
            ] + list(newest.values())
            rng.shuffle(late)
            answers += await asyncio.gather(*(both(b) for b in late))
            # 3. Fresh resources whose three states all arrive at once, shuffled.
            mixed = [
                delivery(generation(f"m{i}", status, seconds=seconds), payload_id=f"m{i}-{seconds}")
                for i in range(20)
                for status, seconds in (("queued", 1), ("processing", 5), ("finished", 9))
            ]
            rng.shuffle(mixed)
            answers += await asyncio.gather(*(both(b) for b in mixed))

        assert {status for pair in answers for status, _ in pair} == {200}
        runs = Counter(str(key) for key in await admin.lrange("test:runs", 0, -1))
        doubled = {key: n for key, n in runs.items() if n > 1}
        assert not doubled, f"deliveries run more than once: {doubled}"
        assert {f"new{i}" for i in range(30)} <= set(runs), "a newest state was never run"
        assert not {key for key in runs if key.startswith("old")}, "an older state ran"
        # The newest of each fresh resource always runs; an older one only if it was
        # published before the newer one (then it was the newest at the time).
        assert {f"m{i}-9" for i in range(20)} <= set(runs)
        for i in range(20):
            latest = await admin.get(f"recrubo:latest:flowGenerations:m{i}")
            assert latest is not None and '"finished"' in str(latest)
    finally:
        await procs.kill_all()
        await admin.aclose()
