"""Copies of a delivery that arrive while it is being handled wait for its outcome: a
success makes them duplicates, a failure lets one of them run the handlers again."""

from __future__ import annotations

import asyncio

from recrubo_async.webhooks import WebhookPayload, WebhookReceiver

from ..support.deliveries import SECRET, delivery, generation, headers


async def test_after_a_failure_one_waiting_copy_runs_the_handlers_and_the_rest_are_duplicates() -> (
    None
):
    receiver = WebhookReceiver(secret=SECRET)
    attempts: list[str] = []
    release = asyncio.Event()

    @receiver.on()
    async def flaky(payload: WebhookPayload) -> None:
        attempts.append(payload.id)
        await release.wait()
        if len(attempts) == 1:
            raise RuntimeError("database is down")

    body = delivery(generation("g1", "finished"), payload_id="p1")
    tasks = [asyncio.create_task(receiver.handle(headers(), body)) for _ in range(4)]
    await asyncio.sleep(0.01)
    assert attempts == ["p1"]  # the copies wait for the first one's outcome
    release.set()
    results = await asyncio.gather(*tasks)
    assert [r.reason for r in results].count("handler failed") == 1
    assert sorted(r.reason for r in results if r.reason != "handler failed") == [
        "duplicate",
        "duplicate",
        "ok",
    ]
    assert attempts == ["p1", "p1"]
    assert receiver._in_flight == {}


async def test_a_waiting_copy_that_is_cancelled_does_not_disturb_the_others() -> None:
    receiver = WebhookReceiver(secret=SECRET)
    release = asyncio.Event()
    calls: list[str] = []

    @receiver.on()
    async def slow(payload: WebhookPayload) -> None:
        calls.append(payload.id)
        await release.wait()

    body = delivery(generation("g2", "finished"), payload_id="p2")
    first = asyncio.create_task(receiver.handle(headers(), body))
    await asyncio.sleep(0.01)
    impatient = asyncio.create_task(receiver.handle(headers(), body))
    patient = asyncio.create_task(receiver.handle(headers(), body))
    await asyncio.sleep(0.01)
    impatient.cancel()
    release.set()
    assert (await first).reason == "ok"
    assert (await patient).reason == "duplicate"
    assert impatient.cancelled()
    assert calls == ["p2"]
    assert receiver._in_flight == {}
