"""Thousands of ``HybridWaiter`` waits against slow and retried GETs: every wait whose
``finished`` event arrives well before its deadline returns; none times out.

``RECRUBO_LOAD_WAITS`` raises the number of waits (default 4,000: a few seconds, well under
20 s on a busy 2-core machine).
"""

from __future__ import annotations

import asyncio
import os
from datetime import datetime, timedelta, timezone

from recrubo_async import Client
from recrubo_async.bus import InMemoryBus
from recrubo_async.models import FlowGeneration
from recrubo_async.testing import Emulator, Faults
from recrubo_async.waiters import HybridWaiter

from ..support.deployment import CONTEXT, PARAMETERS, finished_event

WAITS = int(os.environ.get("RECRUBO_LOAD_WAITS", "4000"))

#: Every GET slow, a third of them answered 429 or 503 and retried: with aiohttp's 100
#: connections, the GETs of all waits take far longer than a wait's deadline.
SLOW_AND_RETRIED = Faults(
    latency=1.0,
    latency_jitter=0.5,
    rate_429=0.15,
    rate_503=0.15,
    retry_after=1,
    methods={"GET"},
    resources={"flow-generations"},
)


async def create_many(client: Client, n: int) -> list[FlowGeneration]:
    created: list[FlowGeneration] = []
    for start in range(0, n, 200):
        batch = await asyncio.gather(
            *(
                client.flow_generations.create(
                    flow_type="vacancy_application_flow", parameters=PARAMETERS, context=CONTEXT
                )
                for _ in range(min(200, n - start))
            )
        )
        created.extend(batch)
    return created


async def test_thousands_of_hybrid_waits_return_on_their_webhook_despite_slow_gets() -> None:
    bus = InMemoryBus()
    waiter = HybridWaiter(bus, safety_poll_interval=60)
    async with Emulator(mode="production", clock="manual", seed=13) as emu:
        org = await emu.create_organization("Load")
        async with Client(org.token, base_url=emu.base_url, waiter=waiter) as client:
            created = await create_many(client, WAITS)
            ids = [gen.id for gen in created]
            emu.faults = SLOW_AND_RETRIED
            # The deadline leaves the waits far more time than resolving them takes (a few
            # seconds; several times that on a busy 2-core machine), and half of what their
            # GETs need at the least (WAITS / 100 connections x >= 1 s each, retries aside).
            deadline = max(20.0, WAITS / 200)
            # Waits on the created models: this client has seen them, so bus states may
            # settle them before their own GET answers (waiters/test_waits_tenancy.py shows
            # a wait on a bare id waiting for its GET).
            tasks = [
                asyncio.create_task(client.flow_generations.wait(gen, timeout=deadline))
                for gen in created
            ]
            await asyncio.sleep(0.05)
            later = datetime.now(timezone.utc) + timedelta(minutes=5)
            for i, gid in enumerate(ids):
                await bus.publish(finished_event(gid, later))
                if i % 100 == 99:
                    await asyncio.sleep(0)  # as a receiver would: between deliveries
            results = await asyncio.gather(*tasks, return_exceptions=True)
    failures = [r for r in results if isinstance(r, BaseException)]
    assert failures == [], f"{len(failures)} of {WAITS} waits failed, e.g. {failures[0]!r}"
    assert {r.id for r in results if not isinstance(r, BaseException)} == set(ids)
    assert all(not isinstance(r, BaseException) and r.status == "finished" for r in results)
    assert bus.subscription_count == 0
    assert waiter.fallback.active_polls == 0
    assert emu.stats.faults  # the GETs really were slowed and refused
