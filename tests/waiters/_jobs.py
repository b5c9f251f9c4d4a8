"""What the waiter tests share: the emulator's job counts, finishing jobs, the SDK's tasks."""

from __future__ import annotations

import asyncio

from recrubo_async.waiters import SyncWaiter

from ..support.deployment import Deployment, generate
from ..support.timing import eventually


def sdk_tasks() -> list[asyncio.Task[object]]:
    """Tasks running code of the SDK's waiters or buses (poll loops, merge pumps).

    Not the waits themselves: a task made from ``wait()`` runs ``run_wait``'s coroutine.
    """
    found = []
    for task in asyncio.all_tasks():
        code = getattr(task.get_coro(), "cr_code", None)
        filename = code.co_filename if code is not None else ""
        if code is not None and code.co_name == "run_wait":
            continue
        if "recrubo_async/waiters" in filename or "recrubo_async/bus" in filename:
            found.append(task)
    return found


JOB_TYPES = ("flowGenerations", "flowRuns", "vacancyAnalyses")


def jobs_created(env: Deployment) -> int:
    return sum(env.emu.stats.created[t] for t in JOB_TYPES)


async def finish_jobs(env: Deployment, baseline: int, seconds: float = 30) -> None:
    """Once the wait's POST is in, move the manual clock past every job's end."""
    await eventually(lambda: jobs_created(env) > baseline)
    await env.emu.advance(seconds)


async def flow_and_thread(env: Deployment) -> tuple[str, str]:
    gen = await generate(env, SyncWaiter())
    assert gen.flow_id is not None
    thread = await env.client.message_threads.create(channel="whatsapp", identifier="31612345678")
    return gen.flow_id, thread.id
