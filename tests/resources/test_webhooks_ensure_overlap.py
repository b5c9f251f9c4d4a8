"""``client.webhooks.ensure()`` runs overlapping in more ways than two: three runs at once,
runs with ``prune=True``, a prune run between two runs' creates and their second list, and
overlapping runs whose lists take more than one page. Each ends with one subscription per
asked key, against the emulator over real sockets."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from recrubo_async import Client
from recrubo_async.models import EnsureResult

from .test_webhooks_ensure import (
    CANDIDATE_CHANGES,
    arrival,
    holding,
    ids,
    meeting,
    subscriptions,
    within,
)


def one_per_key(runs: list[EnsureResult], left: set[str]) -> None:
    """Every run agrees on the survivors, and each survivor was created by one run."""
    for run in runs:
        assert ids(run.created) | ids(run.kept) == left, run
    created = Counter(w.id for run in runs for w in run.created)
    assert set(created) == left and set(created.values()) == {1}
    for run in runs:
        assert not ids(run.withdrawn) & left


async def test_three_runs_that_overlap_leave_one_subscription_per_key(api: Client) -> None:
    all_listed, all_created = meeting(3), meeting(3)
    steps = {("POST", 1): all_listed, ("GET", 2): all_created}
    runs = [api.with_options(hooks=holding(steps)) for _ in range(3)]
    results = list(
        await within(asyncio.gather(*(run.webhooks.ensure(CANDIDATE_CHANGES) for run in runs)))
    )
    left = ids(await subscriptions(api))
    assert len(left) == 2
    one_per_key(results, left)
    assert sum(len(r.withdrawn) for r in results) == 4


async def test_two_prune_runs_that_overlap_delete_strays_once_and_keep_one_per_key(
    api: Client,
) -> None:
    stray = await api.webhooks.create(resource_type="vacancies", event="create")
    both_listed, both_created = meeting(), meeting()
    steps = {("POST", 1): both_listed, ("GET", 2): both_created}
    a, b = (api.with_options(hooks=holding(steps)) for _ in range(2))
    first, second = await within(
        asyncio.gather(
            a.webhooks.ensure(CANDIDATE_CHANGES, prune=True),
            b.webhooks.ensure(CANDIDATE_CHANGES, prune=True),
        )
    )
    left = ids(await subscriptions(api))
    assert len(left) == 2 and stray.id not in left
    one_per_key([first, second], left)
    for run in (first, second):  # both meant it gone; one of them found it gone already
        assert ids(run.deleted) == {stray.id}


@pytest.mark.parametrize("pruning", [False, True], ids=["plain", "prune"])
async def test_a_third_run_between_two_runs_creates_and_their_second_list(
    api: Client, pruning: bool
) -> None:
    """A and B both created; before either lists again, C runs: it sees both copies of
    each key, keeps the oldest (the one A or B will keep) and, with ``prune``, deletes the
    other, which its creator then withdraws without an error."""
    both_listed = meeting()
    both_created, go_on = asyncio.Event(), asyncio.Event()
    steps = {("POST", 1): both_listed, ("GET", 2): arrival(2, both_created, go_on)}
    a, b = (api.with_options(hooks=holding(steps)) for _ in range(2))
    runs = asyncio.gather(
        a.webhooks.ensure(CANDIDATE_CHANGES), b.webhooks.ensure(CANDIDATE_CHANGES)
    )
    await within(both_created.wait())
    third = await api.webhooks.ensure(CANDIDATE_CHANGES, prune=pruning)
    assert third.created == () and len(third.kept) == 2
    assert len(third.deleted if pruning else third.duplicates) == 2
    go_on.set()
    first, second = await within(runs)
    left = ids(await subscriptions(api))
    assert left == ids(third.kept)
    one_per_key([first, second], left)


async def test_overlapping_runs_read_every_page_of_both_lists(api: Client) -> None:
    """With more subscriptions than a page holds, each run's first and second list take
    two pages; the runs still agree."""
    await asyncio.gather(
        *(api.webhooks.create(resource_type="vacancies", event="update") for _ in range(200))
    )
    both_listed, both_created = meeting(), meeting()
    steps = {("POST", 1): both_listed, ("GET", 3): both_created}
    a, b = (api.with_options(hooks=holding(steps)) for _ in range(2))
    first, second = await within(
        asyncio.gather(a.webhooks.ensure(CANDIDATE_CHANGES), b.webhooks.ensure(CANDIDATE_CHANGES))
    )
    left = {w.id for w in await subscriptions(api) if w.resource_type == "candidates"}
    assert len(left) == 2
    one_per_key([first, second], left)
    assert len(first.unmatched) == len(second.unmatched) == 200
