"""A ``StateSource`` built from callables: what a custom integration passes to a waiter."""

from __future__ import annotations

import pytest

from recrubo_async.bus import ResourceEvent
from recrubo_async.errors import NotFoundError, ResourceDeletedError
from recrubo_async.models import FlowGeneration, FlowGenerationStatus, Resource
from recrubo_async.waiters import StateSource
from recrubo_async.waiters._conditions import FLOW_GENERATION


def make_source(*, gone: bool = False) -> StateSource:
    async def fetch() -> Resource:
        if gone:
            raise NotFoundError(
                "gone", status=404, request_id=None, errors=[], body=None, method="GET", url="/x"
            )
        return FlowGeneration(id="g1", status=FlowGenerationStatus.QUEUED)

    def decode(event: ResourceEvent) -> Resource:
        return FlowGeneration(id=event.id, status=FlowGenerationStatus(event.status or ""))

    return StateSource(spec=FLOW_GENERATION, id="g1", fetch=fetch, decode=decode)


def event(kind: str) -> ResourceEvent:
    resource = {"type": "flowGenerations", "id": "g1", "attributes": {"status": "finished"}}
    return ResourceEvent.from_resource(resource, event=kind)


async def test_fetch_and_events_go_through_the_given_callables() -> None:
    source = make_source()
    assert source.key == ("flowGenerations", "g1")
    fetched = await source.fetch()
    assert isinstance(fetched, FlowGeneration) and fetched.status == "queued"
    decoded = source.from_event(event("update"))
    assert isinstance(decoded, FlowGeneration) and decoded.is_finished


async def test_a_404_or_a_delete_event_means_the_resource_was_deleted() -> None:
    with pytest.raises(ResourceDeletedError):
        await make_source(gone=True).fetch()
    with pytest.raises(ResourceDeletedError):
        make_source().from_event(event("delete"))
