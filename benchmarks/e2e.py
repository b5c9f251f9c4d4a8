"""Webhook -> await across processes: the production topology against raw redis-py.

Both deployments run side by side on one redis-server this script starts, in rounds that
alternate which goes first. Each has:

- ``--receivers`` web replica processes. **sdk**: the aiohttp adapter of a
  ``WebhookReceiver`` with ``RedisBus(url)`` and ``RedisDedupe(url)``, as
  docs/deployment.md sets up production. **raw**: an aiohttp handler that checks the
  secret header, reads the body, finds the resource in it and ``PUBLISH``es the body;
- ``--workers`` worker processes, each parking ``--waits`` waits. **sdk**: real
  ``client.flow_generations.wait(id)`` calls on a ``WebhookWaiter(RedisBus(url))``.
  **raw**: per wait one ``SUBSCRIBE`` on a shared redis-py ``PubSub`` and a future that
  its listener resolves with the parsed body. Both make one GET of the resource after
  subscribing (what a wait must do so that a change before its subscription is not
  missed), answered by one small aiohttp server with the seed's FlowGeneration (its
  parameters and a vacancy text as context, status ``processing``);
- one raw-socket sender process (``benchmarks._raw_sender``'s requests and reading),
  posting signed deliveries, spread over the replicas.

Measured per round and deployment:

- **parking**: the time for every worker to have all its waits subscribed (confirmed by
  Redis) and their GET answered; the workers park at once, the figure is the slowest's;
- **throughput**: ``--burst`` deliveries for parked waits sent as fast as the replicas
  answer (``--concurrency`` keep-alive connections); webhooks per second from the first
  send until the last of their awaits returned;
- **p99 latency**: ``--paced`` deliveries at ``--rate`` per second; each from the moment
  its request is written until its await returns (``time.monotonic`` is the system-wide
  CLOCK_MONOTONIC, so stamps from two processes compare).

Each figure comes with the CPU time the deployment's processes used for it
(``/proc/<pid>/stat``): per parked wait (workers), and per delivery of the burst
(replicas, workers). On a shared machine those are steadier than the wall-clock figures.

The waits left over are then cancelled. Ratios are taken within a round (the two
deployments measured back to back), reported as min/median/max over the rounds, with
verdicts: throughput >= 0.8x the floor, p99 and parking time <= 2x the floor's.
Writes ``results/e2e.json``; exits 0 only when every verdict holds. With
``E2E_PROFILE=<dir>`` each replica and worker writes a cProfile dump there.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import selectors
import socket
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web

from benchmarks._common import median, percentile, verdict, write_results
from benchmarks._raw_sender import (
    _LENGTH,
    PARAMETERS,
    SECRET,
    STALL_SECONDS,
    VACANCY,
    delivery,
    request,
    server_cpu,
)
from benchmarks.redis_bus import redis_server

ROOT = Path(__file__).parent.parent
KINDS = ("sdk", "raw")
RAW_PREFIX = "raw:"


def emit(**fields: Any) -> None:
    sys.stdout.write(orjson.dumps(fields).decode() + "\n")
    sys.stdout.flush()


# -- the GET server -----------------------------------------------------------------------


def flow_generation(gid: str) -> bytes:
    """The seed's FlowGeneration, still processing, as ``GET /flow-generations/{id}``."""
    return orjson.dumps(
        {
            "data": {
                "type": "flowGenerations",
                "id": gid,
                "attributes": {
                    "flowType": "vacancy_application_flow",
                    "parameters": PARAMETERS,
                    "context": {"type": "text", "value": VACANCY},
                    "flowId": None,
                    "status": "processing",
                    "cost": 3,
                    "createdAt": "2026-06-07T05:28:09.714Z",
                    "updatedAt": "2026-06-07T05:28:10.714Z",
                },
                "links": {"self": f"https://api.recrubo.app/public/v2/flow-generations/{gid}"},
            }
        }
    )


