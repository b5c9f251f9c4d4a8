"""``StateSource``: one built from callables (what a custom integration passes to a waiter),
and the SDK's own."""

from __future__ import annotations

import pytest

from recrubo_async import Client
from recrubo_async.bus import ResourceEvent
from recrubo_async.errors import NotFoundError, ResourceDeletedError
from recrubo_async.models import FlowGeneration, FlowGenerationStatus
from recrubo_async.resources.flow_generations import FLOW_GENERATION
from recrubo_async.waiters import StateSource
from recrubo_async.waiters._source import CallableSource


def make_source(*, gone: bool = False) -> StateSource[FlowGeneration]:
    async def fetch() -> FlowGeneration:
        if gone:
            raise NotFoundError(
                "gone", status=404, request_id=None, errors=[], body=None, method="GET", url="/x"
            )
        return FlowGeneration(id="g1", status=FlowGenerationStatus.QUEUED)

    def decode(event: ResourceEvent) -> FlowGeneration:
        return FlowGeneration(id=event.id, status=FlowGenerationStatus(event.status or ""))

    return CallableSource(spec=FLOW_GENERATION, id="g1", fetch=fetch, decode=decode)


def event(kind: str) -> ResourceEvent:
    resource = {"type": "flowGenerations", "id": "g1", "attributes": {"status": "finished"}}
    return ResourceEvent.from_resource(resource, event=kind)


async def test_fetch_and_events_go_through_the_given_callables() -> None:
    source = make_source()
    assert source.key == ("flowGenerations", "g1")
    fetched = await source.fetch()
    assert fetched.status == "queued"
    decoded = source.from_event(event("update"))
    assert decoded.is_finished


async def test_a_404_or_a_delete_event_means_the_resource_was_deleted() -> None:
    with pytest.raises(ResourceDeletedError):
        await make_source(gone=True).fetch()
    with pytest.raises(ResourceDeletedError):
        make_source().from_event(event("delete"))


def test_seen_defaults_to_whether_a_state_is_in_hand() -> None:
    """A source given the create's answer has been seen by its client; one without has not."""
    gen = FlowGeneration(id="g1", status=FlowGenerationStatus.QUEUED)

    async def fetch() -> FlowGeneration:
        return gen

    def decode(event: ResourceEvent) -> FlowGeneration:
        return gen

    def seen(initial: FlowGeneration | None, seen: bool | None = None) -> bool:
        return CallableSource(
            spec=FLOW_GENERATION, id="g1", fetch=fetch, decode=decode, initial=initial, seen=seen
        ).seen

    assert not seen(None) and seen(gen)
    assert seen(None, seen=True) and not seen(gen, seen=False)


async def test_the_sdks_own_source_reads_through_its_resource() -> None:
    """A wait's source is a ``StateSource`` whose spec and scope are its resource's."""
    async with Client("key", base_url="http://127.0.0.1:9") as client:
        gen = FlowGeneration(id="g1", status=FlowGenerationStatus.QUEUED)
        source = client.flow_generations._source("g1", gen)
        assert isinstance(source, StateSource) and isinstance(make_source(), StateSource)
        assert source.spec is FLOW_GENERATION and source.key == ("flowGenerations", "g1")
        assert source.scope == client._core.scope and source.seen and not source.client_closed
        assert not client.flow_generations._source("g1").seen
    assert source.client_closed
