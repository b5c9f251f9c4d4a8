"""Review of the idempotency ledger (issue 17): races the first tests did not cover, each
against the real emulator over loopback, once per ledger kind (memory, SQLite, Redis).

No timing assertions: a concurrent step waits for what the emulator saw (its own stats).
"""

from __future__ import annotations

import asyncio

import pytest

from recrubo_async.idempotency import LedgerPolicy
from recrubo_async.idempotency._fingerprint import scope_of
from recrubo_async.testing import Emulator

from ..support.deployment import CONTEXT, PARAMETERS
from ..support.timing import eventually
from .conftest import LedgerFactory
from .test_idem_create import (
    PARAMETERS_WIRE,
    POSTS,
    _client,
    _fingerprint_of,
    _generate,
    _intent,
    emu,
)

__all__ = ["emu"]

LISTS = "GET /flow-generations"
#: Roomy times: the wait for the rest of a grace period (about 2 s here) leaves a loaded
#: machine plenty of time for the concurrent step, which only waits for a list to be seen.
ROOMY = LedgerPolicy(lease=1.0, grace_period=3.0, ttl=60.0, clock_skew=5.0)


async def _until_listed(emu: Emulator, count: int) -> None:
    await eventually(lambda: emu.stats.requests[LISTS] >= count, what="the taker's list")


async def test_a_taker_that_died_mid_post_gets_a_grace_period_of_its_own(
    emu: Emulator, make_ledger: LedgerFactory
) -> None:
    # The first owner died long ago; a second caller took the record over after the grace
    # period, sent its POST at once and died while it was in flight (its lease has just
    # ended). Its job is not listed yet: a third caller must wait out a grace period from
    # that POST, not from the first intent, and then adopt the job instead of posting.
    ledger = make_ledger(ROOMY)
    async with await _client(emu, ledger=ledger) as client:
        scope = scope_of(client._core.scope)
        await ledger.claim(
            scope, "task-1", _intent(_fingerprint_of(client), age=100, lease_left=-0.05)
        )
        lists_before = emu.stats.requests[LISTS]
        call = asyncio.ensure_future(_generate(client, "task-1"))
        await _until_listed(emu, lists_before + 1)
        # The dead taker's POST lands now (it was in flight during the first list).
        late = await client.flow_generations.create(
            flow_type="vacancy_application_flow", parameters=PARAMETERS, context=CONTEXT
        )
        adopted = await call
        assert adopted.id == late.id
        assert emu.stats.requests[POSTS] == 1


async def test_a_job_recorded_during_the_grace_wait_is_returned_not_posted_again(
    emu: Emulator, make_ledger: LedgerFactory
) -> None:
    # A dead-looking owner (lease ended, still working) records its job while a taker waits
    # out the grace period; the job is not in the taker's list (here: another request's
    # job stands for one the list does not show yet). The taker must see the record and
    # never POST.
    ledger = make_ledger(ROOMY)
    async with await _client(emu, ledger=ledger) as client:
        scope = scope_of(client._core.scope)
        await ledger.claim(
            scope, "task-1", _intent(_fingerprint_of(client), age=1.05, lease_left=-0.05)
        )
        recorded = await client.flow_generations.create(
            flow_type="vacancy_application_flow", parameters=PARAMETERS_WIRE, context=CONTEXT
        )
        lists_before = emu.stats.requests[LISTS]
        call = asyncio.ensure_future(_generate(client, "task-1"))
        await _until_listed(emu, lists_before + 1)
        # The late owner's ``complete``.
        assert await ledger.complete(scope, "task-1", recorded.id) == recorded.id
        got = await call
        assert got.id == recorded.id
        assert emu.stats.requests[POSTS] == 1


async def test_a_late_complete_after_expiry_keeps_the_adopted_job(
    emu: Emulator, make_ledger: LedgerFactory
) -> None:
    # The owner's lease ended while it still worked; a taker adopted its job. The owner's
    # late ``complete`` answers with the adopted id, and nothing more is sent.
    ledger = make_ledger(ROOMY)
    async with await _client(emu, ledger=ledger) as client:
        scope = scope_of(client._core.scope)
        await ledger.claim(
            scope, "task-1", _intent(_fingerprint_of(client), age=1.05, lease_left=-0.05)
        )
        lost = await client.flow_generations.create(
            flow_type="vacancy_application_flow", parameters=PARAMETERS, context=CONTEXT
        )
        adopted = await _generate(client, "task-1")
        assert adopted.id == lost.id
        assert await ledger.complete(scope, "task-1", "someone-elses") == lost.id
        assert (await _generate(client, "task-1")).id == lost.id
        assert emu.stats.requests[POSTS] == 1


def test_a_policy_without_a_lease_is_refused() -> None:
    # lease=0 (with grace_period=0) made every live owner look dead: a concurrent call with
    # the same key would take its record over and POST a second time at once.
    with pytest.raises(ValueError, match="lease must be more than 0"):
        LedgerPolicy(lease=0, grace_period=0, ttl=10)
