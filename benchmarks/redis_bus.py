"""Webhook-to-await latency across processes over ``RedisBus``, next to the in-process bus.

Two deployments run side by side, both fed by this process, which POSTs one webhook
delivery at a time and stamps the moment it starts sending:

- **redis**: a receiver process (``WebhookReceiver`` publishing to a ``RedisBus``) and a
  separate waiter process holding the waits (``WebhookWaiter`` on its own ``RedisBus``),
  with a redis-server this script starts;
- **in-process**: one process running the receiver (on an ``InMemoryBus``) and the waits.

Each wait runs the SDK's real wait loop (subscribe, latest, one state fetch served from
memory, then events), parked before the timed delivery is sent. The process holding the
wait stamps the moment its ``await`` returns; ``time.monotonic`` reads a system-wide clock
(CLOCK_MONOTONIC on Linux), so stamps from two processes compare directly. Samples are
taken one at a time (no queueing), alternating between the deployments in blocks so drift
on a noisy machine hits both. Prints p50 and p99 for each and their ratio; writes
``results/redis_bus.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from aiohttp import web

from benchmarks._common import free_port, percentile, write_results
from recrubo_async._jsonapi import Codec
from recrubo_async.bus import CompletionBus, InMemoryBus, RedisBus, ResourceEvent
from recrubo_async.models import FlowGeneration, Resource
from recrubo_async.resources.flow_generations import FLOW_GENERATION
from recrubo_async.waiters import WebhookWaiter
from recrubo_async.waiters._loop import run_wait
from recrubo_async.waiters._source import CallableSource
from recrubo_async.webhooks import SECRET_HEADER, WebhookReceiver

ROOT = Path(__file__).parent.parent
SECRET = "bench-secret"
HEADERS = {SECRET_HEADER: SECRET, "Content-Type": "application/vnd.api+json"}
#: Samples taken from one deployment before switching to the other.
BLOCK = 100
CODEC = Codec()


def delivery(gid: str) -> bytes:
    """A webhook delivery saying generation ``gid`` is finished."""
    return orjson.dumps(
        {
            "data": {
                "type": "webhookPayload",
                "id": str(uuid.uuid4()),
                "attributes": {
                    "webhookId": "bench-webhook",
                    "event": "update",
                    "fields": ["status"],
                    "resource": {
                        "type": "flowGenerations",
                        "id": gid,
                        "attributes": {
                            "flowType": "vacancy_application_flow",
                            "status": "finished",
                            "flowId": str(uuid.uuid4()),
                            "cost": 3,
                            "createdAt": "2026-01-01T12:00:00Z",
                            "updatedAt": "2026-01-01T12:00:05Z",
                        },
                    },
                },
            }
        }
    )


# -- child processes ----------------------------------------------------------------------


def emit(*parts: object) -> None:
    sys.stdout.write(" ".join(str(p) for p in parts) + "\n")
    sys.stdout.flush()


def source_for(gid: str) -> CallableSource[Resource]:
    queued = FlowGeneration(id=gid, status="queued")  # type: ignore[arg-type]

    async def fetch() -> Resource:
        return queued

    def decode(event: ResourceEvent) -> Resource:
        return CODEC.decode_resource(event.resource)

    return CallableSource(spec=FLOW_GENERATION, id=gid, fetch=fetch, decode=decode)


async def park_waits(bus: CompletionBus, count: int) -> list[asyncio.Task[None]]:
    """Start ``count`` waits (g0, g1, ...); each prints ``done <id> <monotonic>`` on return."""
    waiter = WebhookWaiter(bus)

    async def one(gid: str) -> None:
        await run_wait(waiter, source_for(gid), until="finished", timeout=None)
        emit("done", gid, repr(time.monotonic()))

    tasks = [asyncio.create_task(one(f"g{i}")) for i in range(count)]
    while getattr(bus, "subscription_count", count) < count:  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.3)  # let the server act on the last SUBSCRIBEs
    return tasks


async def serve_receiver(bus: CompletionBus) -> web.AppRunner:
    app = web.Application()
    WebhookReceiver(secret=SECRET, bus=bus).add_routes(app, "/webhooks")
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    emit("listening", runner.addresses[0][1])
    return runner


async def child(role: str, count: int) -> None:
    """One of the deployments' processes; runs until its stdin closes."""
    bus: CompletionBus = (
        InMemoryBus() if role == "in-process" else RedisBus(os.environ["REDIS_URL"])
    )
    runner = await serve_receiver(bus) if role in ("receiver", "in-process") else None
    tasks = await park_waits(bus, count) if role in ("waiter", "in-process") else []
    emit("ready")
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # parent gone
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    if runner is not None:
        await runner.cleanup()
    await bus.aclose()


# -- the parent ---------------------------------------------------------------------------


