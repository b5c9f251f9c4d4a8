"""``create(..., idempotency_key=...)`` and ``create_and_wait``: the semantics of issue 17,
each against the real emulator over loopback, once per ledger kind (memory, SQLite, Redis).

The POSTs the emulator received are counted from its own stats, so "sends no POST" is
what the server saw, not what the SDK says about itself.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from recrubo_async import (
    Client,
    IdempotencyConflictError,
    IdempotencyKeyReusedError,
    JobMayExistError,
    ValidationError,
)
from recrubo_async.idempotency import LedgerPolicy, LedgerRecord
from recrubo_async.idempotency._fingerprint import request_fingerprint, scope_of
from recrubo_async.models import FlowGeneration
from recrubo_async.testing import Emulator, Faults
from recrubo_async.waiters import PollingWaiter

from ..support.deployment import CONTEXT, FAST_POLL, PARAMETERS
from .conftest import FAST, LedgerFactory

POSTS = "POST /flow-generations"
#: Emulated seconds per real second: a generation (4 emulated seconds) ends in 0.2 s.
SPEED = 20.0


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    async with Emulator(mode="sandbox", speed=SPEED) as e:
        yield e


async def _client(emu: Emulator, name: str = "Acme", **options: Any) -> Client:
    org = await emu.create_organization(name)
    return Client(org.token, base_url=emu.base_url, waiter=PollingWaiter(**FAST_POLL), **options)


def _generate(client: Client, key: str, **kwargs: Any) -> Any:
    return client.flow_generations.create(
        flow_type="vacancy_application_flow",
        parameters=PARAMETERS,
        context=CONTEXT,
        idempotency_key=key,
        **kwargs,
    )


def _intent(
    fingerprint: str, *, age: float, lease_left: float, owner: str = "dead"
) -> LedgerRecord:
    now = time.time()
    return LedgerRecord(
        fingerprint=fingerprint, owner=owner, intent_at=now - age, lease_until=now + lease_left
    )


def _fingerprint_of(client: Client) -> str:
    """The request fingerprint ``_generate`` produces, as the SDK computes it."""
    resource = client.flow_generations
    body = resource._create_body(
        resource._attributes("vacancy_application_flow", PARAMETERS, CONTEXT)
    )
    import orjson

    scope = scope_of(client._core.scope)
    return request_fingerprint(scope, "flowGenerations", orjson.loads(body))


async def test_a_repeated_key_sends_one_post_and_returns_the_recorded_job(
    emu: Emulator, make_ledger: LedgerFactory
) -> None:
    async with await _client(emu, ledger=make_ledger(FAST)) as client:
        first = await _generate(client, "task-1")
        again = await _generate(client, "task-1")
        assert again.id == first.id
        assert emu.stats.requests[POSTS] == 1
        other = await _generate(client, "task-2")
        assert other.id != first.id
        assert emu.stats.requests[POSTS] == 2


async def test_create_and_wait_with_a_used_key_resumes_the_wait_on_the_recorded_job(
    emu: Emulator, make_ledger: LedgerFactory
) -> None:
    async with await _client(emu, ledger=make_ledger(FAST)) as client:
        queued = await _generate(client, "task-1")
        assert queued.status != "finished"
        done = await client.flow_generations.create_and_wait(
            flow_type="vacancy_application_flow",
            parameters=PARAMETERS,
            context=CONTEXT,
            idempotency_key="task-1",
            timeout=30,
        )
        assert (done.id, done.status) == (queued.id, "finished")
        assert done.flow_id is not None
        assert emu.stats.requests[POSTS] == 1


async def test_the_same_key_with_another_request_is_refused_before_sending(
    emu: Emulator, make_ledger: LedgerFactory
) -> None:
    async with await _client(emu, ledger=make_ledger(FAST)) as client:
        await _generate(client, "task-1")
        with pytest.raises(IdempotencyKeyReusedError, match="different flowGenerations") as info:
            await client.flow_generations.create(
                flow_type="vacancy_application_flow",
                parameters=PARAMETERS_WIRE,
                context=CONTEXT,
                idempotency_key="task-1",
            )
        assert info.value.key == "task-1"
        assert emu.stats.requests[POSTS] == 1


#: Another generation request, as wire JSON.
PARAMETERS_WIRE: dict[str, Any] = {
    "knockoutRequirements": [{"value": "Has a bike", "sessionField": "bike"}],
    "requiredFields": [{"value": "email", "sessionField": "email"}],
    "flowName": "Courier",
}


async def test_a_live_owner_is_waited_for_and_its_job_returned_without_a_post(
    emu: Emulator, make_ledger: LedgerFactory
) -> None:
    ledger = make_ledger(LedgerPolicy(lease=5.0, grace_period=10.0, ttl=60.0))
    async with await _client(emu, ledger=ledger) as client:
        owner_job = await client.flow_generations.create(
            flow_type="vacancy_application_flow", parameters=PARAMETERS, context=CONTEXT
        )
        scope = scope_of(client._core.scope)
        await ledger.claim(scope, "task-1", _intent(_fingerprint_of(client), age=0, lease_left=5))

        async def owner_finishes() -> None:
            await asyncio.sleep(0.3)
            await ledger.complete(scope, "task-1", owner_job.id)

        finishing = asyncio.ensure_future(owner_finishes())
        got = await _generate(client, "task-1")
        await finishing
        assert got.id == owner_job.id
        assert emu.stats.requests[POSTS] == 1  # the owner's own


async def test_a_live_owner_past_owner_wait_raises_a_conflict_and_sends_nothing(
    emu: Emulator, make_ledger: LedgerFactory
) -> None:
    ledger = make_ledger(LedgerPolicy(lease=30.0, grace_period=60.0, ttl=120.0, owner_wait=0.2))
    async with await _client(emu, ledger=ledger) as client:
        scope = scope_of(client._core.scope)
        await ledger.claim(scope, "task-1", _intent(_fingerprint_of(client), age=0, lease_left=30))
        with pytest.raises(IdempotencyConflictError, match="another caller is creating") as info:
            await _generate(client, "task-1")
        assert info.value.reason == "in_progress"
        assert emu.stats.requests[POSTS] == 0


async def test_a_dead_owners_job_is_found_by_listing_and_adopted(
    emu: Emulator, make_ledger: LedgerFactory
) -> None:
    ledger = make_ledger(FAST)
    async with await _client(emu, ledger=ledger) as client:
        scope = scope_of(client._core.scope)
        # The dead owner recorded its intent, sent its POST, and died before recording.
        await ledger.claim(scope, "task-1", _intent(_fingerprint_of(client), age=1, lease_left=-1))
        lost = await client.flow_generations.create(
            flow_type="vacancy_application_flow", parameters=PARAMETERS, context=CONTEXT
        )
        # Another request in the same window must not be taken for it.
        await client.flow_generations.create(
            flow_type="vacancy_application_flow", parameters=PARAMETERS_WIRE, context=CONTEXT
        )
        adopted = await _generate(client, "task-1")
        assert adopted.id == lost.id
        assert emu.stats.requests[POSTS] == 2
        assert (await _generate(client, "task-1")).id == lost.id  # now recorded
        assert emu.stats.requests[POSTS] == 2


async def test_several_matching_jobs_raise_an_error_listing_them(
    emu: Emulator, make_ledger: LedgerFactory
) -> None:
    ledger = make_ledger(FAST)
    async with await _client(emu, ledger=ledger) as client:
        scope = scope_of(client._core.scope)
        await ledger.claim(scope, "task-1", _intent(_fingerprint_of(client), age=1, lease_left=-1))
        twins = [
            await client.flow_generations.create(
                flow_type="vacancy_application_flow", parameters=PARAMETERS, context=CONTEXT
            )
            for _ in range(2)
        ]
        with pytest.raises(IdempotencyConflictError, match="2 jobs created since") as info:
            await _generate(client, "task-1")
        assert info.value.reason == "ambiguous"
        assert info.value.job_ids == [job.id for job in twins]
        assert emu.stats.requests[POSTS] == 2


async def test_no_match_posts_only_once_the_grace_period_has_passed(
    emu: Emulator, make_ledger: LedgerFactory
) -> None:
    ledger = make_ledger(FAST)
    async with await _client(emu, ledger=ledger) as client:
        scope = scope_of(client._core.scope)
        # An intent whose lease just ended but whose grace period (0.6 s) has not.
        await ledger.claim(
            scope, "task-1", _intent(_fingerprint_of(client), age=0.3, lease_left=-0.01)
        )
        lists_before = emu.stats.requests["GET /flow-generations"]
        started = time.monotonic()
        created = await _generate(client, "task-1")
        waited = time.monotonic() - started
        assert waited >= 0.25  # it waited for the rest of the grace period
        assert emu.stats.requests[POSTS] == 1
        # It listed before waiting and once more after: two looks, then the POST.
        assert emu.stats.requests["GET /flow-generations"] - lists_before == 2
        assert (await _generate(client, "task-1")).id == created.id


async def test_records_expire_after_the_ttl(emu: Emulator, make_ledger: LedgerFactory) -> None:
    ledger = make_ledger(LedgerPolicy(lease=0.2, grace_period=0.3, ttl=1.0, clock_skew=5.0))
    async with await _client(emu, ledger=ledger) as client:
        first = await _generate(client, "task-1")
        await asyncio.sleep(1.2)
        second = await _generate(client, "task-1")
        assert second.id != first.id
        assert emu.stats.requests[POSTS] == 2


async def test_two_organizations_never_share_a_record(
    emu: Emulator, make_ledger: LedgerFactory
) -> None:
    ledger = make_ledger(FAST)
    async with (
        await _client(emu, "A", ledger=ledger) as a,
        await _client(emu, "B", ledger=ledger) as b,
    ):
        job_a = await _generate(a, "task-1")
        job_b = await _generate(b, "task-1")
        assert job_a.id != job_b.id
        assert emu.stats.requests[POSTS] == 2


async def test_one_key_on_one_api_spelt_two_ways_sends_one_post(
    emu: Emulator, make_ledger: LedgerFactory
) -> None:
    """Workers whose base_url differs only in spelling (host case, an explicit default
    port, a trailing slash) share the organization scope, so the key still holds."""
    ledger = make_ledger(FAST)
    org = await emu.create_organization("Acme")
    plain = emu.base_url.replace("127.0.0.1", "localhost")
    shouted = plain.replace("http://localhost", "HTTP://LOCALHOST") + "/"
    jobs = []
    for base_url in (plain, shouted):
        async with Client(org.token, base_url=base_url, ledger=ledger) as client:
            jobs.append(await _generate(client, "task-1"))
    assert jobs[0].id == jobs[1].id
    assert emu.stats.requests[POSTS] == 1


async def test_a_rejected_create_frees_the_key_for_a_corrected_request(
    emu: Emulator, make_ledger: LedgerFactory
) -> None:
    async with await _client(emu, ledger=make_ledger(FAST)) as client:
        with pytest.raises(ValidationError):
            await client.flow_generations.create(
                flow_type="vacancy_application_flow", parameters={}, idempotency_key="task-1"
            )
        created = await _generate(client, "task-1")  # no IdempotencyKeyReusedError
        assert created.status is not None


async def test_concurrent_calls_with_one_key_send_one_post(
    emu: Emulator, make_ledger: LedgerFactory
) -> None:
    async with await _client(emu, ledger=make_ledger(FAST)) as client:
        jobs = await asyncio.gather(*(_generate(client, "task-1") for _ in range(20)))
        assert {job.id for job in jobs} == {jobs[0].id}
        assert emu.stats.requests[POSTS] == 1


async def test_an_ambiguous_failure_is_reconciled_by_the_retry_onto_the_one_job(
    emu: Emulator, make_ledger: LedgerFactory
) -> None:
    """The POST is carried out but its connection is reset: the job exists, the caller
    got ``JobMayExistError``. The task's retry, once the lease ends, adopts that job."""
    async with await _client(emu, ledger=make_ledger(FAST), max_retries=0) as client:
        emu.faults = Faults(reset_after=1.0, methods={"POST"})
        with pytest.raises(JobMayExistError):
            await _generate(client, "task-1")
        emu.faults = Faults()
        adopted = await _generate(client, "task-1")
        assert emu.stats.requests[POSTS] == 1
        assert [g.id async for g in client.flow_generations.list()] == [adopted.id]


