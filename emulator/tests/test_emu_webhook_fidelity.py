"""Webhook fidelity: settings read at send time, duplicate subscriptions, compressible retries.

A real sender keeps the payload (its id and body) from the moment of the event, but reads
where to send it, and with which secret, when it sends: a retry after a secret rotation
carries the new secret. Every matching subscription gets its own payload, so identical
subscriptions deliver duplicates that no dedupe by payload id can catch.
"""

from __future__ import annotations

import asyncio
import io
from typing import Any

import aiohttp
import pytest

from emu_helpers import Api, Receiver, doc, hook_up, serving_receiver
from recrubo_emulator import Emulator, Faults
from recrubo_emulator.__main__ import parse_args, retry_schedule_of, serve

SECRET_HEADER = "X-Recrubo-Webhook-Secret"


async def _subscribe(api: Api, resource_type: str, event: str, **extra: Any) -> Any:
    return await api.create(
        "webhooks", "webhooks", {"resourceType": resource_type, "event": event, **extra}
    )


# -- settings read at each attempt ----------------------------------------------------------


async def test_a_retry_after_a_secret_rotation_carries_the_new_secret(
    emu: Emulator, api: Api, receiver: Receiver
) -> None:
    """The first attempt carries the old secret; its retry, after the rotation, the new one."""
    await hook_up(api, receiver.url, secret="old-secret")
    await _subscribe(api, "candidates", "create")
    receiver.statuses = [500]
    await api.create("candidates", "candidates", {"phone": "1"})
    await emu.settle()
    await hook_up(api, receiver.url, secret="new-secret")
    await emu.advance(60)
    assert [h[SECRET_HEADER] for h, _ in receiver.received] == ["old-secret", "new-secret"]
    assert len(set(receiver.payload_ids)) == 1  # the same payload, sent again
    assert [(d.attempt, d.status) for d in emu.deliveries] == [(1, 500), (2, 200)]


async def test_a_retry_after_the_organization_url_moves_goes_to_the_new_url(
    emu: Emulator, api: Api, receiver: Receiver
) -> None:
    """A retry goes to the organization's webhookUrl as it is when the retry is sent."""
    await hook_up(api, receiver.url)
    await _subscribe(api, "candidates", "create")
    receiver.statuses = [503]
    await api.create("candidates", "candidates", {"phone": "1"})
    await emu.settle()
    async with serving_receiver() as moved:
        await hook_up(api, moved.url)
        await emu.advance(60)
        assert len(receiver.received) == 1
        assert moved.payload_ids == receiver.payload_ids
        assert [d.url for d in emu.deliveries] == [receiver.url, moved.url]


async def test_a_delayed_first_attempt_reads_the_settings_when_it_is_sent(
    emu: Emulator, api: Api, receiver: Receiver
) -> None:
    """A payload held back (webhook_delay) is sent with the secret of the moment it leaves."""
    emu.faults = Faults(webhook_delay=5)
    await hook_up(api, receiver.url, secret="before")
    await _subscribe(api, "candidates", "create")
    await api.create("candidates", "candidates", {"phone": "1"})
    await hook_up(api, receiver.url, secret="after")
    await emu.advance(5)
    [(headers, _)] = receiver.received
    assert headers[SECRET_HEADER] == "after"


async def test_a_pending_retry_of_a_deleted_subscription_is_not_sent(
    emu: Emulator, api: Api, receiver: Receiver
) -> None:
    """Deleting a subscription ends its payloads' retries; the log says why."""
    await hook_up(api, receiver.url)
    sub = await _subscribe(api, "candidates", "create")
    receiver.statuses = [500] * 6
    await api.create("candidates", "candidates", {"phone": "1"})
    await emu.settle()
    assert (await api.delete(f"/webhooks/{sub['id']}")).status == 204
    await emu.advance(10**6)
    assert len(receiver.received) == 1
    first, last = emu.deliveries
    assert (first.attempt, first.status) == (1, 500)
    assert (last.attempt, last.status, last.url) == (2, None, None)
    assert last.error is not None
    assert "subscription was deleted" in last.error
    assert emu.stats.webhooks["discarded"] == 1
    assert emu.stats.webhooks["gave_up"] == 0


async def test_a_pending_retry_of_a_deleted_organization_is_not_sent(
    emu: Emulator, api: Api, partner: Api, receiver: Receiver
) -> None:
    """Deleting the organization (partner key) ends the retries of its payloads."""
    await hook_up(api, receiver.url)
    await _subscribe(api, "candidates", "create")
    receiver.statuses = [500] * 6
    await api.create("candidates", "candidates", {"phone": "1"})
    await emu.settle()
    own = (await api.get("/organizations")).data[0]
    assert (await partner.delete(f"/management/organizations/{own['id']}")).status == 204
    await emu.advance(10**6)
    assert len(receiver.received) == 1
    assert emu.deliveries[-1].error == "the organization was deleted; not sent"


# -- duplicate subscriptions ---------------------------------------------------------------


async def test_identical_subscriptions_each_deliver_their_own_payload(
    emu: Emulator, api: Api, receiver: Receiver
) -> None:
    """Two identical subscriptions: two deliveries, two payload ids, one per webhookId."""
    await hook_up(api, receiver.url)
    first = await _subscribe(api, "candidates", "create")
    second = await _subscribe(api, "candidates", "create")
    assert first["id"] != second["id"]
    assert len((await api.get("/webhooks")).data) == 2  # the API keeps both
    cand = await api.create("candidates", "candidates", {"phone": "1"})
    await emu.settle()
    bodies = [body["data"] for _, body in receiver.received]
    assert len(bodies) == 2
    assert len({b["id"] for b in bodies}) == 2  # dedupe by payload id cannot merge them
    assert {b["attributes"]["webhookId"] for b in bodies} == {first["id"], second["id"]}
    assert [b["attributes"]["resource"] for b in bodies] == [cand, cand]

    assert (await api.delete(f"/webhooks/{second['id']}")).status == 204
    await api.create("candidates", "candidates", {"phone": "2"})
    await emu.settle()
    assert [b["data"]["attributes"]["webhookId"] for _, b in receiver.received[2:]] == [first["id"]]


