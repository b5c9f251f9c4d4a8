"""Paginator: first page by await, every item by async for, links.next or short pages."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qsl

import pytest

from recrubo_async import Client, Page
from recrubo_async.models import Flow

from ..support.scripted_server import Reply, ScriptedServer


def flows(start: int, count: int) -> list[dict[str, Any]]:
    return [
        {"type": "flows", "id": f"f{i}", "attributes": {"name": f"Flow {i}"}}
        for i in range(start, start + count)
    ]


def page(start: int, count: int, next_link: str | bool | None = False) -> Reply:
    body: dict[str, Any] = {"data": flows(start, count), "meta": {"total": 7}}
    if next_link is not False:
        body["links"] = {"next": next_link}
    return Reply(body=body)


def client_tasks() -> set[asyncio.Task[Any]]:
    """Running tasks other than the scripted server's connection handlers."""
    return {t for t in asyncio.all_tasks() if "ScriptedServer" not in repr(t.get_coro())}


def query_of(server: ScriptedServer, n: int) -> dict[str, str]:
    return dict(parse_qsl(server.requests[n].query))


async def test_await_gives_the_first_page_with_items_links_meta_and_has_next(
    server: ScriptedServer, client: Client
) -> None:
    server.add(page(0, 3, "/public/v2/flows?page[number]=2&page[size]=3"))
    first = await client.flows.list(page_size=3)
    assert isinstance(first, Page)
    assert [f.id for f in first] == ["f0", "f1", "f2"]
    assert all(isinstance(f, Flow) for f in first.items)
    assert first.meta == {"total": 7}
    assert first.links["next"].endswith("page[size]=3")
    assert first.has_next
    assert len(server.requests) == 1


async def test_async_for_follows_links_next_over_three_pages(
    server: ScriptedServer, client: Client
) -> None:
    server.add(
        page(0, 3, "http://elsewhere.example/flows?page[number]=2&page[size]=3&sort=name"),
        page(3, 3, "/public/v2/flows?page[number]=3&page[size]=3&sort=name"),
        page(6, 1, None),
    )
    names = [f.name async for f in client.flows.list(page_size=3, sort="name")]
    assert names == [f"Flow {i}" for i in range(7)]
    assert len(server.requests) == 3
    # Only the query of a next link is used: requests stay on the client's own host.
    assert {r.path for r in server.requests} == {"/public/v2/flows"}
    assert query_of(server, 1)["page[number]"] == "2"
    assert query_of(server, 2) == {"page[number]": "3", "page[size]": "3", "sort": "name"}


async def test_without_links_pages_are_numbered_until_a_short_page(
    server: ScriptedServer, client: Client
) -> None:
    server.add(page(0, 2), page(2, 2), page(4, 1))
    ids = [f.id async for f in client.flows.list(page_size=2, filter={"name": {"prefix": "F"}})]
    assert ids == ["f0", "f1", "f2", "f3", "f4"]
    assert [query_of(server, n).get("page[number]") for n in range(3)] == [None, "2", "3"]
    assert all(query_of(server, n)["filter[name][prefix]"] == "F" for n in range(3))


async def test_without_links_a_full_last_page_ends_at_the_empty_page_after_it(
    server: ScriptedServer, client: Client
) -> None:
    server.add(page(0, 2), page(2, 2), page(4, 2), page(6, 0))
    assert len(await client.flows.list(page_size=2).to_list()) == 6
    assert len(server.requests) == 4


async def test_a_null_next_link_ends_the_list_even_when_the_page_is_full(
    server: ScriptedServer, client: Client
) -> None:
    server.add(page(0, 2, None))
    assert len(await client.flows.list(page_size=2).to_list()) == 2
    assert len(server.requests) == 1


async def test_a_next_link_repeating_the_current_query_stops_the_loop(
    server: ScriptedServer, client: Client
) -> None:
    server.add(page(0, 2, "/public/v2/flows?page[size]=2"))
    assert len(await client.flows.list(page_size=2).to_list()) == 2
    assert len(server.requests) == 1


async def test_pages_yields_every_page(server: ScriptedServer, client: Client) -> None:
    server.add(page(0, 2), page(2, 2), page(4, 1))
    sizes = [len(p) async for p in client.flows.list(page_size=2).pages()]
    assert sizes == [2, 2, 1]


async def test_max_items_stops_mid_page_without_fetching_more(
    server: ScriptedServer, client: Client
) -> None:
    server.add(page(0, 2), page(2, 2), page(4, 2))
    ids = await client.flows.list(page_size=2, max_items=3).to_list()
    assert [f.id for f in ids] == ["f0", "f1", "f2"]
    assert len(server.requests) == 2
    assert await client.flows.list(max_items=0).to_list() == []


def test_a_negative_max_items_is_refused(client: Client) -> None:
    with pytest.raises(ValueError, match="max_items"):
        client.flows.list(max_items=-1)


async def test_breaking_out_of_the_loop_leaves_no_request_or_task_running(
    server: ScriptedServer, client: Client
) -> None:
    server.add(page(0, 2), page(2, 2), page(4, 2))
    before = client_tasks()
    async for flow in client.flows.list(page_size=2):
        if flow.id == "f2":
            break
    await asyncio.sleep(0.05)
    assert len(server.requests) == 2
    assert client_tasks() == before
    async for _ in client.flows.list(page_size=2).pages():
        break
    await asyncio.sleep(0.05)
    assert len(server.requests) == 3
    assert client_tasks() == before


async def test_list_sends_filter_sort_include_fields_and_page_size(
    server: ScriptedServer, client: Client
) -> None:
    server.add(Reply(body={"data": []}))
    await client.nodes.list(
        filter={"flow_id": "f1", "end_flow_type": "declined"},
        sort=["-index"],
        include="node_actions",
        fields={"nodes": ["name", "end_flow_type"]},
        page_size=50,
    )
    assert query_of(server, 0) == {
        "filter[flowId]": "f1",
        "filter[endFlowType]": "declined",
        "sort": "-index",
        "include": "nodeActions",
        "fields[nodes]": "name,endFlowType",
        "page[size]": "50",
    }


def test_list_rejects_a_bad_include_before_any_request(client: Client) -> None:
    with pytest.raises(ValueError, match="nodes has no relationship 'steps'"):
        client.nodes.list(include="steps")
    with pytest.raises(ValueError, match="page_size"):
        client.nodes.list(page_size=500)
