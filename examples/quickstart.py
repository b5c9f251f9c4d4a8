"""Quickstart: generate a vacancy application flow and print its questions.

Runs against the embedded emulator in sandbox mode (``?sync=true``), or against a real
API when ``RECRUBO_API_KEY`` and ``RECRUBO_BASE_URL`` are set::

    python examples/quickstart.py
"""

from __future__ import annotations

import asyncio

from _render import print_flow
from _target import api_target

from recrubo_async import Client
from recrubo_async.models import (
    CandidateField,
    Requirement,
    TextContext,
    VacancyApplicationParameters,
)
from recrubo_async.waiters import SyncWaiter

VACANCY = """Delivery driver, Amsterdam. You drive our electric vans through the city,
32-40 hours a week. You hold a driving licence B, speak Dutch, and enjoy customer contact."""


async def main() -> None:
    async with (
        api_target(mode="sandbox") as target,
        Client(
            target.api_key, base_url=target.base_url, environment="sandbox", waiter=SyncWaiter()
        ) as client,
    ):
        generation = await client.flow_generations.create_and_wait(
            flow_type="vacancy_application_flow",
            parameters=VacancyApplicationParameters(
                flow_name="Delivery driver",
                language="en",
                knockout_requirements=[
                    Requirement("Has a driving licence B", "drivers_license"),
                    Requirement("Speaks Dutch", "speaks_dutch"),
                ],
                preferred_requirements=[Requirement("Lives in Amsterdam", "location")],
                required_fields=[
                    CandidateField("firstName", "first_name"),
                    CandidateField("email", "email"),
                ],
            ),
            context=TextContext(value=VACANCY),
            timeout=120,
        )
        print(f"Generation {generation.id}: {generation.status}, cost {generation.cost}")
        assert generation.flow_id is not None
        flow = await client.flows.retrieve(
            generation.flow_id,
            include=["nodes.node_actions", "nodes.node_transitions.exit_node"],
        )
        print_flow(flow)


if __name__ == "__main__":
    asyncio.run(main())
