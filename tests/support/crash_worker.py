"""A queue worker for the crash test (tests/idempotency/test_idem_crash.py): it takes tasks
from a Redis list with at-least-once semantics and runs each as one idempotent
``create_and_wait`` of a flow generation.

Run from the repository root (keys come from the environment, never argv)::

    RECRUBO_API_KEY=... RECRUBO_BASE_URL=... REDIS_URL=... \\
        python -m tests.support.crash_worker --name w1 --slots 8

The queue: ``BLMOVE crash:tasks -> crash:processing:<name>`` takes a task (a task id); a
finished task's generation id is written to the hash ``crash:results`` and the task removed
from the processing list; a task that raised is moved back to ``crash:tasks``. When the
worker dies, its processing list still holds its tasks: the supervisor's reaper moves them
back (the worker never does, it is dead).

``CRASH_PLAN`` (environment) places deterministic kills: ``after_answer:4/17,start:9``
makes a worker SIGKILL itself the 4th and the 17th time any worker's task reaches
``after_answer``, and the 9th time one reaches ``start`` (the counts are shared by every
worker through lock-protected files in ``CRASH_DIR``), so each phase gets exactly its
planned kills whatever the faults and random kills do meanwhile:

* ``start``: task taken, nothing recorded or sent;
* ``before_post``: intent recorded, POST not sent (the ``on_request`` hook of the POST);
* ``in_flight``: 20 ms after the POST's ``on_request``, usually with the request sent and
  the answer not yet back;
* ``after_answer``: the POST answered, the job id not yet recorded (``on_response``);
* ``waiting``: the job recorded, its wait begun (first ``on_status``).

The SDK's idempotency log lines come out as events too: ``adopted`` when a retry found a
dead owner's job by listing.

Each phase a task reaches is printed as a JSON line (``{"event": "phase", ...}``), so the
supervisor can also kill at random moments and tell which phases were hit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import fcntl
import logging
import os
import signal
import sys
from typing import Any

import orjson
import redis.asyncio as aioredis

from recrubo_async import Client, Hooks, RequestEvent, ResponseEvent
from recrubo_async.idempotency import LedgerPolicy
from recrubo_async.idempotency._redis import RedisLedger
from recrubo_async.models import (
    CandidateField,
    Requirement,
    Resource,
    TextContext,
    VacancyApplicationParameters,
)
from recrubo_async.waiters import PollingWaiter

TASKS = "crash:tasks"
RESULTS = "crash:results"

_task: contextvars.ContextVar[str | None] = contextvars.ContextVar("task", default=None)


def emit(**fields: Any) -> None:
    sys.stdout.write(orjson.dumps(fields).decode() + "\n")
    sys.stdout.flush()


def parameters_for(task: str) -> VacancyApplicationParameters:
    """Each task's own request: its id is the flow's name, so jobs map back to tasks."""
    return VacancyApplicationParameters(
        knockout_requirements=[Requirement("Has drivers license B", "drivers_license")],
        preferred_requirements=[],
        required_fields=[CandidateField("email", "email")],
        flow_name=f"crash {task}",
    )


class Worker:
    def __init__(self, name: str, plan: dict[str, frozenset[int]]) -> None:
        self.name = name
        self.processing = f"crash:processing:{name}"
        self.plan = plan

    def phase(self, phase: str) -> None:
        task = _task.get()
        if task is None:
            return
        emit(event="phase", task=task, phase=phase, worker=self.name)
        if phase in self.plan and self._occurrence(phase) in self.plan[phase]:
            emit(event="suicide", task=task, phase=phase, worker=self.name)
            os.kill(os.getpid(), signal.SIGKILL)

    @staticmethod
    def _occurrence(phase: str) -> int:
        """How many times any worker has reached ``phase``, this time included: one byte
        appended under an exclusive lock to a file shared by every worker process, and the
        file's size read back. A worker killed at any moment (random kills land anywhere)
        leaves the count whole: a rewritten counter, truncated first, could be reset by a
        kill between the truncate and the write, and planned kills then happened twice."""
        with open(os.path.join(os.environ["CRASH_DIR"], phase), "ab") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            f.write(b".")
            f.flush()
            return os.fstat(f.fileno()).st_size

    async def on_request(self, event: RequestEvent) -> None:
        if event.method == "POST":
            self.phase("before_post")
            if "in_flight" in self.plan:
                loop = asyncio.get_running_loop()
                loop.call_later(0.02, self.phase, "in_flight")

    async def on_response(self, event: ResponseEvent) -> None:
        if event.method == "POST":
            self.phase("after_answer")

    async def run_task(self, client: Client, redis: aioredis.Redis, task: str) -> None:
        _task.set(task)
        self.phase("start")
        waiting = False

        def on_status(_: str | None, __: Resource) -> None:
            nonlocal waiting
            if not waiting:
                waiting = True
                self.phase("waiting")

        try:
            gen = await client.flow_generations.create_and_wait(
                flow_type="vacancy_application_flow",
                parameters=parameters_for(task),
                context=TextContext(value=f"Vacancy of task {task}"),
                idempotency_key=task,
                on_status=on_status,
                timeout=60,
            )
        except Exception as exc:  # any failure: the task goes back to the queue
            emit(event="retry", task=task, error=f"{type(exc).__name__}: {exc}"[:300])
            await asyncio.sleep(0.2)  # as a queue's retry delay would
            async with redis.pipeline(transaction=True) as pipe:
                pipe.lrem(self.processing, 1, task)
                pipe.rpush(TASKS, task)
                await pipe.execute()
            return
        async with redis.pipeline(transaction=True) as pipe:
            pipe.hset(RESULTS, task, gen.id)
            pipe.lrem(self.processing, 1, task)
            await pipe.execute()
        emit(event="done", task=task, id=gen.id, worker=self.name)

    async def main(self, slots: int, policy: LedgerPolicy) -> None:
        redis = aioredis.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)
        ledger = RedisLedger(os.environ["REDIS_URL"], policy=policy)
        hooks = Hooks(on_request=self.on_request, on_response=self.on_response)
        client = Client(
            timeout=1.0,
            max_retries=2,
            hooks=hooks,
            ledger=ledger,
            waiter=PollingWaiter(interval=0.2, max_interval=0.5),
        )
        free = asyncio.Semaphore(slots)
        running: set[asyncio.Task[None]] = set()
        emit(event="ready", worker=self.name, pid=os.getpid())
        async with client:
            while True:
                await free.acquire()
                taken = await redis.blmove(TASKS, self.processing, 1, "LEFT", "RIGHT")
                if taken is None:
                    free.release()
                    continue
                task = str(taken)

                async def one(task: str = task) -> None:
                    try:
                        await self.run_task(client, redis, task)
                    finally:
                        free.release()

                job = asyncio.ensure_future(one())
                running.add(job)
                job.add_done_callback(running.discard)


class _LedgerLog(logging.Handler):
    """The SDK's idempotency log lines (an adoption, a late job) as JSON events."""

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        kind = "adopted" if " adopted " in message else "ledger_log"
        emit(event=kind, level=record.levelname, message=message)


def main() -> None:
    logger = logging.getLogger("recrubo_async.idempotency")
    logger.addHandler(_LedgerLog())
    logger.setLevel(logging.INFO)
    parser = argparse.ArgumentParser()
    parser.add_argument("--name", required=True)
    parser.add_argument("--slots", type=int, default=8)
    # The lease outlasts a create call (1 s timeout; the emulator's faults are never
    # retried for a POST); the grace period covers a stalled answer (1.5 s).
    parser.add_argument("--lease", type=float, default=2.0)
    parser.add_argument("--grace", type=float, default=3.0)
    args = parser.parse_args()
    plan = {
        phase: frozenset(int(n) for n in numbers.split("/"))
        for phase, _, numbers in (
            item.partition(":") for item in os.environ.get("CRASH_PLAN", "").split(",") if item
        )
    }
    policy = LedgerPolicy(lease=args.lease, grace_period=args.grace, ttl=3600.0, clock_skew=10.0)
    asyncio.run(Worker(args.name, plan).main(args.slots, policy))


if __name__ == "__main__":
    main()