async def get_server() -> None:
    async def one(request: web.Request) -> web.Response:
        return web.Response(
            body=flow_generation(request.match_info["id"]),
            content_type="application/vnd.api+json",
        )

    app = web.Application()
    app.router.add_get("/flow-generations/{id}", one)
    await serve_until_stdin_closes(app)


async def serve_until_stdin_closes(app: web.Application) -> None:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    emit(port=runner.addresses[0][1])
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await runner.cleanup()


# -- the receivers ------------------------------------------------------------------------


async def sdk_receiver(redis_url: str) -> None:
    from recrubo_async.bus import RedisBus
    from recrubo_async.webhooks import RedisDedupe, WebhookReceiver

    bus, dedupe = RedisBus(redis_url), RedisDedupe(redis_url)
    app = web.Application()
    WebhookReceiver(secret=SECRET, bus=bus, dedupe=dedupe).add_routes(app, "/webhooks")
    try:
        await serve_until_stdin_closes(app)
    finally:
        await bus.aclose()
        await dedupe.aclose()


async def raw_receiver(redis_url: str) -> None:
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(redis_url)
    secret = SECRET.encode()

    async def one(request: web.Request) -> web.Response:
        if request.headers.get("X-Recrubo-Webhook-Secret", "").encode() != secret:
            return web.Response(status=401)
        body = await request.read()
        resource = orjson.loads(body)["data"]["attributes"]["resource"]
        await client.publish(f"{RAW_PREFIX}{resource['type']}:{resource['id']}", body)
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/webhooks", one)
    try:
        await serve_until_stdin_closes(app)
    finally:
        await client.aclose()


# -- the workers --------------------------------------------------------------------------


class Worker:
    """Parks waits on command, stamps each finished one; the commands come on stdin."""

    def __init__(self) -> None:
        self.done: dict[str, float] = {}
        self.tasks: list[asyncio.Task[None]] = []
        self.looked = 0
        self.changed = asyncio.Event()

    async def park_one(self, rid: str) -> None:
        raise NotImplementedError

    async def subscribed(self) -> int:
        raise NotImplementedError

    async def one(self, rid: str) -> None:
        try:
            await self.park_one(rid)
        except Exception as exc:
            print(f"a wait failed: {exc!r}", file=sys.stderr)
            raise
        self.done[rid] = time.monotonic()
        self.changed.set()

    async def until(self, test: Any, limit: float) -> None:
        deadline = time.monotonic() + limit
        while not test():
            self.changed.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RuntimeError(
                    f"{type(self).__name__} timed out: {len(self.done)} done, {self.looked} looked"
                )
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.changed.wait(), min(remaining, 0.05))

    async def park(self, ids: list[str]) -> float:
        started = time.monotonic()
        self.looked = 0
        self.done = {}
        self.tasks = [asyncio.create_task(self.one(rid)) for rid in ids]
        count = len(ids)
        await self.until(lambda: self.looked >= count, 120)
        # Subscribed is not a state the SDK signals: polled, as the raw floor's is.
        while await self.subscribed() < count:  # noqa: ASYNC110
            await asyncio.sleep(0.001)
        return time.monotonic() - started

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=64 * 1024 * 1024)
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        emit(ready=True)
        while line := await reader.readline():
            command = orjson.loads(line)
            if command["do"] == "park":
                emit(parked=await self.park(command["ids"]))
            elif command["do"] == "settled":
                wanted = set(command["ids"])
                await self.until(lambda wanted=wanted: wanted <= self.done.keys(), 120)
                emit(done={rid: self.done[rid] for rid in wanted})
            elif command["do"] == "cancel":
                for task in self.tasks:
                    task.cancel()
                await asyncio.gather(*self.tasks, return_exceptions=True)
                self.tasks = []
                # Redis confirms UNSUBSCRIBEs on its own time: give it a few seconds.
                deadline = time.monotonic() + 10
                while await self.subscribed() and time.monotonic() < deadline:  # noqa: ASYNC110
                    await asyncio.sleep(0.01)
                emit(cancelled=await self.subscribed())
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.close()

    async def close(self) -> None:
        raise NotImplementedError


