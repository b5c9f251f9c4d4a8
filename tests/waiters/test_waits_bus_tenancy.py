"""Bus states reach a wait only once its own client has seen the resource.

Webhook events carry no credentials: a receiver publishes organization A's states on a
bus that organization B's waits also listen to. A wait made with B's key on A's id must
end as B's own GET says (404: ``ResourceDeletedError``), never with A's state, whether
that state is already on the bus or arrives while B's GET is in flight.
"""

from __future__ import annotations

import asyncio

import pytest

from recrubo_async import ResourceDeletedError
from recrubo_async.bus import InMemoryBus
from recrubo_async.testing import Emulator, Faults
from recrubo_async.waiters import HybridWaiter, WebhookWaiter

from ..support.deployment import finished_event, generation, tenant


async def test_a_state_already_on_the_bus_never_settles_another_organizations_wait(
    production: Emulator,
) -> None:
    bus = InMemoryBus()
    async with tenant(production) as a:
        b = a.with_options(api_key=(await production.create_organization("B")).token)
        gen = await generation(a)
        await bus.publish(finished_event(gen.id, name="PRIVATE"))  # A's receiver got A's webhook
        for waiter in (WebhookWaiter(bus), HybridWaiter(bus, safety_poll_interval=60)):
            with pytest.raises(ResourceDeletedError):
                await b.flow_generations.wait(gen.id, waiter=waiter, timeout=10)
        # A's own wait on the same id is settled by the bus.
        done = await a.flow_generations.wait(gen.id, waiter=WebhookWaiter(bus), timeout=10)
        assert done.status == "finished"
        assert bus.subscription_count == 0


async def test_an_event_arriving_during_the_get_waits_for_the_get(production: Emulator) -> None:
    bus = InMemoryBus()
    async with tenant(production) as a:
        b = a.with_options(api_key=(await production.create_organization("B")).token)
        gen = await generation(a)
        production.faults = Faults(latency=1.0, methods={"GET"}, resources={"flow-generations"})
        wait_b = asyncio.create_task(
            b.flow_generations.wait(gen.id, waiter=WebhookWaiter(bus), timeout=30)
        )
        wait_a = asyncio.create_task(
            a.flow_generations.wait(gen.id, waiter=WebhookWaiter(bus), timeout=30)
        )
        await asyncio.sleep(0.2)  # both GETs are in flight
        await bus.publish(finished_event(gen.id, name="PRIVATE"))
        with pytest.raises(ResourceDeletedError):
            await wait_b
        assert (await wait_a).status == "finished"  # once its own GET proved it can see it
        assert bus.subscription_count == 0


async def test_a_wait_on_a_model_its_client_read_is_settled_by_the_bus_at_once(
    production: Emulator,
) -> None:
    bus = InMemoryBus()
    async with tenant(production) as a:
        gen = await generation(a)
        production.faults = Faults(latency=30.0, methods={"GET"}, resources={"flow-generations"})
        task = asyncio.create_task(a.flow_generations.wait(gen, waiter=WebhookWaiter(bus)))
        await asyncio.sleep(0.1)
        await bus.publish(finished_event(gen.id, name="PRIVATE"))
        done = await asyncio.wait_for(task, timeout=20)
        assert done.status == "finished"
        production.faults = Faults()


async def test_a_failed_look_is_repeated_until_the_client_has_seen_the_resource(
    production: Emulator,
) -> None:
    bus = InMemoryBus()
    async with tenant(production, max_retries=0) as a:
        gen = await generation(a)
        await bus.publish(finished_event(gen.id, name="PRIVATE"))
        production.faults = Faults(rate_503=1.0, methods={"GET"}, resources={"flow-generations"})
        task = asyncio.create_task(
            a.flow_generations.wait(gen.id, waiter=WebhookWaiter(bus), timeout=60)
        )
        loop = asyncio.get_running_loop()
        give_up = loop.time() + 20
        while not production.stats.faults:  # the first look was refused
            assert loop.time() < give_up
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)
        assert not task.done()  # the bus's state is held: the client has not seen it yet
        production.faults = Faults()
        done = await asyncio.wait_for(task, timeout=30)  # the next look (after ~1 s) answers
        assert done.status == "finished"
