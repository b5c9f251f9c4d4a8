"""``client.webhooks.ensure()`` against the emulator: idempotent on every deploy, also when
runs overlap (held at chosen requests by ``on_request`` hooks) or one stops midway, prunes on
request, and after it one state change is delivered once per (type, event)."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

import attrs
import pytest

from recrubo_async import Client, Hooks, RequestEvent
from recrubo_async.models import (
    Candidate,
    EnsureResult,
    FlowRun,
    Webhook,
    WebhookSubscription,
)
from recrubo_async.testing import Emulator
from recrubo_async.webhooks import WebhookPayload, WebhookReceiver

from ..support.servers import receiver_app, serve

SECRET = "whsec-ensure-test-0123456789"
ASKED = [
    WebhookSubscription(FlowRun, events=["update"], fields=["status", "state"]),
    WebhookSubscription("flow_generations", events=["update", "delete"]),
]


async def subscriptions(api: Client) -> list[Webhook]:
    return [w async for w in api.webhooks.list(page_size=200)]


def ids(webhooks: tuple[Webhook, ...] | list[Webhook]) -> set[str]:
    return {w.id for w in webhooks}


async def test_the_first_run_creates_one_subscription_per_event_asked(api: Client) -> None:
    result = await api.webhooks.ensure(ASKED)
    assert result.kept == result.deleted == result.duplicates == result.unmatched == ()
    assert result.changed
    made = {(w.resource_type, str(w.event), frozenset(w.fields or ())) for w in result.created}
    assert made == {
        ("flowRuns", "update", frozenset({"status", "state"})),
        ("flowGenerations", "update", frozenset()),
        ("flowGenerations", "delete", frozenset()),
    }
    assert ids(await subscriptions(api)) == ids(result.created)


async def test_a_second_run_creates_nothing_and_keeps_what_the_first_made(api: Client) -> None:
    first = await api.webhooks.ensure(ASKED)
    second = await api.webhooks.ensure(ASKED)
    assert second.created == second.deleted == second.duplicates == ()
    assert not second.changed
    assert ids(second.kept) == ids(first.created)
    assert len(await subscriptions(api)) == 3


async def test_spellings_field_order_and_case_match_the_same_subscription(api: Client) -> None:
    """Model class, ``flowRuns`` or ``flow_runs``; fields as a set, snake_case or camelCase."""
    await api.webhooks.create(
        resource_type="flowRuns", event="update", fields=["updatedAt", "status"]
    )
    for asked in (
        WebhookSubscription(FlowRun, events=["update"], fields=["status", "updated_at"]),
        WebhookSubscription("flow_runs", events=["UPDATE"], fields=["updatedAt", "status"]),
        WebhookSubscription("flowRuns", events=["update"], fields=("status", "updatedAt")),
    ):
        result = await api.webhooks.ensure([asked])
        assert (len(result.created), len(result.kept)) == (0, 1), asked


async def test_other_fields_or_url_are_another_subscription(
    api: Client, caplog: pytest.LogCaptureFixture
) -> None:
    """A leftover with other fields also delivers some of the same changes: a warning."""
    old = await api.webhooks.create(resource_type="flowRuns", event="update", fields=["status"])
    with caplog.at_level(logging.WARNING, "recrubo_async.webhooks.ensure"):
        result = await api.webhooks.ensure(
            [
                WebhookSubscription(FlowRun, events=["update"], fields=["status", "state"]),
                WebhookSubscription(
                    FlowRun, events=["update"], fields=["status"], webhook_url="https://a.example/h"
                ),
            ]
        )
    assert len(result.created) == 2 and result.kept == ()
    assert ids(result.unmatched) == {old.id}
    assert f"({old.id}) deliver the same events" in caplog.text


async def test_duplicates_are_reported_and_logged_without_prune(
    api: Client, caplog: pytest.LogCaptureFixture
) -> None:
    """Identical copies deliver every event once each under other delivery ids."""
    copies = [
        await api.webhooks.create(resource_type="candidates", event="update") for _ in range(3)
    ]
    with caplog.at_level(logging.WARNING, "recrubo_async.webhooks.ensure"):
        result = await api.webhooks.ensure([WebhookSubscription(Candidate, events=["update"])])
    assert result.created == result.deleted == ()
    assert len(result.kept) == 1 and len(result.duplicates) == 2
    assert ids(result.kept) | ids(result.duplicates) == ids(copies)
    assert "2 duplicate webhook subscription(s)" in caplog.text
    assert "prune=True" in caplog.text
    assert len(await subscriptions(api)) == 3


async def test_prune_deletes_duplicates_and_what_is_not_asked(api: Client) -> None:
    for _ in range(2):
        await api.webhooks.create(resource_type="candidates", event="update")
    stray = await api.webhooks.create(resource_type="vacancies", event="create")
    result = await api.webhooks.ensure(
        [WebhookSubscription(Candidate, events=["update", "delete"])], prune=True
    )
    assert len(result.created) == 1 and len(result.kept) == 1
    assert len(result.deleted) == 2 and stray.id in ids(result.deleted)
    assert result.duplicates == result.unmatched == ()
    assert ids(await subscriptions(api)) == ids(result.created) | ids(result.kept)
    again = await api.webhooks.ensure(
        [WebhookSubscription(Candidate, events=["update", "delete"])], prune=True
    )
    assert not again.changed and len(again.kept) == 2


async def test_without_prune_nothing_is_deleted(api: Client) -> None:
    stray = await api.webhooks.create(resource_type="vacancies", event="create")
    result = await api.webhooks.ensure(ASKED)
    assert result.deleted == () and ids(result.unmatched) == {stray.id}
    assert stray.id in ids(await subscriptions(api))


async def test_it_reads_every_page_of_subscriptions(api: Client) -> None:
    """More subscriptions than one page (200) holds: the one asked is on the second page."""
    await asyncio.gather(
        *(api.webhooks.create(resource_type="vacancies", event="update") for _ in range(200))
    )
    wanted = await api.webhooks.create(resource_type="candidates", event="delete")
    first_page = await api.webhooks.list(page_size=200)
    assert wanted.id not in ids(list(first_page.items))
    result = await api.webhooks.ensure([WebhookSubscription(Candidate, events=["delete"])])
    assert result.created == () and ids(result.kept) == {wanted.id}
    assert len(result.unmatched) == 200


async def test_prune_with_nothing_asked_deletes_everything(api: Client) -> None:
    await api.webhooks.ensure(ASKED)
    result = await api.webhooks.ensure([], prune=True)
    assert len(result.deleted) == 3
    assert await subscriptions(api) == []


@pytest.mark.parametrize(
    ("subscriptions_arg", "error"),
    [
        ("flowRuns", TypeError),
        (WebhookSubscription(FlowRun), TypeError),
        ([{"resource_type": "flowRuns"}], TypeError),
        ([WebhookSubscription(FlowRun, events=[])], ValueError),
        ([WebhookSubscription(FlowRun, events=["updated"])], ValueError),
        ([WebhookSubscription(FlowRun, events=["create"], fields=["status"])], ValueError),
        ([WebhookSubscription("", events=["create"])], ValueError),
        ([WebhookSubscription(FlowRun), WebhookSubscription(FlowRun, events=["nope"])], ValueError),
        # Checked by the rule configure_webhooks uses, and after a valid entry: nothing
        # of the run is sent (a subscription nobody can receive is never created).
        (
            [
                WebhookSubscription("flowGenerations", events=["create"]),
                WebhookSubscription(FlowRun, events=["update"], webhook_url="ftp://x.test/h"),
            ],
            ValueError,
        ),
        ([WebhookSubscription(FlowRun, webhook_url="example.com/hook")], ValueError),
        ([WebhookSubscription(FlowRun, webhook_url=5)], ValueError),  # type: ignore[arg-type]
        (
            [WebhookSubscription(FlowRun, events=["update"], fields=[1])],  # type: ignore[list-item]
            TypeError,
        ),
    ],
)
async def test_a_malformed_request_fails_before_anything_is_sent(
    api: Client, subscriptions_arg: object, error: type[Exception]
) -> None:
    with pytest.raises(error):
        await api.webhooks.ensure(subscriptions_arg, prune=True)  # type: ignore[arg-type]
    assert await subscriptions(api) == []


async def test_an_empty_webhook_url_is_the_organizations(api: Client) -> None:
    """``webhook_url=""`` (say ``os.environ.get("WEBHOOK_URL", "")``) means the
    organization's URL, as None does."""
    result = await api.webhooks.ensure(
        [WebhookSubscription(FlowRun, events=["create"], webhook_url="")]
    )
    assert len(result.created) == 1
    again = await api.webhooks.ensure(
        [WebhookSubscription(FlowRun, events=["create"], webhook_url=None)]
    )
    assert not again.created and len(again.kept) == 1


