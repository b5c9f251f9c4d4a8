"""A billed job is created once even when the workers asking for it are SIGKILLed and their
tasks retried: real processes end to end.

The deployment, each part its own OS process on loopback:

* ``redis-server``: the task queue (a list, at-least-once: ``BLMOVE`` into a per-worker
  processing list) and the ``RedisLedger``;
* the standalone emulator in production mode, injecting connection resets before and after
  handling requests, and answers stalled past the client's timeout (the job created anyway);
* ``WORKERS`` workers (``tests.support.crash_worker``), each running up to ``SLOTS`` tasks
  at once; each task is one ``create_and_wait(idempotency_key=task)``.

The supervisor (this test) SIGKILLs workers at random moments and starts replacements; a
reaper moves a dead worker's processing list back to the queue. Some kills are placed
deterministically by ``CRASH_PLAN`` (a worker kills itself at the n-th time any task
reaches a named phase: at the start, before the POST, in flight, after the answer, while
waiting).

At the end: the emulator holds exactly one generation per task, every task's recorded
result is that generation, and no task is lost. ``RECRUBO_CRASH_TASKS=1000`` runs the full
size; the default fits CI.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
from collections import Counter
from pathlib import Path

import redis.asyncio as aioredis

from recrubo_async import Client
from recrubo_async.models import FlowGeneration

from ..support.processes import Child, Processes
from ..support.redis_server import running_redis

TASKS = int(os.environ.get("RECRUBO_CRASH_TASKS", "60"))
WORKERS = 3
SLOTS = 8
#: Emulated seconds per real second: a generation (4 emulated seconds) takes 1 s.
SPEED = 4.0
#: Random kills by the supervisor: about one per task in ten, never more than this.
RANDOM_KILLS = max(4, TASKS // 10)
#: The phases a deterministic kill is placed at, and how many kills each gets.
PHASES = ("start", "before_post", "in_flight", "after_answer", "waiting")
KILLS_PER_PHASE = max(2, TASKS // 50)
#: Every task takes one generation (1 s) plus, after a crash, a lease (2 s) and a grace
#: period (3 s) before its retry may POST; 120 s of slack for a busy 2-core machine.
RUN_LIMIT = 120.0 + (TASKS / (WORKERS * SLOTS)) * 10.0


def _plan(rng: random.Random) -> dict[str, list[int]]:
    """At which occurrence of each phase (counted over all workers) a worker kills itself:
    ``KILLS_PER_PHASE`` each, spread over the first half of the run (every phase is
    reached about once per task, but ``after_answer`` and the POST phases not by a task
    whose job was found again by listing)."""
    return {phase: sorted(rng.sample(range(1, TASKS // 2), k=KILLS_PER_PHASE)) for phase in PHASES}


def _task_of(generation: FlowGeneration) -> str:
    """The task a generation was made for: its flow's name is ``crash <task>``."""
    parameters = generation.attribute("parameters")
    assert isinstance(parameters, dict)
    return str(parameters["flowName"]).removeprefix("crash ")


async def _emulator(procs: Processes) -> dict[str, str]:
    emulator = await procs.start(
        "emulator",
        "recrubo_emulator",
        "--port=0",
        "--mode=production",
        f"--speed={SPEED}",
        "--seed=17",
        "--resources=flow-generations",
        "--reset-before=0.04",
        "--reset-after=0.05",
        # Answers held back past the workers' 1 s per-call timeout, the job made anyway.
        "--stall-after=0.04",
        "--stall-seconds=1.5",
        "--latency-jitter=0.05",
        env={},
    )
    await emulator.first_line(lambda line: line.get("text", "").startswith("Serving"))
    printed = dict(
        line["text"].split("=", 1) for line in emulator.lines if "=" in line.get("text", "")
    )
    return {k: printed[k] for k in ("RECRUBO_API_KEY", "RECRUBO_BASE_URL")}


