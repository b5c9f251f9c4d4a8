"""create_and_wait under faults: a create whose answer was lost is not sent again, one
that provably failed raises its error, and a thousand waits under webhook and API faults
all finish with nothing created twice."""

from __future__ import annotations

import asyncio

import pytest

from recrubo_async.bus import InMemoryBus
from recrubo_async.errors import JobMayExistError
from recrubo_async.testing import Faults, retry_sleeps_disabled
from recrubo_async.waiters import HybridWaiter, PollingWaiter

from ..support.deployment import FAST_POLL, deployment, generate


async def test_an_ambiguous_create_failure_is_not_resent() -> None:
    faults = Faults(reset_after=1.0, methods={"POST"}, resources={"flow-generations"})
    async with deployment(clock="manual", faults=faults) as env:
        with pytest.raises(JobMayExistError) as info:
            await generate(env, PollingWaiter(**FAST_POLL))
        assert env.emu.stats.created["flowGenerations"] == 1
        assert env.emu.stats.requests["POST /flow-generations"] == 1
        message = str(info.value)
        assert "NOT sent again" in message
        assert "list(filter=" in message
        assert info.value.resource_type == "flowGenerations"


async def test_a_create_that_provably_failed_raises_the_api_error() -> None:
    async with deployment(clock="manual") as env:
        from recrubo_async import ValidationError

        with pytest.raises(ValidationError):
            await env.client.flow_generations.create_and_wait(
                flow_type="vacancy_application_flow", parameters={}
            )


async def test_a_thousand_waits_under_faults_all_finish_and_nothing_is_created_twice() -> None:
    faults = Faults(
        webhook_drop=0.3,
        webhook_duplicate=0.2,
        webhook_reorder=0.2,
        webhook_delay=0.5,
        rate_429=0.05,
        rate_503=0.05,
        methods={"GET"},
    )
    async with deployment(speed=20, seed=7, faults=faults) as env:
        waiter = HybridWaiter(env.bus, safety_poll_interval=0.5, max_interval=1.0)
        with retry_sleeps_disabled():
            results = await asyncio.wait_for(
                asyncio.gather(*(generate(env, waiter) for _ in range(1000))), 120
            )
        assert len({gen.id for gen in results}) == 1000
        for gen in results:
            assert gen.status == "finished"
            assert gen.flow_id is not None
        assert env.emu.stats.created["flowGenerations"] == 1000
        assert env.emu.stats.requests["POST /flow-generations"] == 1000
        assert env.emu.stats.faults  # the faults really happened
        assert isinstance(env.bus, InMemoryBus)
        assert env.bus.subscription_count == 0
        assert waiter.fallback.active_polls == 0