async def test_overlapping_update_subscriptions_each_deliver_when_they_match(
    emu: Emulator, api: Api, receiver: Receiver
) -> None:
    """An update matching several subscriptions (fields or none) is delivered once per match."""
    await hook_up(api, receiver.url)
    everything = await _subscribe(api, "candidates", "update")
    email = await _subscribe(api, "candidates", "update", fields=["email"])
    same_url = await _subscribe(api, "candidates", "update", webhookUrl=receiver.url)
    await _subscribe(api, "candidates", "update", fields=["phone"])
    cand = await api.create("candidates", "candidates", {"phone": "1"})
    await api.patch(f"/candidates/{cand['id']}", doc("candidates", {"email": "a@b.c"}))
    await emu.settle()
    hooks = sorted(a["webhookId"] for a in receiver.of(bool))
    assert hooks == sorted([everything["id"], email["id"], same_url["id"]])
    assert len(set(receiver.payload_ids)) == 3


# -- the retry schedule --------------------------------------------------------------------


async def test_an_empty_retry_schedule_never_retries(receiver: Receiver) -> None:
    """webhook_retry_schedule=() gives up after the first failed attempt."""
    async with Emulator(clock="manual", webhook_retry_schedule=()) as emu:
        org = await emu.create_organization("R", webhook_url=receiver.url, webhook_secret="x")
        async with aiohttp.ClientSession() as session:
            api = Api(session, emu.base_url, org.token)
            await _subscribe(api, "candidates", "create")
            receiver.statuses = [500]
            await api.create("candidates", "candidates", {"phone": "1"})
        await emu.advance(10**6)
        assert [d.attempt for d in emu.deliveries] == [1]
        assert emu.stats.webhooks["gave_up"] == 1


@pytest.mark.parametrize("schedule", [(1.0, -1.0), (float("nan"),), (float("inf"),)])
def test_bad_retry_schedules_are_refused(schedule: tuple[float, ...]) -> None:
    """Negative, NaN and infinite delays are refused when the Emulator is made."""
    with pytest.raises(ValueError, match="retry delays"):
        Emulator(webhook_retry_schedule=schedule)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], (60.0, 300.0, 1800.0, 7200.0, 75600.0)),
        (["--webhook-retry-delays", "1,2,5"], (1.0, 2.0, 5.0)),
        (["--webhook-retry-delays", "0.5"], (0.5,)),
        (["--webhook-retry-delays", "none"], ()),
        (["--webhook-retry-scale", "0.01"], (0.6, 3.0, 18.0, 72.0, 756.0)),
    ],
)
def test_command_line_retry_options_give_the_schedule(
    argv: list[str], expected: tuple[float, ...]
) -> None:
    """--webhook-retry-delays sets the delays; --webhook-retry-scale multiplies the API's."""
    assert retry_schedule_of(parse_args(argv)) == pytest.approx(expected)


@pytest.mark.parametrize(
    "argv",
    [
        ["--webhook-retry-delays", "1,x"],
        ["--webhook-retry-delays", "1,-2"],
        ["--webhook-retry-delays", "1,,2"],
        ["--webhook-retry-scale", "0"],
        ["--webhook-retry-scale", "nan"],
        ["--webhook-retry-scale", "0.1", "--webhook-retry-delays", "1"],
    ],
)
def test_command_line_refuses_bad_retry_options(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad delays, a non-positive scale, or both options at once: a usage error (exit 2)."""
    with pytest.raises(SystemExit) as exited:
        parse_args(argv)
    assert exited.value.code == 2
    assert "--webhook-retry" in capsys.readouterr().err


async def test_standalone_emulator_retries_on_the_compressed_schedule(
    receiver: Receiver,
) -> None:
    """serve(--webhook-retry-delays) retries a failing receiver within the given delays."""
    stop = asyncio.Event()
    out = io.StringIO()
    argv = ["--port", "0", "--seed", "3", "--webhook-retry-delays", "0.05,0.05"]
    task = asyncio.create_task(serve(parse_args(argv), stop=stop, out=out))
    try:
        for _ in range(500):
            if "Serving" in out.getvalue() or task.done():
                break
            await asyncio.sleep(0.01)
        assert "Webhook retries after (emulated seconds): 0.05, 0.05" in out.getvalue()
        env = dict(line.split("=", 1) for line in out.getvalue().splitlines() if "=" in line)
        receiver.statuses = [500, 500, 500, 500]
        async with aiohttp.ClientSession() as session:
            api = Api(session, env["RECRUBO_BASE_URL"], env["RECRUBO_API_KEY"])
            await hook_up(api, receiver.url)
            await _subscribe(api, "candidates", "create")
            await api.create("candidates", "candidates", {"phone": "1"})
        for _ in range(1000):  # generous: real time on a busy machine
            if len(receiver.received) >= 3:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)  # a fourth attempt would have come by now
        assert len(receiver.received) == 3  # the first attempt and two retries
        assert len(set(receiver.payload_ids)) == 1
    finally:
        stop.set()
        await task
