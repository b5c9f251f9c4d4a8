"""Shared polls never cross tenants or clients, and each wait raises its own error.

One ``PollingWaiter`` shared by clients of two organizations (``with_options(api_key=)``
copies), and by two clients of one organization of which one closes, against the emulator.
"""

from __future__ import annotations

import asyncio
import traceback

import pytest

from recrubo_async import Client, ClientClosedError, NotFoundError, ResourceDeletedError
from recrubo_async.testing import Emulator, Faults
from recrubo_async.waiters import PollingWaiter

from ..support.deployment import FAST_POLL, generation, tenant
from ..support.timing import eventually


async def test_a_wait_with_another_organizations_key_never_sees_its_state(
    production: Emulator,
) -> None:
    org_a = await production.create_organization("A")
    org_b = await production.create_organization("B")
    shared = PollingWaiter(**FAST_POLL)
    async with Client(org_a.token, base_url=production.base_url, waiter=shared) as client_a:
        client_b = client_a.with_options(api_key=org_b.token)
        gen = await generation(client_a)
        with pytest.raises(NotFoundError) as own_get:  # what B's own GET says of A's job
            await client_b.flow_generations.retrieve(gen.id)
        await production.advance(30)  # A's generation is finished: the state B must not see
        wait_a = asyncio.create_task(client_a.flow_generations.wait(gen.id, timeout=30))
        wait_b = asyncio.create_task(client_b.flow_generations.wait(gen.id, timeout=30))
        assert (await wait_a).status == "finished"
        with pytest.raises(ResourceDeletedError) as info:
            await wait_b
        assert isinstance(info.value.__cause__, NotFoundError)
        assert own_get.value.status == 404
        assert shared.active_polls == 0


async def test_tenants_waiting_at_once_each_get_their_own_poll(production: Emulator) -> None:
    org_a = await production.create_organization("A")
    org_b = await production.create_organization("B")
    shared = PollingWaiter(**FAST_POLL)
    async with Client(org_a.token, base_url=production.base_url, waiter=shared) as client_a:
        client_b = client_a.with_options(api_key=org_b.token)
        gen = await generation(client_a)
        wait_a = asyncio.create_task(client_a.flow_generations.wait(gen.id, timeout=30))
        await eventually(lambda: shared.listeners == 1)
        # B joins while A's poll is live and has a state in hand: it must not be handed it.
        wait_b = asyncio.create_task(client_b.flow_generations.wait(gen.id, timeout=30))
        with pytest.raises(ResourceDeletedError):
            await wait_b
        await production.advance(30)
        assert (await wait_a).status == "finished"


async def test_a_closing_client_does_not_end_the_waits_of_another_client(
    production: Emulator,
) -> None:
    org = await production.create_organization("A")
    shared = PollingWaiter(**FAST_POLL)
    async with Client(org.token, base_url=production.base_url, waiter=shared) as staying:
        gen = await generation(staying)
        leaving = Client(org.token, base_url=production.base_url, waiter=shared)
        # The leaving client's wait starts the shared poll, so the poll reads through it.
        doomed = [
            asyncio.create_task(leaving.flow_generations.wait(gen.id, timeout=30)) for _ in range(3)
        ]
        await eventually(lambda: shared.listeners == 3)
        kept = [
            asyncio.create_task(staying.flow_generations.wait(gen.id, timeout=30)) for _ in range(3)
        ]
        await eventually(lambda: shared.listeners == 6)
        assert shared.active_polls == 1  # one key, one scope: one poll
        await leaving.aclose()
        for task in doomed:
            with pytest.raises(ClientClosedError):
                await task
        assert not any(task.done() for task in kept)
        await production.advance(30)
        assert {(await task).status for task in kept} == {"finished"}
        assert shared.active_polls == 0


async def test_waits_through_client_copies_share_one_poll_and_outlive_no_one(
    production: Emulator,
) -> None:
    shared = PollingWaiter(**FAST_POLL)
    async with tenant(production, waiter=shared) as client:
        gen = await generation(client)
        patient = client.with_options(timeout=60)
        tasks = [
            asyncio.create_task(c.flow_generations.wait(gen.id, timeout=30))
            for c in (client, patient)
        ]
        await eventually(lambda: shared.listeners == 2)
        assert shared.active_polls == 1  # same key and URL: the copies share the poll
        await patient.aclose()  # a copy's aclose leaves the shared session open
        await production.advance(30)
        assert {(await t).status for t in tasks} == {"finished"}


async def test_each_wait_on_a_deleted_job_raises_its_own_short_error(
    production: Emulator,
) -> None:
    shared = PollingWaiter(**FAST_POLL)
    async with tenant(production, waiter=shared) as client:
        gen = await generation(client)
        n = 200
        tasks = [
            asyncio.create_task(client.flow_generations.wait(gen.id, timeout=30)) for _ in range(n)
        ]
        await eventually(lambda: shared.listeners == n)
        assert shared.active_polls == 1
        await client.flow_generations.delete(gen.id)
        errors = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(e, ResourceDeletedError) for e in errors)
    assert len({id(e) for e in errors}) == n
    for error in errors:
        assert isinstance(error, ResourceDeletedError)
        assert gen.id in str(error)
        # A wait's own frames, not every wait's: a shared object grows by each raise.
        assert len(traceback.extract_tb(error.__traceback__)) < 10
        assert len("".join(traceback.format_exception(error)).splitlines()) < 80


async def test_each_wait_raises_its_own_copy_of_a_fatal_poll_error(
    production: Emulator,
) -> None:
    shared = PollingWaiter(**FAST_POLL)
    async with tenant(production, waiter=shared) as client:
        gen = await generation(client)
        revoked = client.with_options(api_key="not-a-key-of-anyone")
        n = 50
        tasks = [
            asyncio.create_task(revoked.flow_generations.wait(gen.id, timeout=30)) for _ in range(n)
        ]
        errors = await asyncio.gather(*tasks, return_exceptions=True)
    kinds = {type(e).__name__ for e in errors}
    assert kinds == {"AuthenticationError"}, kinds
    assert len({id(e) for e in errors}) == n
    causes = {id(e.__cause__) for e in errors if isinstance(e, BaseException)}
    assert len(causes) <= 2  # the poll's one error (or two polls') behind each copy
    for error in errors:
        assert isinstance(error, BaseException)
        assert len(traceback.extract_tb(error.__traceback__)) < 10
        assert getattr(error, "status", None) == 401


async def test_a_client_closed_under_its_in_flight_poll_does_not_end_the_other_waits(
    production: Emulator,
) -> None:
    """The GET goes through the leaving client; it leaves, then closes mid-GET: the poll
    moves to the staying client instead of handing its ClientClosedError to everyone."""
    org = await production.create_organization("A")
    shared = PollingWaiter(**FAST_POLL)
    async with Client(org.token, base_url=production.base_url, waiter=shared) as staying:
        gen = await generation(staying)
        leaving = Client(org.token, base_url=production.base_url, waiter=shared)
        first = asyncio.create_task(leaving.flow_generations.wait(gen.id, timeout=60))
        await eventually(lambda: shared.listeners == 1)
        kept = asyncio.create_task(staying.flow_generations.wait(gen.id, timeout=60))
        await eventually(lambda: shared.listeners == 2)
        production.faults = Faults(latency=0.5, methods={"GET"}, resources={"flow-generations"})
        await asyncio.sleep(0.1)  # a GET through the leaving client is on its way
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        await leaving.aclose()
        production.faults = Faults()
        await production.advance(30)
        assert (await asyncio.wait_for(kept, 30)).status == "finished"
        assert shared.active_polls == 0