class SdkWorker(Worker):
    def __init__(self, redis_url: str, base_url: str) -> None:
        super().__init__()
        from recrubo_async import Client
        from recrubo_async.bus import RedisBus
        from recrubo_async.waiters import WebhookWaiter

        self.bus = RedisBus(redis_url)
        self.client = Client(api_key="bench-key", base_url=base_url, waiter=WebhookWaiter(self.bus))

    def _looked(self, status: str | None, state: object) -> None:
        if status == "processing":
            self.looked += 1
            if self.looked % 64 == 0:
                self.changed.set()

    async def park_one(self, rid: str) -> None:
        gen = await self.client.flow_generations.wait(rid, timeout=600, on_status=self._looked)
        assert gen.status == "finished", gen.status

    async def subscribed(self) -> int:
        return self.bus.subscription_count

    async def close(self) -> None:
        await self.client.aclose()
        await self.bus.aclose()


class RawWorker(Worker):
    """The floor: redis-py pub/sub, one SUBSCRIBE per wait, futures resolved by a listener."""

    def __init__(self, redis_url: str, base_url: str) -> None:
        super().__init__()
        import aiohttp
        import redis.asyncio as aioredis

        self.redis = aioredis.Redis.from_url(redis_url)
        self.pubsub: Any = self.redis.pubsub()
        self.http = aiohttp.ClientSession()
        self.base_url = base_url
        self.futures: dict[str, asyncio.Future[Any]] = {}
        self.confirmed = 0
        self.listener: asyncio.Task[None] | None = None

    async def listen(self) -> None:
        while True:
            if not self.pubsub.subscribed:
                await asyncio.sleep(0.001)
                continue
            message = await self.pubsub.get_message(timeout=1.0)
            if message is None:
                continue
            kind = message["type"]
            if kind == "message":
                future = self.futures.pop(message["channel"].decode(), None)
                if future is not None and not future.done():
                    future.set_result(orjson.loads(message["data"]))
            elif kind in ("subscribe", "unsubscribe"):
                # Redis counts the connection's channels in each confirmation.
                self.confirmed = message["data"]

    async def park(self, ids: list[str]) -> float:
        if self.listener is None:
            # One channel first: concurrent first SUBSCRIBEs would each take a connection.
            await self.pubsub.subscribe(f"{RAW_PREFIX}hello")
            self.listener = asyncio.create_task(self.listen())
            await self.until(lambda: self.confirmed == 1, 10)
        return await super().park(ids)

    async def park_one(self, rid: str) -> None:
        channel = f"{RAW_PREFIX}flowGenerations:{rid}"
        future = self.futures[channel] = asyncio.get_running_loop().create_future()
        try:
            await self.pubsub.subscribe(channel)
            async with self.http.get(
                f"{self.base_url}/flow-generations/{rid}",
                headers={"Authorization": "Bearer bench-key"},
            ) as resp:
                state = orjson.loads(await resp.read())["data"]
            self.looked += 1
            if self.looked % 64 == 0:
                self.changed.set()
            if state["attributes"]["status"] != "finished":
                state = (await future)["data"]["attributes"]["resource"]
            assert state["attributes"]["status"] == "finished"
        finally:
            self.futures.pop(channel, None)
            await self.pubsub.unsubscribe(channel)

    async def subscribed(self) -> int:
        return self.confirmed - 1  # not the first channel

    async def close(self) -> None:
        if self.listener is not None:
            self.listener.cancel()
            await asyncio.gather(self.listener, return_exceptions=True)
        await self.pubsub.aclose()
        await self.http.close()
        await self.redis.aclose()


async def worker(kind: str, redis_url: str, base_url: str) -> None:
    one: Worker = (
        SdkWorker(redis_url, base_url) if kind == "sdk" else RawWorker(redis_url, base_url)
    )
    await one.serve()


# -- the sender ---------------------------------------------------------------------------


