"""A client used from an event loop other than the one it first ran in raises
EventLoopError, which says what to do, before sending anything (not aiohttp's bare
RuntimeError from deep inside a request)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import aiohttp
import pytest

from recrubo_async import Client, ClientClosedError, EventLoopError

from ..support.scripted_server import Reply, ScriptedServer

ONE = Reply(body={"data": {"type": "flowGenerations", "id": "g1", "attributes": {}}})
_T = TypeVar("_T")


class Loops:
    """Two event loops alive at once, so the first can clean up after the second's test."""

    def __init__(self) -> None:
        self.first = asyncio.new_event_loop()
        self.second = asyncio.new_event_loop()

    def in_first(self, coro: Coroutine[Any, Any, _T]) -> _T:
        return self.first.run_until_complete(coro)

    def in_second(self, coro: Coroutine[Any, Any, _T]) -> _T:
        return self.second.run_until_complete(coro)


@pytest.fixture
def loops() -> Iterator[Loops]:
    pair = Loops()
    try:
        yield pair
    finally:
        pair.second.close()
        pair.first.close()


async def _start(server: ScriptedServer) -> ScriptedServer:
    return await server.__aenter__()


async def _retrieve(client: Client) -> str:
    return (await client.flow_generations.retrieve("g1")).id


def test_a_client_used_from_a_second_loop_raises_event_loop_error(loops: Loops) -> None:
    server = loops.in_first(_start(ScriptedServer(default=ONE)))
    client = Client("k", base_url=server.url, max_retries=0)  # made outside any loop
    try:
        assert loops.in_first(_retrieve(client)) == "g1"
        with pytest.raises(EventLoopError, match="one Client per event loop") as info:
            loops.in_second(_retrieve(client))
        assert isinstance(info.value, RuntimeError), "still a RuntimeError for old handlers"
        assert len(server.requests) == 1, "nothing was sent from the second loop"
        # A copy shares the session, so it belongs to the same loop.
        with pytest.raises(EventLoopError):
            loops.in_second(_retrieve(client.with_options(timeout=5)))
        # The first loop goes on working.
        assert loops.in_first(_retrieve(client)) == "g1"
    finally:
        loops.in_first(client.aclose())
        loops.in_first(server.__aexit__(None, None, None))


def test_a_closed_client_says_closed_from_any_loop(loops: Loops) -> None:
    client = Client("k", base_url="http://127.0.0.1:9/public/v2")
    loops.in_first(client.__aenter__())
    loops.in_first(client.aclose())
    with pytest.raises(ClientClosedError):
        loops.in_second(_retrieve(client))


def test_a_borrowed_session_belongs_to_the_loop_it_was_made_in(loops: Loops) -> None:
    server = loops.in_first(_start(ScriptedServer(default=ONE)))

    async def make_session() -> aiohttp.ClientSession:
        return aiohttp.ClientSession()

    session = loops.in_first(make_session())
    client = Client("k", base_url=server.url, session=session, max_retries=0)
    try:
        # First used from the second loop: the session's own loop decides.
        with pytest.raises(EventLoopError):
            loops.in_second(_retrieve(client))
        assert loops.in_first(_retrieve(client)) == "g1"
        assert len(server.requests) == 1
    finally:
        loops.in_first(session.close())
        loops.in_first(server.__aexit__(None, None, None))


async def test_a_client_made_and_used_in_one_loop_works(server: ScriptedServer) -> None:
    server.default = ONE
    async with Client("k", base_url=server.url) as client:
        assert await _retrieve(client) == "g1"
        assert await _retrieve(client.with_options(max_retries=0)) == "g1"