@contextmanager
def redis_server() -> Iterator[str]:
    """A throwaway redis-server on a free loopback port (as in tests/support/redis_server.py)."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("this benchmark needs redis-server on PATH (apt-get install redis-server)")
    port = free_port()
    data_dir = tempfile.mkdtemp(prefix="bench-redis-")
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", data_dir],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.02)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(data_dir, ignore_errors=True)


class Child:
    """A child process of this script; ``done`` lines resolve the futures in ``pending``."""

    def __init__(self, proc: asyncio.subprocess.Process, pending: dict[str, asyncio.Future[float]]):
        self.proc = proc
        self.pending = pending
        self.port: int | None = None
        self.ready = asyncio.get_running_loop().create_future()
        self.reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        async for raw in self.proc.stdout:
            word, *rest = raw.decode().split()
            if word == "done":
                future = self.pending.pop(rest[0], None)
                if future is not None and not future.done():
                    future.set_result(float(rest[1]))
            elif word == "listening":
                self.port = int(rest[0])
            elif word == "ready" and not self.ready.done():
                self.ready.set_result(None)
        if not self.ready.done():
            self.ready.set_exception(RuntimeError("a benchmark process exited early"))


@asynccontextmanager
async def children(
    roles: list[str], count: int, redis_url: str, pending: dict[str, asyncio.Future[float]]
) -> AsyncIterator[dict[str, Child]]:
    started: dict[str, Child] = {}
    env = dict(os.environ, PYTHONPATH=str(ROOT), REDIS_URL=redis_url)
    try:
        for role in roles:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "benchmarks.redis_bus",
                f"--role={role}",
                f"--count={count}",
                cwd=ROOT,
                env=env,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
            )
            started[role] = Child(proc, pending)
        for one in started.values():
            await asyncio.wait_for(one.ready, 60)
        yield started
    finally:
        for one in started.values():
            if one.proc.stdin is not None:
                one.proc.stdin.close()  # asks the child to stop
        for one in started.values():
            try:
                await asyncio.wait_for(one.proc.wait(), 10)
            except asyncio.TimeoutError:
                one.proc.kill()
                await one.proc.wait()
            await one.reader


async def sample(
    session: aiohttp.ClientSession,
    url: str,
    gid: str,
    pending: dict[str, asyncio.Future[float]],
) -> float:
    """POST the delivery finishing ``gid``; seconds until its await returned."""
    done: asyncio.Future[float] = asyncio.get_running_loop().create_future()
    pending[gid] = done
    body = delivery(gid)
    sent = time.monotonic()
    async with session.post(url, data=body, headers=HEADERS) as resp:
        await resp.read()
        if resp.status != 200:
            raise RuntimeError(f"the receiver answered {resp.status}")
    return await asyncio.wait_for(done, 10) - sent


def summary(latencies: list[float]) -> dict[str, float]:
    return {
        "p50_ms": percentile(latencies, 50) * 1e3,
        "p99_ms": percentile(latencies, 99) * 1e3,
        "max_ms": max(latencies) * 1e3,
    }


async def main(samples: int, warmup: int) -> dict[str, Any]:
    count = samples + warmup
    pending: dict[str, asyncio.Future[float]] = {}
    with redis_server() as redis_url:
        roles = ["receiver", "waiter", "in-process"]
        async with (
            children(roles, count, redis_url, pending) as procs,
            aiohttp.ClientSession() as http,
        ):
            urls = {
                "redis": f"http://127.0.0.1:{procs['receiver'].port}/webhooks",
                "in-process": f"http://127.0.0.1:{procs['in-process'].port}/webhooks",
            }
            latencies: dict[str, list[float]] = {kind: [] for kind in urls}
            for start in range(0, count, BLOCK):
                for kind, url in urls.items():
                    for i in range(start, min(start + BLOCK, count)):
                        took = await sample(http, url, f"g{i}", pending)
                        if i >= warmup:
                            latencies[kind].append(took)
    redis, local = summary(latencies["redis"]), summary(latencies["in-process"])
    ratio_p50 = redis["p50_ms"] / local["p50_ms"]
    ratio_p99 = redis["p99_ms"] / local["p99_ms"]
    print(f"webhook POST -> await returns, {samples} samples each (one at a time):")
    print(
        f"  RedisBus, another process: p50 {redis['p50_ms']:.2f} ms  p99 {redis['p99_ms']:.2f} ms"
    )
    print(
        f"  InMemoryBus, same process: p50 {local['p50_ms']:.2f} ms  p99 {local['p99_ms']:.2f} ms"
    )
    print(f"  ratio redis/in-process:    p50 x{ratio_p50:.2f}  p99 x{ratio_p99:.2f}")
    result = {
        "redis": redis,
        "in_process": local,
        "ratio_p50": ratio_p50,
        "ratio_p99": ratio_p99,
        "samples": samples,
        "warmup": warmup,
        "block": BLOCK,
    }
    write_results("redis_bus", result)
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=1000, help="per deployment")
    parser.add_argument("--warmup", type=int, default=100, help="per deployment, not counted")
    parser.add_argument("--role", choices=("receiver", "waiter", "in-process"), help="internal")
    parser.add_argument("--count", type=int, default=0, help="internal: waits to park")
    args = parser.parse_args()
    if args.role:
        asyncio.run(child(args.role, args.count))
    else:
        asyncio.run(main(args.samples, args.warmup))