def for_resource(index: int, rid: str) -> bytes:
    """``_raw_sender``'s delivery (a finished FlowGeneration), for resource ``rid``."""
    doc = orjson.loads(delivery(index))
    resource = doc["data"]["attributes"]["resource"]
    resource["id"] = rid
    resource["links"]["self"] = f"https://api.recrubo.app/public/v2/flow-generations/{rid}"
    return orjson.dumps(doc)


def send(ports: list[int], ids: list[str], concurrency: int, rate: float) -> dict[str, Any]:
    """Send one delivery per id (at ``rate`` per second, or as fast as answered when 0);
    when each request was written, on the monotonic clock. Every answer must be a 200."""
    requests = [request(ports[i % len(ports)], for_resource(i, rid)) for i, rid in enumerate(ids)]
    conns = []
    for i in range(concurrency):
        sock = socket.create_connection(("127.0.0.1", ports[i % len(ports)]))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conns.append(sock)
    selector = selectors.DefaultSelector()
    free = list(conns)
    buffers = {sock.fileno(): bytearray() for sock in conns}
    for sock in conns:
        selector.register(sock, selectors.EVENT_READ)
    sent_at: list[float] = []
    total, answered = len(requests), 0
    started = time.monotonic()
    try:
        while answered < total:
            now = time.monotonic()
            while (
                free and len(sent_at) < total and (not rate or now >= started + len(sent_at) / rate)
            ):
                conn = free.pop()
                sent_at.append(now)
                conn.sendall(requests[len(sent_at) - 1])
            due = started + len(sent_at) / rate if rate and len(sent_at) < total else None
            timeout = STALL_SECONDS if due is None or not free else max(0.0, due - time.monotonic())
            ready = selector.select(timeout)
            if not ready and (due is None or not free):
                raise RuntimeError(f"no answer within {STALL_SECONDS:.0f}s")
            for key, _ in ready:
                answered_on = key.fileobj
                assert isinstance(answered_on, socket.socket)
                chunk = answered_on.recv(65536)
                if not chunk:
                    raise RuntimeError("a receiver closed a keep-alive connection")
                buf = buffers[key.fd]
                buf += chunk
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    continue
                match = _LENGTH.search(buf, 0, end)
                length = int(match.group(1)) if match else 0
                if len(buf) < end + 4 + length:
                    continue
                if buf[9:12] != b"200":
                    raise RuntimeError(f"answer {bytes(buf[: end + 4 + length])!r}")
                del buf[:]
                answered += 1
                free.append(answered_on)
    finally:
        selector.close()
        for sock in conns:
            sock.close()
    return {"sent": sent_at, "cpu_us": time.process_time() / total * 1e6}


def sender(ports: list[int], concurrency: int, rate: float) -> None:
    ids = orjson.loads(sys.stdin.buffer.readline())["ids"]
    emit(**send(ports, ids, concurrency, rate))


# -- the parent ---------------------------------------------------------------------------


