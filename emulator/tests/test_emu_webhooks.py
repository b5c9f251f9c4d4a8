"""Webhook delivery: payload shape, secret header, subscription filters, retries, the log."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp

from emu_helpers import Api, Receiver, doc, generation_attributes, hook_up
from recrubo_emulator import Emulator


async def _subscribe(api: Api, resource_type: str, event: str, **extra: Any) -> Any:
    return await api.create(
        "webhooks", "webhooks", {"resourceType": resource_type, "event": event, **extra}
    )


async def test_payload_shape_and_secret_header(emu: Emulator, api: Api, receiver: Receiver) -> None:
    """A create is POSTed as a webhookPayload with the secret header and JSON:API type."""
    await hook_up(api, receiver.url)
    sub = await _subscribe(api, "candidates", "create")
    cand = await api.create("candidates", "candidates", {"phone": "1", "firstName": "A"})
    assert receiver.received == []  # a manual clock sends nothing until it is advanced
    await emu.settle()
    [(headers, body)] = receiver.received
    assert headers["X-Recrubo-Webhook-Secret"] == "s3cret"
    assert headers["Content-Type"] == "application/vnd.api+json"
    data = body["data"]
    assert data["type"] == "webhookPayload"
    assert len(data["id"]) == 36
    attributes = data["attributes"]
    assert attributes["webhookId"] == sub["id"]
    assert attributes["event"] == "create"
    assert "firstName" in attributes["fields"]
    assert attributes["resource"] == cand


async def test_job_status_changes_are_delivered_in_order(
    emu: Emulator, api: Api, receiver: Receiver
) -> None:
    """Clock-driven updates of a generation arrive as update events with changed fields."""
    await hook_up(api, receiver.url)
    await _subscribe(api, "flowGenerations", "update", fields=["status"])
    await _subscribe(api, "flowGenerations", "create")
    await api.post("/flow-generations", doc("flowGenerations", generation_attributes()))
    await emu.advance(4)
    events = [(a["event"], a["resource"]["attributes"]["status"]) for a in receiver.of(bool)]
    assert events == [("create", "queued"), ("update", "processing"), ("update", "finished")]
    finished = receiver.of(lambda a: a["resource"]["attributes"]["status"] == "finished")[0]
    assert set(finished["fields"]) == {"status", "flowId", "cost", "updatedAt"}
    assert finished["resource"]["attributes"]["flowId"]


async def test_fields_filter_only_narrows_updates(
    emu: Emulator, api: Api, receiver: Receiver
) -> None:
    """An update subscription with fields fires only when one of those fields changes."""
    await hook_up(api, receiver.url)
    await _subscribe(api, "candidates", "update", fields=["email"])
    cand = await api.create("candidates", "candidates", {"phone": "1"})
    url = f"/candidates/{cand['id']}"
    await api.patch(url, doc("candidates", {"firstName": "X"}))
    await api.patch(url, doc("candidates", {"email": "x@y.z"}))
    await api.patch(url, doc("candidates", {"email": "x@y.z"}))  # no change, no event
    await emu.settle()
    assert [a["fields"] for a in receiver.of(bool)] == [["email", "updatedAt"]]


async def test_delete_events_and_subscription_url(
    emu: Emulator, api: Api, receiver: Receiver, session: aiohttp.ClientSession
) -> None:
    """A subscription's own webhookUrl wins over the organization's; deletes are delivered."""
    await hook_up(api, "http://127.0.0.1:9/unused")
    await _subscribe(api, "vacancies", "delete", webhookUrl=receiver.url)
    vacancy = await api.create("vacancies", "vacancies", {"title": "T", "description": "D"})
    await api.delete(f"/vacancies/{vacancy['id']}")
    await emu.settle()
    [attributes] = receiver.of(bool)
    assert attributes["event"] == "delete"
    assert attributes["fields"] == []
    assert attributes["resource"]["id"] == vacancy["id"]


async def test_failed_deliveries_are_retried_five_times_with_the_same_id(
    emu: Emulator, api: Api, receiver: Receiver
) -> None:
    """Non-2xx answers are retried on the (emulated) schedule, keeping the payload id."""
    await hook_up(api, receiver.url)
    await _subscribe(api, "candidates", "create")
    receiver.statuses = [500, 503, 404, 500, 500, 500]
    await api.create("candidates", "candidates", {"phone": "1"})
    await emu.settle()
    assert len(receiver.received) == 1
    await emu.advance(60)
    assert len(receiver.received) == 2
    await emu.advance(24 * 3600)
    assert len(receiver.received) == 6
    assert len(set(receiver.payload_ids)) == 1
    log = emu.deliveries
    assert [d.attempt for d in log] == [1, 2, 3, 4, 5, 6]
    assert [d.status for d in log] == [500, 503, 404, 500, 500, 500]
    assert all(not d.ok and d.error for d in log)
    assert (log[1].at - log[0].at).total_seconds() == 60
    assert emu.stats.webhooks["gave_up"] == 1
    await emu.advance(10**6)
    assert len(receiver.received) == 6


async def test_retry_succeeds_and_stops(emu: Emulator, api: Api, receiver: Receiver) -> None:
    """After a failure, a 2xx ends the retries; the log shows both attempts."""
    await hook_up(api, receiver.url)
    await _subscribe(api, "candidates", "create")
    receiver.statuses = [500]
    await api.create("candidates", "candidates", {"phone": "1"})
    await emu.advance(10**6)
    assert [(d.attempt, d.status, d.ok) for d in emu.deliveries] == [
        (1, 500, False),
        (2, 200, True),
    ]


async def test_unreachable_receiver_and_missing_url_are_logged(emu: Emulator, api: Api) -> None:
    """Connection errors and a missing URL are recorded as errors (and retried)."""
    await _subscribe(api, "candidates", "create")
    await api.create("candidates", "candidates", {"phone": "1"})
    await emu.settle()
    [first] = emu.deliveries
    assert first.url is None
    assert first.status is None
    assert first.error is not None
    assert "no webhookUrl" in first.error
    await hook_up(api, "http://127.0.0.1:9/closed")
    await api.create("candidates", "candidates", {"phone": "2"})
    await emu.settle()
    assert emu.deliveries[-1].url == "http://127.0.0.1:9/closed"
    assert emu.deliveries[-1].error


async def test_real_clock_delivers_in_the_background(
    receiver: Receiver, session: aiohttp.ClientSession
) -> None:
    """With a real clock, deliveries happen without advance(); settle() waits for them."""
    async with Emulator(speed=1000, webhook_retry_schedule=(1, 1, 1, 1, 1)) as emu:
        org = await emu.create_organization("R", webhook_url=receiver.url, webhook_secret="x")
        api = Api(session, emu.base_url, org.token)
        await _subscribe(api, "flowGenerations", "update")
        receiver.statuses = [500]
        await api.post("/flow-generations", doc("flowGenerations", generation_attributes()))
        for _ in range(200):
            await asyncio.sleep(0.005)
            await emu.settle()
            if len(receiver.of(lambda a: a["resource"]["attributes"]["status"] == "finished")):
                break
        statuses = [a["resource"]["attributes"]["status"] for a in receiver.of(bool)]
        assert statuses.count("processing") == 2  # the first try failed and was retried
        assert "finished" in statuses


async def test_slow_receiver_times_out_and_is_retried(
    receiver: Receiver, session: aiohttp.ClientSession
) -> None:
    """A receiver slower than webhook_timeout counts as failed and gets the same payload again."""
    async with Emulator(clock="manual", webhook_timeout=0.05) as emu:
        org = await emu.create_organization("T", webhook_url=receiver.url, webhook_secret="x")
        api = Api(session, emu.base_url, org.token)
        await _subscribe(api, "candidates", "create")
        receiver.delay = 0.2
        await api.create("candidates", "candidates", {"phone": "1"})
        await emu.settle()
        receiver.delay = 0
        await emu.advance(60)
        first, second = emu.deliveries
        assert first.status is None
        assert first.error is not None
        assert "Timeout" in first.error
        assert second.ok
        assert first.payload_id == second.payload_id


async def test_thousand_generations_with_webhooks_are_fast(
    emu: Emulator, api: Api, receiver: Receiver
) -> None:
    """1000 flow generations, each delivering 3 webhooks, complete: about 4000 requests over
    loopback, a few seconds on an idle machine. The limit only catches a hang (it allows
    30 ms a request: a shared, busy 2-core machine is several times slower)."""
    await hook_up(api, receiver.url)
    await _subscribe(api, "flowGenerations", "create")
    await _subscribe(api, "flowGenerations", "update", fields=["status"])
    body = doc("flowGenerations", generation_attributes())
    started = time.perf_counter()
    answers = await asyncio.gather(*(api.post("/flow-generations", body) for _ in range(1000)))
    assert {a.status for a in answers} == {201}
    await emu.advance(4)
    elapsed = time.perf_counter() - started
    assert len(receiver.received) == 3000
    assert emu.stats.created["flowGenerations"] == 1000
    assert elapsed < 4000 * 0.03
