"""Testing your own code against the emulator: manual time, faults and counters.

``publish_vacancy_flow`` stands for your application code: it takes a ``Client`` and
generates a vacancy's application flow. The checks below run it against a fresh
``Emulator(clock="manual")`` each, the way tests would:

- it returns a flow that asks what the parameters asked for;
- it still works when half of the GETs answer 503 (the client retries them);
- when the create POST fails ambiguously, it is not resent: the job is billed once.

Here they run as a script and print PASS or FAIL lines::

    python examples/testing_with_emulator.py

Under pytest the package's plugin gives each test a started emulator; a check becomes::

    @pytest.mark.recrubo_emulator(mode="production", clock="manual", seed=7)
    async def test_publishes_a_flow(recrubo_emulator: Emulator) -> None:
        ...  # the body of check_publishes_a_flow below

No API key or network is used, with or without ``RECRUBO_*`` set.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import traceback
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from recrubo_async import Client
from recrubo_async.errors import JobMayExistError
from recrubo_async.models import (
    CandidateField,
    Node,
    NodeAction,
    Requirement,
    TextContext,
    VacancyApplicationParameters,
)
from recrubo_async.testing import Emulator, Faults, retry_sleeps_disabled
from recrubo_async.waiters import PollingWaiter

T = TypeVar("T")

# -- the application code under test ---------------------------------------------------


async def publish_vacancy_flow(client: Client, vacancy_text: str) -> str:
    """Generate the application flow for a vacancy; return the flow's id."""
    generation = await client.flow_generations.create_and_wait(
        flow_type="vacancy_application_flow",
        parameters=VacancyApplicationParameters(
            language="en",
            knockout_requirements=[Requirement("Has a forklift certificate", "forklift")],
            preferred_requirements=[],
            required_fields=[CandidateField("email", "email")],
        ),
        context=TextContext(value=vacancy_text),
        timeout=600,
    )
    assert generation.flow_id is not None
    return generation.flow_id


# -- test helpers ----------------------------------------------------------------------

VACANCY = "Warehouse worker in Venlo, forklift certificate required."


def make_client(emu: Emulator, token: str) -> Client:
    # Polling every 10 ms of real time: on a manual clock the job is as far along as the
    # test has advanced it, so there is no reason to poll slowly.
    return Client(token, base_url=emu.base_url, waiter=PollingWaiter(interval=0.01))


async def with_time_passing(emu: Emulator, work: Coroutine[Any, Any, T]) -> T:
    """Run ``work`` while moving the manual clock a second at a time (60 at most).

    Nothing happens on a manual clock unless the test advances it, so a job's "4 seconds"
    of processing cost a few milliseconds, and the same every run.
    """
    task = asyncio.ensure_future(work)
    for _ in range(60):
        await asyncio.sleep(0.02)  # let the code under test make its next request
        if task.done():
            return await task
        await emu.advance(1)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    raise TimeoutError("the code under test did not finish in 60 emulated seconds")


# -- the checks --------------------------------------------------------------------------


async def check_publishes_a_flow(emu: Emulator) -> str:
    org = await emu.create_organization("Acme")
    async with make_client(emu, org.token) as client:
        flow_id = await with_time_passing(emu, publish_vacancy_flow(client, VACANCY))
        flow = await client.flows.retrieve(flow_id, include="nodes.node_actions")
    # The session variables the flow's questions fill.
    asked = {
        str(action.variable_name)
        for node in flow.nodes or ()
        if isinstance(node, Node)
        for action in node.node_actions or ()
        if isinstance(action, NodeAction) and action.action_type == "ask"
    }
    assert {"forklift", "email"} <= asked, asked
    assert emu.stats.created["flowGenerations"] == 1
    return f"publishes a flow that asks {sorted(asked)}"


async def check_survives_503s(emu: Emulator) -> str:
    org = await emu.create_organization("Acme")
    emu.faults = Faults(rate_503=0.5, methods={"GET"})
    # Retries happen at once instead of after their backoff: the test stays fast.
    with retry_sleeps_disabled():
        async with make_client(emu, org.token) as client:
            flow_id = await with_time_passing(emu, publish_vacancy_flow(client, VACANCY))
    injected = emu.stats.faults["503"]
    assert flow_id
    assert injected > 0, "no fault was injected: the check proves nothing"
    assert emu.stats.requests["POST /flow-generations"] == 1
    return f"survives {injected} injected 503s on GETs, with one POST"


async def check_ambiguous_create_is_not_resent(emu: Emulator) -> str:
    org = await emu.create_organization("Acme")
    # The server handles the POST, then the connection drops before the answer.
    emu.faults = Faults(reset_after=1.0, methods={"POST"})
    async with make_client(emu, org.token) as client:
        try:
            await with_time_passing(emu, publish_vacancy_flow(client, VACANCY))
        except JobMayExistError:
            pass
        else:
            raise AssertionError("expected JobMayExistError")
    assert emu.stats.requests["POST /flow-generations"] == 1, "the POST was resent"
    assert emu.stats.created["flowGenerations"] == 1
    return "an ambiguous POST failure raises JobMayExistError; the job is created once"


CHECKS: list[Callable[[Emulator], Awaitable[str]]] = [
    check_publishes_a_flow,
    check_survives_503s,
    check_ambiguous_create_is_not_resent,
]


async def main() -> int:
    failed = 0
    for check in CHECKS:
        # A fresh emulator per check, as the pytest fixture gives each test; the seed makes
        # ids and fault draws the same every run.
        async with Emulator(mode="production", clock="manual", seed=7) as emu:
            try:
                print(f"PASS {await check(emu)}")
            except Exception:
                failed += 1
                print(f"FAIL {check.__name__}")
                traceback.print_exc()
            print(f"     requests: {dict(emu.stats.requests)}")
    print(f"{len(CHECKS) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