def test_one_string_is_refused_where_a_list_is_meant() -> None:
    with pytest.raises(TypeError, match="not one string"):
        WebhookSubscription(FlowRun, events="update")
    with pytest.raises(TypeError, match="not one string"):
        WebhookSubscription(FlowRun, fields="status")


def test_the_request_and_the_result_are_frozen() -> None:
    sub = WebhookSubscription(FlowRun, events=["update"], fields=["status"])
    assert sub.events == ("update",) and sub.fields == ("status",)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        sub.events = ()  # type: ignore[misc]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        EnsureResult().created = ()  # type: ignore[misc]


@pytest.fixture
async def delivered(emu: Emulator, api: Client) -> AsyncIterator[Counter[tuple[str, str, str]]]:
    """(event, type, resource id) of each delivery the organization's receiver handled."""
    seen: Counter[tuple[str, str, str]] = Counter()
    receiver = WebhookReceiver(secret=SECRET)

    async def count(payload: WebhookPayload) -> None:
        seen[(str(payload.event), payload.resource.type, payload.resource.id)] += 1

    receiver.add_handler(count)
    async with serve(receiver_app(receiver)) as served:
        await api.organizations.configure_webhooks(url=served.url("/webhooks"), secret=SECRET)
        yield seen


async def change_a_candidate(emu: Emulator, api: Client) -> Candidate:
    """Create a candidate and change it once; every delivery is made before it returns."""
    candidate = await api.candidates.create(phone="31600000042")
    await api.candidates.update(candidate, first_name="Ada")
    await emu.settle()
    return candidate


