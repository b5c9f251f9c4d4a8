"""``find_possible_jobs``: after a ``JobMayExistError``, without a ledger, the jobs the
failed create may have made (same request, created since it started)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from recrubo_async import Client, JobMayExistError
from recrubo_async.idempotency import find_possible_jobs
from recrubo_async.testing import Emulator, Faults

from ..support.deployment import CONTEXT, PARAMETERS


@pytest.fixture
async def client(emu: Emulator) -> AsyncIterator[Client]:
    org = await emu.create_organization("Acme")
    async with Client(org.token, base_url=emu.base_url, max_retries=0) as c:
        yield c


async def _generate(client: Client, name: str = "Driver") -> None:
    await client.flow_generations.create(
        flow_type="vacancy_application_flow",
        parameters={**_wire(), "flowName": name},
        context=CONTEXT,
    )


def _wire() -> dict[str, object]:
    from recrubo_async._jsonapi import Codec

    wire = Codec().converter.unstructure(PARAMETERS)
    assert isinstance(wire, dict)
    return wire


async def test_the_job_a_reset_hid_is_found_and_others_are_not(
    emu: Emulator, client: Client
) -> None:
    await _generate(client, "Earlier, same org, other request")
    emu.faults = Faults(reset_after=1.0, methods={"POST"})
    with pytest.raises(JobMayExistError) as info:
        await _generate(client)
    emu.faults = Faults()
    await _generate(client, "Later, other request")
    error = info.value
    assert error.fingerprint is not None
    assert "find_possible_jobs" in str(error)
    found = await find_possible_jobs(client.flow_generations, error)
    assert len(found) == 1
    (job,) = found
    assert job.attribute("parameters")["flowName"] == "Driver"
    await emu.advance(10)  # the emulated clock is manual: the generation now finishes
    done = await client.flow_generations.wait(job, timeout=10)  # resumed, not re-created
    assert (done.id, done.status) == (job.id, "finished")
    assert emu.stats.requests["POST /flow-generations"] == 3


async def test_a_job_that_was_never_made_is_not_found(emu: Emulator, client: Client) -> None:
    emu.faults = Faults(rate_500=1.0, methods={"POST"})  # a 500 that made nothing
    with pytest.raises(JobMayExistError) as info:
        await _generate(client)
    emu.faults = Faults()
    assert await find_possible_jobs(client.flow_generations, info.value) == []


async def test_another_organizations_identical_job_is_not_found(
    emu: Emulator, client: Client
) -> None:
    other_org = await emu.create_organization("Other")
    async with Client(other_org.token, base_url=emu.base_url) as other:
        await _generate(other)
    emu.faults = Faults(rate_500=1.0, methods={"POST"})
    with pytest.raises(JobMayExistError) as info:
        await _generate(client)
    emu.faults = Faults()
    assert await find_possible_jobs(client.flow_generations, info.value) == []


async def test_the_error_must_come_from_the_same_kind_of_job(emu: Emulator, client: Client) -> None:
    emu.faults = Faults(rate_500=1.0, methods={"POST"})
    with pytest.raises(JobMayExistError) as info:
        await _generate(client)
    with pytest.raises(ValueError, match="about flowGenerations"):
        await find_possible_jobs(client.vacancy_analyses, info.value)