async def test_every_task_gets_exactly_one_generation_through_crashes_and_faults(
    tmp_path: Path,
) -> None:
    rng = random.Random(int(os.environ.get("RECRUBO_CRASH_SEED", "17")))
    tasks = [f"t{i:04d}" for i in range(TASKS)]
    plan = _plan(rng)
    crash_dir = tmp_path / "crashes"
    crash_dir.mkdir()
    with running_redis() as server:
        procs = Processes(tmp_path)
        redis = aioredis.Redis.from_url(server.url, decode_responses=True)
        try:
            api_env = await _emulator(procs)
            await redis.rpush("crash:tasks", *tasks)
            env = {
                **api_env,
                "REDIS_URL": server.url,
                "CRASH_DIR": str(crash_dir),
                "CRASH_PLAN": ",".join(
                    f"{phase}:{'/'.join(map(str, numbers))}" for phase, numbers in plan.items()
                ),
            }
            serial = 0
            live: dict[str, Child] = {}
            all_workers: list[Child] = []

            async def start_worker() -> None:
                nonlocal serial
                serial += 1
                name = f"w{serial}"
                child = await procs.start(
                    name,
                    "tests.support.crash_worker",
                    f"--name={name}",
                    f"--slots={SLOTS}",
                    env=env,
                )
                live[name] = child
                all_workers.append(child)

            async def reap(name: str) -> int:
                """Move a dead worker's tasks back to the queue (at-least-once)."""
                moved = 0
                while await redis.lmove(f"crash:processing:{name}", "crash:tasks", "RIGHT", "LEFT"):
                    moved += 1
                return moved

            for _ in range(WORKERS):
                await start_worker()

            random_kills = reaped = 0
            deadline = time.monotonic() + RUN_LIMIT
            # Each random kill when the finished tasks reach a random count in the first
            # four fifths of the run, not at a random time: on a fast machine the run
            # could end before the last kill was due, and the chaos would not happen.
            kill_at = sorted(rng.sample(range(1, TASKS * 4 // 5), k=RANDOM_KILLS))
            while (finished := await redis.hlen("crash:results")) < TASKS:
                assert time.monotonic() < deadline, (
                    f"only {await redis.hlen('crash:results')} of {TASKS} tasks done in "
                    f"{RUN_LIMIT:.0f} s; last retries: "
                    + repr([e for c in all_workers for e in c.events("retry")][-5:])
                    + "\nworker stderr:\n"
                    + "\n".join(c.stderr_tail(1500) for c in all_workers[-3:])
                )
                await asyncio.sleep(0.05)
                # The reaper: a worker that died (killed here or by its own plan).
                for name, child in list(live.items()):
                    if child.proc.returncode is not None:
                        del live[name]
                        reaped += await reap(name)
                        await start_worker()
                if random_kills < RANDOM_KILLS and finished >= kill_at[random_kills] and live:
                    victim = rng.choice(sorted(live))
                    live[victim].proc.send_signal(signal.SIGKILL)
                    random_kills += 1

            results = {str(k): str(v) for k, v in (await redis.hgetall("crash:results")).items()}
            assert await redis.llen("crash:tasks") == 0
            async with Client(
                api_env["RECRUBO_API_KEY"], base_url=api_env["RECRUBO_BASE_URL"]
            ) as client:
                generations = [g async for g in client.flow_generations.list(page_size=200)]
        finally:
            await procs.kill_all()
            await redis.aclose()

    by_task = Counter(_task_of(g) for g in generations)
    doubled = {task: n for task, n in by_task.items() if n > 1}
    assert not doubled, f"tasks billed more than once: {doubled}"
    assert sorted(by_task) == tasks, "a task has no generation"
    assert sorted(results) == tasks, "a task has no recorded result"
    of_task = {_task_of(g): g.id for g in generations}
    assert results == of_task, "a task's recorded result is not its generation"
    # The chaos really happened: kills at every planned phase, random kills, faults.
    phases_hit = Counter(line["phase"] for c in all_workers for line in c.events("suicide"))
    assert phases_hit == dict.fromkeys(PHASES, KILLS_PER_PHASE), phases_hit
    assert random_kills == RANDOM_KILLS
    assert reaped > 0
    retries = sum(len(c.events("retry")) for c in all_workers)
    assert retries > 0
    # A kill after the answer leaves a job nobody recorded: only listing can find it.
    adopted = sum(len(c.events("adopted")) for c in all_workers)
    assert adopted >= phases_hit["after_answer"]
    late = [e for c in all_workers for e in c.events("ledger_log") if e["level"] == "ERROR"]
    assert not late, late
    print(
        f"{TASKS} tasks, {serial} worker processes, {random_kills} random kills, "
        f"{sum(phases_hit.values())} planned kills {dict(phases_hit)}, {reaped} tasks reaped, "
        f"{retries} task retries, {adopted} jobs adopted by listing"
    )
