"""A ``links.next`` that leads back to a page already read raises PaginationCycleError
instead of looping for ever; distinct pages are followed as before."""

from __future__ import annotations

from typing import Any

import pytest

from recrubo_async import Client, PaginationCycleError

from ..support.scripted_server import Reply, ScriptedServer

A = "/public/v2/flows?page[size]=2"
B = "/public/v2/flows?page[size]=2&page[number]=2"
C = "/public/v2/flows?page[number]=3&page[size]=2"


def page(start: int, next_link: str | None) -> Reply:
    data = [{"type": "flows", "id": f"f{i}", "attributes": {}} for i in (start, start + 1)]
    body: dict[str, Any] = {"data": data, "links": {"next": next_link}}
    return Reply(body=body)


async def test_a_next_link_back_to_the_first_page_raises(
    server: ScriptedServer, client: Client
) -> None:
    """A -> B -> A: the third fetch never happens."""
    server.default = page(0, B)  # A links to B, and so would every further answer
    server.add(page(0, B), page(2, A))
    seen: list[str] = []

    async def read_all() -> None:
        async for flow in client.flows.list(page_size=2):
            seen.append(flow.id)

    with pytest.raises(PaginationCycleError, match="already read") as info:
        await read_all()
    assert seen == ["f0", "f1", "f2", "f3"], "every item before the cycle is yielded once"
    assert len(server.requests) == 2
    assert sorted(info.value.query) == sorted([("page[size]", "2")])


async def test_a_longer_cycle_raises_after_each_page_was_read_once(
    server: ScriptedServer, client: Client
) -> None:
    """A -> B -> C -> B, with C's parameters in another order than the link before."""
    server.default = page(99, B)
    server.add(page(0, B), page(2, C), page(4, B))
    with pytest.raises(PaginationCycleError):
        await client.flows.list(page_size=2).to_list()
    assert len(server.requests) == 3


async def test_pages_raises_on_a_cycle_too(server: ScriptedServer, client: Client) -> None:
    server.default = page(99, B)
    server.add(page(0, B), page(2, A))
    pages = []

    async def read_all() -> None:
        async for one in client.flows.list(page_size=2).pages():
            pages.append(one)

    with pytest.raises(PaginationCycleError):
        await read_all()
    assert len(pages) == 2 and len(server.requests) == 2


async def test_distinct_next_links_are_all_followed(server: ScriptedServer, client: Client) -> None:
    server.add(page(0, B), page(2, C), page(4, None))
    flows = await client.flows.list(page_size=2).to_list()
    assert [f.id for f in flows] == ["f0", "f1", "f2", "f3", "f4", "f5"]
    assert len(server.requests) == 3