async def test_duplicates_deliver_twice_until_ensure_prunes_them(
    emu: Emulator, api: Client, delivered: Counter[tuple[str, str, str]]
) -> None:
    """The emulator, like the API, delivers once per matching subscription; after
    ``ensure(prune=True)`` each change arrives once per (type, event)."""
    asked = [WebhookSubscription(Candidate, events=["create", "update"])]
    for _ in range(3):  # three deploys of a service that called subscribe() each time
        await api.webhooks.subscribe(Candidate, events=["create", "update"])
    before = await change_a_candidate(emu, api)
    assert delivered[("create", "candidates", before.id)] == 3
    assert delivered[("update", "candidates", before.id)] == 3

    await api.webhooks.ensure(asked, prune=True)
    await api.webhooks.ensure(asked, prune=True)  # the next deploy
    after = await change_a_candidate(emu, api)
    assert delivered[("create", "candidates", after.id)] == 1
    assert delivered[("update", "candidates", after.id)] == 1


# -- runs that overlap: replicas deploying at once --------------------------------------------

_T = TypeVar("_T")
CANDIDATE_CHANGES = [WebhookSubscription(Candidate, events=["create", "update"])]
Step = Callable[[], Awaitable[object]]


class Interrupted(Exception):
    """A run stopped between its creates and its second list (a crash, a failed request)."""


def holding(steps: dict[tuple[str, int], Step]) -> Hooks:
    """Hooks that, before a client's n-th request of a method, run (and await)
    ``steps[(method, n)]``: a way to hold one run's requests until another's are done."""
    made: Counter[str] = Counter()

    async def before(event: RequestEvent) -> None:
        made[event.method] += 1
        step = steps.get((event.method, made[event.method]))
        if step is not None:
            await step()

    return Hooks(on_request=before)


def arrival(parties: int, all_here: asyncio.Event, go: asyncio.Event) -> Step:
    """A step that sets ``all_here`` once ``parties`` reached it, then waits for ``go``."""
    arrived = Counter[str]()

    async def step() -> None:
        arrived["n"] += 1
        if arrived["n"] == parties:
            all_here.set()
        await go.wait()

    return step


def meeting(parties: int = 2) -> Step:
    """A step that no party passes until every party has reached it."""
    everyone = asyncio.Event()
    return arrival(parties, everyone, everyone)


async def within(work: Awaitable[_T]) -> _T:
    """Bounded, so a choreography that cannot happen fails instead of hanging."""
    return await asyncio.wait_for(work, 60)


async def test_two_runs_that_overlap_leave_one_subscription_per_key(
    emu: Emulator, api: Client, delivered: Counter[tuple[str, str, str]]
) -> None:
    """Both list before either creates and both create before either lists again: each
    withdraws the copies of its own that are not the oldest, and every change arrives once."""
    both_listed, both_created = meeting(), meeting()
    steps = {("POST", 1): both_listed, ("GET", 2): both_created}
    a, b = (api.with_options(hooks=holding(steps)) for _ in range(2))
    first, second = await within(
        asyncio.gather(a.webhooks.ensure(CANDIDATE_CHANGES), b.webhooks.ensure(CANDIDATE_CHANGES))
    )
    for run in (first, second):  # each created both: the runs did overlap
        assert len(run.created) + len(run.withdrawn) == 2
        assert run.changed and run.duplicates == run.deleted == ()
    left = await subscriptions(api)
    assert len(left) == 2
    assert ids(left) == ids(first.created) | ids(second.created)
    withdrawn = ids(first.withdrawn) | ids(second.withdrawn)
    assert len(withdrawn) == 2 and not withdrawn & ids(left)
    # What a run withdrew, it reports the other's copy of as kept.
    assert ids(first.kept) == ids(second.created) and ids(second.kept) == ids(first.created)

    after = await change_a_candidate(emu, api)
    assert delivered[("create", "candidates", after.id)] == 1
    assert delivered[("update", "candidates", after.id)] == 1


