"""Ids never escape their path segment: for any string, a call either raises ValueError
before sending anything, or sends one request to ``<collection>/<one segment>`` whose
segment decodes back to the id."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recrubo_async import Client, RecruboError
from recrubo_async.cli import main as cli_main
from recrubo_async.waiters import PollingWaiter

from ..support.scripted_server import Reply, ScriptedServer

BASE = "/public/v2"
UNSAFE = ["", " ", ".", "..", " .. ", "../x", "a/b", "/", "a\\b", "x\x00", "\n", "..\t"]
#: Near misses of the unsafe ids: characters a path treats specially, dots in numbers.
ids = st.one_of(
    st.text(max_size=12),
    st.text(alphabet="./\\%?#; \t2eE", max_size=8),
    st.sampled_from([*UNSAFE, "...", ". .", "%2e%2e", "%2F", "a%2Fb", "~", "é"]),
)

Call = Callable[[Client, str], Awaitable[Any]]

#: Every verb that puts an id in a path, with the collection it must stay in.
CALLS: dict[str, tuple[str, Call]] = {
    "delete": ("/candidates", lambda c, i: c.candidates.delete(i)),
    "retrieve": ("/flows", lambda c, i: c.flows.retrieve(i)),
    "update": ("/candidates", lambda c, i: c.candidates.update(i, first_name="Ann")),
    "refresh_token": (
        "/management/refresh-token",
        lambda c, i: c.management.organizations.refresh_token(i),
    ),
    "flow_runs.update": ("/flow-runs", lambda c, i: c.flow_runs.update(i, status="cancelled")),
    "wait": ("/flow-generations", lambda c, i: c.flow_generations.wait(i, timeout=5)),
}


async def _outcome(server: ScriptedServer, client: Client, call: Call, id: str) -> str | None:
    """The one path sent, or None when the call refused the id before sending."""
    before = len(server.requests)
    try:
        await call(client, id)
    except RecruboError:
        pass  # a DecodeError is a ValueError too: the scripted answer fits no call
    except ValueError:
        assert len(server.requests) == before, f"{id!r} was refused after sending"
        return None
    sent = server.requests[before:]
    assert len(sent) >= 1, f"{id!r}: nothing sent and no ValueError"
    paths = {r.path for r in sent}
    assert len(paths) == 1, f"{id!r} was sent to {paths}"
    return paths.pop()


def _assert_one_segment(path: str, collection: str, id: str) -> None:
    prefix = BASE + collection + "/"
    assert path.startswith(prefix), f"{id!r} left {collection}: {path}"
    segment = path[len(prefix) :]
    assert "/" not in segment and segment not in ("", ".", "..")
    assert unquote(segment) == id, f"{id!r} arrived as {segment!r}"


async def _check_all(ids_: list[str]) -> None:
    finished = {"status": "finished"}
    done = Reply(body={"data": {"type": "flowGenerations", "id": "g", "attributes": finished}})
    async with ScriptedServer(default=done) as server:
        waiter = PollingWaiter()
        async with Client("k", base_url=server.url, max_retries=0, waiter=waiter) as client:
            for id in ids_:
                for collection, call in CALLS.values():
                    path = await _outcome(server, client, call, id)
                    if path is not None:
                        _assert_one_segment(path, collection, id)
                    elif id.strip() not in ("", ".", "..") and not _unsafe_chars(id):
                        pytest.fail(f"a safe id {id!r} was refused")


def _unsafe_chars(id: str) -> bool:
    return "/" in id or "\\" in id or ";" in id or any(ord(c) < 0x20 or ord(c) == 0x7F for c in id)


@settings(max_examples=40, deadline=None)
@given(st.lists(ids, min_size=1, max_size=10))
def test_any_id_is_refused_or_stays_in_one_path_segment(batch: list[str]) -> None:
    asyncio.run(_check_all(batch))


@pytest.mark.parametrize("id", UNSAFE)
async def test_unsafe_ids_are_refused_by_every_path(id: str) -> None:
    async with (
        ScriptedServer() as server,
        Client("k", base_url=server.url, max_retries=0) as client,
    ):
        for _, call in CALLS.values():
            with pytest.raises(ValueError, match="id"):
                await call(client, id)
        with pytest.raises(ValueError, match="id"):
            client.flow_generations.wait_token(id)
        with pytest.raises(ValueError, match="id"):
            async for _ in client.flow_runs.watch(id):
                pass
    assert server.requests == []


@pytest.mark.parametrize("id", ["..", ".", "a/b"])
def test_the_cli_refuses_unsafe_ids_as_a_usage_error(
    id: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECRUBO_API_KEY", "k")
    monkeypatch.setenv("RECRUBO_BASE_URL", "http://127.0.0.1:9/public/v2")
    assert cli_main(["get", "candidates", id]) == 2
    assert "not a safe path segment" in capsys.readouterr().err
