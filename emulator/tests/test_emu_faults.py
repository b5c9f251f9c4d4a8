"""Fault injection (requests and webhooks), stats counters, and their reset."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import pytest

from emu_helpers import Api, Receiver, doc, generation_attributes, hook_up
from recrubo_emulator import Emulator, Faults


async def test_injected_429_has_retry_after(emu: Emulator, api: Api) -> None:
    """rate_429=1 answers every request 429 with Retry-After, as a JSON:API error."""
    emu.faults = Faults(rate_429=1.0, retry_after=7)
    answer = await api.get("/candidates")
    assert answer.status == 429
    assert answer.headers["Retry-After"] == "7"
    assert answer.errors[0]["code"] == "too_many_requests"
    assert emu.stats.faults["429"] == 1
    assert emu.stats.requests["GET /candidates"] == 0


@pytest.mark.parametrize(("share", "status"), [("rate_500", 500), ("rate_503", 503)])
async def test_injected_server_errors(emu: Emulator, api: Api, share: str, status: int) -> None:
    """rate_500 and rate_503 answer JSON:API 500/503 errors without doing the work."""
    emu.faults = Faults(rate_500=1.0) if share == "rate_500" else Faults(rate_503=1.0)
    answer = await api.post("/vacancies", doc("vacancies", {"title": "T", "description": "D"}))
    assert answer.status == status
    assert answer.errors[0]["status"] == str(status)
    emu.faults = Faults()
    assert (await api.get("/vacancies")).data == []


async def test_reset_before_handling_changes_nothing(emu: Emulator, api: Api) -> None:
    """reset_before drops the connection before the request is handled."""
    emu.faults = Faults(reset_before=1.0)
    with pytest.raises(aiohttp.ClientError):
        await api.post("/vacancies", doc("vacancies", {"title": "T", "description": "D"}))
    emu.faults = Faults()
    assert (await api.get("/vacancies")).data == []
    assert emu.stats.faults["reset_before"] == 1


async def test_reset_after_handling_keeps_the_change(emu: Emulator, api: Api) -> None:
    """reset_after drops the connection after the job was created: the client saw an error."""
    emu.faults = Faults(reset_after=1.0, methods={"post"})
    with pytest.raises(aiohttp.ClientError):
        await api.post("/flow-generations", doc("flowGenerations", generation_attributes()))
    listed = await api.get("/flow-generations")  # GET is not faulted (methods={"POST"})
    assert len(listed.data) == 1
    assert emu.stats.created["flowGenerations"] == 1
    assert emu.stats.requests["POST /flow-generations"] == 1
    assert emu.stats.faults["reset_after"] == 1


async def test_latency_is_added(emu: Emulator, api: Api) -> None:
    """latency delays every answer by at least that many real seconds."""
    emu.faults = Faults(latency=0.05, latency_jitter=0.01)
    started = time.perf_counter()
    assert (await api.get("/candidates")).status == 200
    assert time.perf_counter() - started >= 0.05
    assert emu.stats.faults["latency"] == 1


async def test_faults_only_hit_selected_methods_and_resources(emu: Emulator, api: Api) -> None:
    """methods and resources narrow where request faults apply; openapi.json is never faulted."""
    emu.faults = Faults(rate_500=1.0, methods={"GET"}, resources={"flows"})
    assert (await api.get("/flows")).status == 500
    assert (await api.get("/candidates")).status == 200
    assert (await api.post("/flows", doc("flows", {}))).status == 422
    assert (await api.get("/openapi.json")).status == 200


async def test_seeded_faults_are_reproducible(session: aiohttp.ClientSession) -> None:
    """The same seed injects the same faults on the same request sequence."""

    async def statuses() -> list[int]:
        async with Emulator(clock="manual", seed=42, faults=Faults(rate_503=0.5)) as emu:
            org = await emu.create_organization("S")
            api = Api(session, emu.base_url, org.token)
            return [(await api.get("/candidates")).status for _ in range(20)]

    first = await statuses()
    assert first == await statuses()
    assert set(first) == {200, 503}


def test_fault_shares_are_validated() -> None:
    """Shares outside 0..1 and negative delays are refused."""
    with pytest.raises(ValueError, match="rate_429"):
        Faults(rate_429=1.5)
    with pytest.raises(ValueError, match="latency"):
        Faults(latency=-1)


@pytest.mark.parametrize("name", ["vacancy-analyses", "vacancyAnalyses", "vacancy_analyses"])
async def test_a_resource_may_be_named_by_path_type_or_attribute(
    emu: Emulator, api: Api, name: str
) -> None:
    """resources takes the path, the JSON:API type or the SDK's attribute name alike."""
    emu.faults = Faults(rate_500=1.0, resources={name})
    assert (await api.get("/vacancy-analyses")).status == 500
    assert (await api.get("/vacancies")).status == 200