async def test_vacancy_analyses_and_flow_runs_take_a_key_too(
    emu: Emulator, make_ledger: LedgerFactory
) -> None:
    async with await _client(emu, ledger=make_ledger(FAST)) as client:
        texts = [
            await client.vacancy_analyses.create(input_text="Driver wanted", idempotency_key="va")
            for _ in range(2)
        ]
        assert texts[0].id == texts[1].id
        done = await client.vacancy_analyses.create_and_wait(
            input_text="Driver wanted", idempotency_key="va", timeout=30
        )
        assert done.id == texts[0].id and done.analyze_result is not None
        assert emu.stats.requests["POST /vacancy-analyses"] == 1

        gen: FlowGeneration = await client.flow_generations.create(
            flow_type="vacancy_application_flow", parameters=PARAMETERS, context=CONTEXT, sync=True
        )
        assert gen.flow_id is not None
        thread = await client.message_threads.create(channel="whatsapp", identifier="3161234")
        runs = [
            await client.flow_runs.create_and_wait(
                flow_id=gen.flow_id,
                message_thread_id=thread,
                until="started",
                idempotency_key="run-1",
                timeout=30,
            )
            for _ in range(2)
        ]
        assert runs[0].id == runs[1].id
        assert emu.stats.requests["POST /flow-runs"] == 1


async def test_a_key_without_a_ledger_is_refused_before_sending(emu: Emulator) -> None:
    async with await _client(emu) as client:
        with pytest.raises(ValueError, match="needs a ledger"):
            await _generate(client, "task-1")
        with pytest.raises(ValueError, match="non-blank"):
            await _generate(client, "   ", ledger=FAST_LEDGER())
        assert emu.stats.requests[POSTS] == 0


def FAST_LEDGER() -> Any:
    from recrubo_async.idempotency import MemoryLedger

    return MemoryLedger(FAST)


async def test_a_per_call_ledger_overrides_the_clients(emu: Emulator) -> None:
    from recrubo_async.idempotency import MemoryLedger

    mine, clients = MemoryLedger(FAST), MemoryLedger(FAST)
    async with await _client(emu, ledger=clients) as client:
        a = await _generate(client, "task-1", ledger=mine)
        b = await _generate(client, "task-1")
        assert a.id != b.id  # two ledgers, two records
        assert (await _generate(client, "task-1", ledger=mine)).id == a.id