class Child:
    """A child process of this script, spoken to in JSON lines."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    async def ask(self, **command: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(orjson.dumps(command) + b"\n")
        await self.proc.stdin.drain()
        return await self.answer()

    async def answer(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = await self.proc.stdout.readline()
        if not line:
            raise RuntimeError("a benchmark process exited early")
        answer: dict[str, Any] = orjson.loads(line)
        return answer


async def spawn(*args: str, redis_url: str) -> Child:
    env = dict(os.environ, PYTHONPATH=str(ROOT), REDIS_URL=redis_url)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "benchmarks.e2e",
        *args,
        cwd=ROOT,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        limit=64 * 1024 * 1024,
    )
    return Child(proc)


async def stop(children: list[Child]) -> None:
    for child in children:
        if child.proc.stdin is not None:
            child.proc.stdin.close()
    for child in children:
        try:
            await asyncio.wait_for(child.proc.wait(), 15)
        except asyncio.TimeoutError:
            child.proc.kill()
            await child.proc.wait()


@asynccontextmanager
async def deployment(
    kind: str, receivers: int, workers: int, redis_url: str, base_url: str
) -> AsyncIterator[tuple[list[int], list[Child], list[Child]]]:
    started: list[Child] = []
    try:
        ports = []
        for _ in range(receivers):
            started.append(await spawn("--role=receiver", f"--kind={kind}", redis_url=redis_url))
            ports.append((await started[-1].answer())["port"])
        pool = []
        for _ in range(workers):
            one = await spawn(
                "--role=worker", f"--kind={kind}", f"--base-url={base_url}", redis_url=redis_url
            )
            started.append(one)
            pool.append(one)
            await one.answer()
        yield ports, pool, started[: len(ports)]
    finally:
        await stop(started)


async def run_sender(
    ports: list[int], ids: list[str], concurrency: int, rate: float, redis_url: str
) -> list[float]:
    child = await spawn(
        "--role=sender",
        f"--ports={','.join(map(str, ports))}",
        f"--concurrency={concurrency}",
        f"--rate={rate}",
        redis_url=redis_url,
    )
    try:
        answer = await child.ask(ids=ids)
    finally:
        await stop([child])
    sent: list[float] = answer["sent"]
    return sent


async def settled(pool: list[Child], by_worker: list[list[str]]) -> dict[str, float]:
    answers = await asyncio.gather(
        *(one.ask(do="settled", ids=ids) for one, ids in zip(pool, by_worker, strict=True))
    )
    done: dict[str, float] = {}
    for answer in answers:
        done.update(answer["done"])
    return done


async def one_round(
    kind: str,
    ports: list[int],
    pool: list[Child],
    receivers: list[Child],
    args: argparse.Namespace,
    redis_url: str,
) -> dict[str, float]:
    parked = [[str(uuid.uuid4()) for _ in range(args.waits)] for _ in pool]
    parking_cpu = cpu_of(pool)
    answers = await asyncio.gather(
        *(one.ask(do="park", ids=ids) for one, ids in zip(pool, parked, strict=True))
    )
    parking = max(answer["parked"] for answer in answers)
    parking_cpu_us = (cpu_of(pool) - parking_cpu) / (args.waits * len(pool)) * 1e6
    per = args.burst // len(pool)
    burst_by = [ids[:per] for ids in parked]
    burst = [ids[i] for i in range(per) for ids in burst_by]
    cpu_before = cpu_of(receivers), cpu_of(pool)
    sent = await run_sender(ports, burst, args.concurrency, 0, redis_url)
    done = await settled(pool, burst_by)
    receiver_us = (cpu_of(receivers) - cpu_before[0]) / len(burst) * 1e6
    worker_us = (cpu_of(pool) - cpu_before[1]) / len(burst) * 1e6
    throughput = len(burst) / (max(done.values()) - sent[0])
    paced_per = args.paced // len(pool)
    paced_by = [ids[per : per + paced_per] for ids in parked]
    paced = [ids[i] for i in range(paced_per) for ids in paced_by]
    sent = await run_sender(ports, paced, args.concurrency, args.rate, redis_url)
    done = await settled(pool, paced_by)
    latencies = [done[rid] - at for rid, at in zip(paced, sent, strict=True)]
    left = await asyncio.gather(*(one.ask(do="cancel") for one in pool))
    if any(answer["cancelled"] for answer in left):
        raise RuntimeError(f"{kind}: subscriptions left after cancelling the waits: {left}")
    return {
        "parking_s": parking,
        "throughput_per_s": throughput,
        "p50_ms": percentile(latencies, 50) * 1e3,
        "p99_ms": percentile(latencies, 99) * 1e3,
        "parking_cpu_us": parking_cpu_us,
        "receiver_cpu_us": receiver_us,
        "worker_cpu_us": worker_us,
    }


def cpu_of(children: list[Child]) -> float:
    """CPU seconds (user + system) the processes have used so far."""
    return sum(server_cpu(child.proc.pid) or 0.0 for child in children)


def spread(values: list[float]) -> dict[str, float]:
    return {"min": min(values), "median": median(values), "max": max(values)}


async def main(args: argparse.Namespace) -> int:
    with redis_server() as redis_url:
        getter = await spawn("--role=get-server", redis_url=redis_url)
        try:
            base_url = f"http://127.0.0.1:{(await getter.answer())['port']}"
            async with (
                deployment("sdk", args.receivers, args.workers, redis_url, base_url) as sdk,
                deployment("raw", args.receivers, args.workers, redis_url, base_url) as raw,
            ):
                setups = {"sdk": sdk, "raw": raw}
                rounds: list[dict[str, dict[str, float]]] = []
                for number in range(args.rounds):
                    order = KINDS if number % 2 == 0 else KINDS[::-1]
                    figures = {}
                    for kind in order:
                        figures[kind] = await one_round(kind, *setups[kind], args, redis_url)
                    rounds.append(figures)
                    print(
                        f"round {number + 1}: "
                        + "  ".join(
                            f"{kind}: {f['throughput_per_s']:.0f}/s p99 {f['p99_ms']:.1f} ms "
                            f"parking {f['parking_s']:.2f} s "
                            f"({f['parking_cpu_us']:.0f} us cpu/wait) "
                            f"cpu/webhook receivers "
                            f"{f['receiver_cpu_us']:.0f} us workers {f['worker_cpu_us']:.0f} us"
                            for kind, f in figures.items()
                        ),
                        flush=True,
                    )
        finally:
            await stop([getter])
    throughput = [r["sdk"]["throughput_per_s"] / r["raw"]["throughput_per_s"] for r in rounds]
    p99 = [r["sdk"]["p99_ms"] / r["raw"]["p99_ms"] for r in rounds]
    parking = [r["sdk"]["parking_s"] / r["raw"]["parking_s"] for r in rounds]
    ratios = {"throughput": spread(throughput), "p99": spread(p99), "parking": spread(parking)}
    verdicts = [
        verdict("e2e throughput vs raw redis-py", ratios["throughput"]["median"], target=0.8),
        verdict(
            "e2e p99 vs raw redis-py", ratios["p99"]["median"], target=2.0, higher_is_better=False
        ),
        verdict(
            f"parking {args.waits * args.workers} waits vs raw redis-py",
            ratios["parking"]["median"],
            target=2.0,
            higher_is_better=False,
        ),
    ]
    for name, spread_of in ratios.items():
        print(
            f"sdk/raw {name}: min {spread_of['min']:.2f}x  median {spread_of['median']:.2f}x  "
            f"max {spread_of['max']:.2f}x"
        )
    write_results(
        "e2e",
        {
            "args": vars(args),
            "rounds": rounds,
            "ratios": ratios,
            "verdicts": verdicts,
        },
    )
    return 0 if all(v["met"] for v in verdicts) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--receivers", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--waits", type=int, default=5000, help="parked per worker")
    parser.add_argument("--burst", type=int, default=4000, help="deliveries sent at full speed")
    parser.add_argument("--paced", type=int, default=1500, help="deliveries sent at --rate")
    parser.add_argument("--rate", type=float, default=300.0, help="paced deliveries per second")
    parser.add_argument("--concurrency", type=int, default=16, help="sender connections")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--role", choices=("receiver", "worker", "sender", "get-server"))
    parser.add_argument("--kind", choices=KINDS)
    parser.add_argument("--base-url")
    parser.add_argument("--ports")
    args = parser.parse_args()
    url = os.environ.get("REDIS_URL", "")
    profile_dir = os.environ.get("E2E_PROFILE")  # a directory: profile the children there
    if profile_dir and args.role in ("receiver", "worker"):
        import atexit
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
        atexit.register(
            profiler.dump_stats, f"{profile_dir}/{args.role}-{args.kind}-{os.getpid()}.prof"
        )
    if args.role == "get-server":
        asyncio.run(get_server())
    elif args.role == "receiver":
        asyncio.run(sdk_receiver(url) if args.kind == "sdk" else raw_receiver(url))
    elif args.role == "worker":
        asyncio.run(worker(args.kind, url, args.base_url))
    elif args.role == "sender":
        sender([int(p) for p in args.ports.split(",")], args.concurrency, args.rate)
    else:
        sys.exit(asyncio.run(main(args)))