async def test_every_route_can_be_named_in_resources(emu: Emulator, api: Api) -> None:
    """Each path of the OpenAPI document is faulted by the resource its first segment (under
    /management, its second) names, so no route is out of reach of ``resources``."""
    paths = (await api.get("/openapi.json")).json["paths"]
    for path, operations in paths.items():
        parts = path.strip("/").split("/")
        resource = parts[1] if parts[0] == "management" else parts[0]
        method = next(m for m in operations if m in ("get", "post", "patch", "delete"))
        emu.faults = Faults(rate_500=1.0, resources={resource})
        answer = await api.request(method.upper(), path.replace("{id}", "x"))
        assert answer.status == 500, (method, path)


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"resources": {"nosuch"}}, "resources"),
        ({"resources": "flows"}, "resources"),
        ({"methods": {"FETCH"}}, "methods"),
        ({"retry_after": -1}, "retry_after"),
    ],
    ids=["unknown resource", "a string for a set", "unknown method", "negative retry_after"],
)
def test_values_that_could_never_apply_are_refused(kwargs: dict[str, Any], argument: str) -> None:
    """Names that match no request and a negative Retry-After are refused, naming the argument."""
    with pytest.raises((ValueError, TypeError), match=argument):
        Faults(rate_500=1.0, **kwargs)


async def _hooked(api: Api, url: str) -> None:
    await hook_up(api, url)
    await api.create("webhooks", "webhooks", {"resourceType": "candidates", "event": "create"})


async def test_webhook_drop(emu: Emulator, api: Api, receiver: Receiver) -> None:
    """webhook_drop loses payloads for good (logged, never retried)."""
    await _hooked(api, receiver.url)
    emu.faults = Faults(webhook_drop=1.0)
    await api.create("candidates", "candidates", {"phone": "1"})
    await emu.advance(10**6)
    assert receiver.received == []
    [entry] = emu.deliveries
    assert entry.error == "dropped by fault injection"
    assert emu.stats.faults["webhook_drop"] == 1


async def test_webhook_duplicate(emu: Emulator, api: Api, receiver: Receiver) -> None:
    """webhook_duplicate sends a delivered payload twice with the same id."""
    await _hooked(api, receiver.url)
    emu.faults = Faults(webhook_duplicate=1.0)
    await api.create("candidates", "candidates", {"phone": "1"})
    await emu.settle()
    assert len(receiver.payload_ids) == 2
    assert len(set(receiver.payload_ids)) == 1
    assert [d.duplicate for d in emu.deliveries] == [False, True]


async def test_webhook_delay_and_reorder(emu: Emulator, api: Api, receiver: Receiver) -> None:
    """webhook_delay holds every payload back; webhook_reorder lets later ones overtake."""
    await _hooked(api, receiver.url)
    emu.faults = Faults(webhook_delay=5)
    await api.create("candidates", "candidates", {"phone": "1"})
    await emu.advance(4.9)
    assert receiver.received == []
    await emu.advance(0.1)
    assert len(receiver.received) == 1
    emu.faults = Faults(webhook_reorder=1.0, reorder_window=3)
    await api.create("candidates", "candidates", {"phone": "2"})
    emu.faults = Faults()
    await api.create("candidates", "candidates", {"phone": "3"})
    await emu.advance(3)
    phones = [a["resource"]["attributes"]["phone"] for a in receiver.of(bool)]
    assert phones == ["1", "3", "2"]
    assert emu.stats.faults["webhook_reorder"] == 1
    assert emu.stats.faults["webhook_delay"] == 1


async def test_stats_count_requests_creations_gets_and_reset(emu: Emulator, api: Api) -> None:
    """stats counts requests per method and route, creations, GETs per id; reset_stats zeroes."""
    gen = await api.post("/flow-generations", doc("flowGenerations", generation_attributes()))
    gen_id: Any = gen.data["id"]
    for _ in range(3):
        await api.get(f"/flow-generations/{gen_id}")
    await api.get("/flow-generations")
    stats = emu.stats
    assert stats.requests["POST /flow-generations"] == 1
    assert stats.requests["GET /flow-generations/{id}"] == 3
    assert stats.requests["GET /flow-generations"] == 1
    assert stats.created["flowGenerations"] == 1
    assert stats.gets[gen_id] == 3
    assert stats.responses[201] == 1
    emu.reset_stats()
    assert not stats.requests
    assert not stats.gets
    assert emu.deliveries == []


async def test_stall_after_handling_keeps_the_change_and_answers_late(
    emu: Emulator, api: Api
) -> None:
    """stall_after holds the answer back after the job was created: a client with a shorter
    timeout gives up, and the job exists anyway."""
    emu.faults = Faults(stall_after=1.0, stall_seconds=0.5, methods={"post"})
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(
            api.post("/flow-generations", doc("flowGenerations", generation_attributes())), 0.2
        )
    emu.faults = Faults()
    listed = await api.get("/flow-generations")
    assert len(listed.data) == 1
    assert emu.stats.faults["stall_after"] == 1
