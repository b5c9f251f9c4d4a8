"""``client.webhooks.ensure()`` when the list's pages shift under it: a subscription that a
concurrent delete moved onto the next page is read once, so ``prune=True`` never deletes
the one it keeps. A scripted server, since the emulator's pages never shift mid-list."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from recrubo_async import Client
from recrubo_async.models import FlowRun, WebhookSubscription

from ..support.scripted_server import Reply, ScriptedServer

ASKED = [WebhookSubscription(FlowRun, events=["update"])]


def webhook(wid: str, created: str, resource_type: str = "flowRuns") -> dict[str, Any]:
    return {
        "type": "webhooks",
        "id": wid,
        "attributes": {
            "resourceType": resource_type,
            "event": "update",
            "createdAt": created,
        },
    }


def page(items: list[dict[str, Any]], next_link: str | None) -> Reply:
    body: dict[str, Any] = {"data": items}
    if next_link is not None:
        body["links"] = {"next": next_link}
    return Reply(status=200, body=body)


@pytest.fixture
async def server() -> AsyncIterator[ScriptedServer]:
    async with ScriptedServer(default=Reply(status=204)) as srv:
        yield srv


async def test_a_subscription_listed_on_two_pages_is_kept_not_pruned(
    server: ScriptedServer,
) -> None:
    keeper = webhook("wh-keep", "2026-01-01T00:00:00.000Z")
    stray = webhook("wh-stray", "2026-01-02T00:00:00.000Z", resource_type="candidates")
    server.add(
        page([keeper, stray], "/public/v2/webhooks?page[number]=2&page[size]=200"),
        # A delete elsewhere shifted both onto the next page: each is read again.
        page([keeper, stray], None),
    )
    async with Client("key", base_url=server.url) as client:
        result = await client.webhooks.ensure(ASKED, prune=True)
    assert [w.id for w in result.kept] == ["wh-keep"]
    assert [w.id for w in result.deleted] == ["wh-stray"]
    assert result.duplicates == () and result.created == () and result.withdrawn == ()
    deletes = [r.path for r in server.requests if r.method == "DELETE"]
    assert deletes == ["/public/v2/webhooks/wh-stray"]


async def test_its_own_copy_is_compared_as_listed_not_as_the_create_answered(
    server: ScriptedServer,
) -> None:
    # The create answers createdAt in microseconds, the list in milliseconds (rounded):
    # compared as listed, both copies are at .001 and the lower id, the other run's, is the
    # keeper for both runs. Compared with the create's .0004, this run would keep its own
    # copy while the other run keeps its own too: two subscriptions, every event twice.
    server.add(
        page([], None),
        Reply(status=201, body={"data": webhook("wh-b", "2026-01-01T00:00:00.000400Z")}),
        page(
            [
                webhook("wh-b", "2026-01-01T00:00:00.001Z"),
                webhook("wh-a", "2026-01-01T00:00:00.001Z"),
            ],
            None,
        ),
    )
    async with Client("key", base_url=server.url) as client:
        result = await client.webhooks.ensure(ASKED)
    assert result.created == ()
    assert [w.id for w in result.withdrawn] == ["wh-b"]
    assert [w.id for w in result.kept] == ["wh-a"]
    assert [(r.method, r.path) for r in server.requests][-1] == (
        "DELETE",
        "/public/v2/webhooks/wh-b",
    )
