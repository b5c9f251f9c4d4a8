"""The SDK inside a real asyncio task queue (taskiq on Redis Streams), with a RedisLedger:
each task bills its flow generation once, however often the queue runs it.

A queue runs a task *at least once*: a message whose worker dies is delivered again, and a
failed task is retried. Each task here passes its own id as ``idempotency_key``, so:

1. ``vacancy-1`` runs, and its generation is created and awaited;
2. ``vacancy-1`` is delivered a second time (as after a worker crash): no POST, the same
   generation;
3. ``vacancy-2``'s POST reaches the API but its connection is reset before the answer
   (``JobMayExistError``); taskiq retries the task, and the retry finds the job the lost
   answer created by listing (``createdAt`` since the intent, same request) instead of
   billing a second one.

Run it with no arguments::

    python examples/task_queue.py

It uses ``REDIS_URL`` when set, else starts a throwaway ``redis-server`` (and stops with a
clear message when there is none). The API is the embedded emulator, or the real API when
``RECRUBO_API_KEY`` and ``RECRUBO_BASE_URL`` are set (then step 3's reset cannot be
injected, and the retry simply finds the recorded job). Needs ``taskiq`` and
``taskiq-redis`` (``pip install taskiq taskiq-redis``) and the SDK's ``redis`` extra.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from _target import api_target
from taskiq import AsyncTaskiqDecoratedTask, SimpleRetryMiddleware
from taskiq.api import run_receiver_task
from taskiq_redis import RedisAsyncResultBackend, RedisStreamBroker

from recrubo_async import Client
from recrubo_async.idempotency import LedgerPolicy, RedisLedger
from recrubo_async.models import (
    CandidateField,
    Requirement,
    TextContext,
    VacancyApplicationParameters,
)
from recrubo_async.testing import Emulator, Faults
from recrubo_async.waiters import PollingWaiter

#: A short lease and grace period so the retry in step 3 reconciles within seconds; in
#: production keep the defaults (a lease longer than any create call, see
#: docs/idempotency.md).
POLICY = LedgerPolicy(lease=1.0, grace_period=2.0, ttl=3600.0)


def start_redis() -> tuple[str, subprocess.Popen[bytes], str]:
    """A throwaway redis-server on a free loopback port: its URL, process and data dir."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit(
            "task_queue.py needs Redis: set REDIS_URL=redis://host:port/0, or install "
            "redis-server (e.g. apt-get install redis-server) so the example can start one."
        )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    data_dir = tempfile.mkdtemp(prefix="task-queue-redis-")
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", data_dir],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    return f"redis://127.0.0.1:{port}/0", proc, data_dir
        except OSError:
            time.sleep(0.05)
    proc.kill()
    proc.wait()
    raise SystemExit("redis-server did not start within 10 s")


@asynccontextmanager
async def redis_url() -> AsyncIterator[str]:
    """``REDIS_URL`` when set; else a redis-server of our own, stopped on the way out."""
    url = os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    url, proc, data_dir = start_redis()
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(data_dir, ignore_errors=True)


def parameters(title: str) -> VacancyApplicationParameters:
    return VacancyApplicationParameters(
        knockout_requirements=[Requirement("Has drivers license B", "drivers_license")],
        preferred_requirements=[],
        required_fields=[CandidateField("email", "email")],
        flow_name=title,
    )


async def main() -> None:
    async with redis_url() as url, api_target(mode="production", speed=20) as target:
        # A queue of this run's own, so a shared REDIS_URL holds no one else's messages.
        queue = f"recrubo-example-{uuid.uuid4().hex[:8]}"
        broker = (
            RedisStreamBroker(url, queue_name=queue, xread_block=200)
            .with_result_backend(RedisAsyncResultBackend(url, result_ex_time=600))
            .with_middlewares(SimpleRetryMiddleware(default_retry_count=3))
        )
        ledger = RedisLedger(url, policy=POLICY)
        client = Client(
            target.api_key,
            base_url=target.base_url,
            ledger=ledger,
            max_retries=0,  # step 3's POST is not resent by the client either
            waiter=PollingWaiter(interval=0.2, max_interval=1.0),
        )

        @broker.task(retry_on_error=True, max_retries=3)
        async def generate_flow(task_id: str, title: str, vacancy: str) -> str:
            """A task: one flow generation for one vacancy, keyed by the task's id."""
            try:
                gen = await client.flow_generations.create_and_wait(
                    flow_type="vacancy_application_flow",
                    parameters=parameters(title),
                    context=TextContext(value=vacancy),
                    idempotency_key=task_id,
                    timeout=120,
                )
            except Exception as exc:
                print(f"  [worker] {task_id}: {type(exc).__name__}; the queue will retry it")
                if target.emulator is not None:
                    target.emulator.faults = Faults()  # step 3's fault hits one POST only
                raise
            print(f"  [worker] {task_id}: generation {gen.id} {gen.status}")
            return gen.id

        await broker.startup()
        worker = asyncio.ensure_future(run_receiver_task(broker))
        try:
            async with client:
                await run(generate_flow, target.emulator)
        finally:
            worker.cancel()
            await asyncio.gather(worker, return_exceptions=True)
            await broker.shutdown()
            await ledger.aclose()


async def run(
    task: AsyncTaskiqDecoratedTask[[str, str, str], Coroutine[Any, Any, str]],
    emulator: Emulator | None,
) -> None:
    """The three steps; ``task.kiq`` enqueues a run, ``wait_result`` awaits its return."""
    print("1. vacancy-1 is enqueued and run")
    first = await task.kiq("vacancy-1", "Driver", "We are hiring a delivery driver.")
    one = (await first.wait_result(timeout=60)).return_value

    print("2. vacancy-1 is delivered again (at-least-once)")
    again = await task.kiq("vacancy-1", "Driver", "We are hiring a delivery driver.")
    same = (await again.wait_result(timeout=60)).return_value
    print(f"   same generation: {same == one}")

    print("3. vacancy-2's answer is lost after the API created the job")
    if emulator is not None:
        emulator.faults = Faults(reset_after=1.0, methods={"POST"})
    lost = await task.kiq("vacancy-2", "Cook", "We are hiring a cook.")
    two = (await lost.wait_result(timeout=60)).return_value
    print(f"   vacancy-2 -> generation {two}")

    if emulator is not None:
        created = emulator.stats.created["flowGenerations"]
        posts = emulator.stats.requests["POST /flow-generations"]
        print(f"Emulator: {created} generations created, {posts} POSTs, for 4 task runs")
        assert created == 2 and two != one


if __name__ == "__main__":
    # taskiq logs each failed run with its traceback; the task prints its own line, and
    # the retry is the point of step 3.
    logging.getLogger("taskiq.receiver").setLevel(logging.CRITICAL)
    asyncio.run(main())