async def test_a_run_that_lists_again_before_the_other_creates_keeps_its_own(
    emu: Emulator, api: Client
) -> None:
    """A lists, B lists, A creates and lists again (only its own: kept), B creates later and
    finds A's older copies: B withdraws its own and reports A's as kept."""
    b_listed, release_b = asyncio.Event(), asyncio.Event()

    async def b_creates() -> None:
        b_listed.set()
        await release_b.wait()

    a = api.with_options(hooks=holding({("POST", 1): b_listed.wait}))
    b = api.with_options(hooks=holding({("POST", 1): b_creates}))
    later = asyncio.create_task(b.webhooks.ensure(CANDIDATE_CHANGES))
    first = await within(a.webhooks.ensure(CANDIDATE_CHANGES))
    await emu.advance(1)  # B's creates come later, as after any round trip
    release_b.set()
    second = await within(later)

    assert len(first.created) == 2 and first.withdrawn == first.kept == ()
    assert second.created == () and len(second.withdrawn) == 2
    assert ids(second.kept) == ids(first.created)
    assert ids(await subscriptions(api)) == ids(first.created)


@pytest.mark.parametrize("interrupted_first", [True, False], ids=["older", "newer"])
async def test_a_run_interrupted_between_create_and_second_list(
    emu: Emulator,
    api: Client,
    delivered: Counter[tuple[str, str, str]],
    interrupted_first: bool,
) -> None:
    """B stops after its creates. If its copies are the older, A withdraws its own; if the
    newer, they are duplicates: the next run reports them and a prune run deletes them.
    Either way each change then arrives once."""
    both_listed = meeting()
    created = {"a": asyncio.Event(), "b": asyncio.Event()}
    b_stopped = asyncio.Event()
    first, then = ("b", "a") if interrupted_first else ("a", "b")

    def creates(run: str) -> Step:
        async def step() -> None:
            await both_listed()
            if run == then:
                await created[first].wait()
                await emu.advance(1)  # its creates are the newer

        return step

    async def a_lists_again() -> None:
        created["a"].set()
        await b_stopped.wait()

    async def b_stops() -> None:
        created["b"].set()
        b_stopped.set()
        raise Interrupted

    a = api.with_options(hooks=holding({("POST", 1): creates("a"), ("GET", 2): a_lists_again}))
    b = api.with_options(hooks=holding({("POST", 1): creates("b"), ("GET", 2): b_stops}))
    survivor, stopped = await within(
        asyncio.gather(
            a.webhooks.ensure(CANDIDATE_CHANGES),
            b.webhooks.ensure(CANDIDATE_CHANGES),
            return_exceptions=True,
        )
    )
    assert isinstance(stopped, Interrupted) and isinstance(survivor, EnsureResult)
    left = await subscriptions(api)
    if interrupted_first:
        assert survivor.created == () and len(survivor.withdrawn) == 2
        assert ids(survivor.kept) == ids(left) and len(left) == 2
    else:
        assert len(survivor.created) == 2 and survivor.withdrawn == ()
        assert len(left) == 4  # B's newer copies stay until a run cleans up
        reported = await api.webhooks.ensure(CANDIDATE_CHANGES)
        assert ids(reported.kept) == ids(survivor.created) and len(reported.duplicates) == 2
        pruned = await api.webhooks.ensure(CANDIDATE_CHANGES, prune=True)
        assert ids(pruned.deleted) == ids(left) - ids(survivor.created)
        assert ids(await subscriptions(api)) == ids(survivor.created)
    again = await api.webhooks.ensure(CANDIDATE_CHANGES)
    assert not again.changed and again.duplicates == () and len(again.kept) == 2

    after = await change_a_candidate(emu, api)
    assert delivered[("create", "candidates", after.id)] == 1
    assert delivered[("update", "candidates", after.id)] == 1


async def test_requests_made_with_nothing_to_create_and_with_something(api: Client) -> None:
    """Nothing to create: one list. Something to create: list, creates, one more list."""
    sent: list[str] = []
    counted = api.with_options(hooks=Hooks(on_request=lambda e: sent.append(e.method)))
    await counted.webhooks.ensure(CANDIDATE_CHANGES)
    assert sent == ["GET", "POST", "POST", "GET"]
    sent.clear()
    await counted.webhooks.ensure(CANDIDATE_CHANGES)
    assert sent == ["GET"]
