"""``recrubo webhooks ensure`` against the real emulator over real sockets.

The emulator serves on the test's event loop; ``main()`` runs in a worker thread with its
own event loop, as it would in a terminal.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from collections.abc import AsyncIterator
from typing import Any, NamedTuple

import aiohttp
import pytest
from aiohttp import web

from recrubo_async import Client
from recrubo_async.cli import main
from recrubo_async.models import WebhookSubscription
from recrubo_async.testing import Emulator

from ..support.servers import serve


class Result(NamedTuple):
    code: int
    out: str
    err: str


class CLI:
    """Runs ``recrubo`` as the organization whose key is in the environment."""

    def __init__(self, capsys: pytest.CaptureFixture[str], client: Client) -> None:
        self._capsys = capsys
        self.client = client

    async def __call__(self, *argv: str) -> Result:
        self._capsys.readouterr()
        code = await asyncio.to_thread(main, list(argv))
        captured = self._capsys.readouterr()
        return Result(code, captured.out, captured.err)

    async def json(self, *argv: str) -> dict[str, list[dict[str, Any]]]:
        result = await self(*argv, "--json")
        assert result.code == 0, result.err
        doc: dict[str, list[dict[str, Any]]] = json.loads(result.out)
        return doc


@pytest.fixture
async def cli(
    emu: Emulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[CLI]:
    org = await emu.create_organization("CLI ensure")
    monkeypatch.setenv("RECRUBO_API_KEY", org.token)
    monkeypatch.setenv("RECRUBO_BASE_URL", emu.base_url)
    async with Client(org.token, base_url=emu.base_url, max_retries=0) as client:
        yield CLI(capsys, client)


ENSURE = ("webhooks", "ensure")
ASK = ("--subscribe", "flowRuns:update:status,state", "--subscribe", "flow-generations:update")


async def test_a_first_run_creates_and_a_second_keeps(cli: CLI) -> None:
    first = await cli(*ENSURE, *ASK)
    assert first.code == 0, first.err
    lines = first.out.splitlines()
    assert lines[0].split() == ["action", "id", "type", "event", "fields", "webhook_url"]
    rows = sorted(line.split()[:1] + line.split()[2:5] for line in lines[1:])
    assert rows == [
        ["created", "flowGenerations", "update", "-"],
        ["created", "flowRuns", "update", "state,status"],
    ]
    assert "2 created, 0 kept, 0 deleted" in first.err

    second = await cli(*ENSURE, *ASK)
    assert second.code == 0, second.err
    assert [line.split()[0] for line in second.out.splitlines()[1:]] == ["kept", "kept"]
    assert "0 created, 2 kept, 0 deleted" in second.err
    assert len((await cli.client.webhooks.list()).items) == 2


async def test_json_reports_duplicates_then_prune_deletes_them(cli: CLI) -> None:
    client = cli.client
    for _ in range(2):
        await client.webhooks.create(resource_type="candidates", event="delete")
    stray = await client.webhooks.create(resource_type="vacancies", event="create")

    doc = await cli.json(*ENSURE, "--subscribe", "candidates:delete")
    assert set(doc) == {"created", "kept", "deleted", "duplicates", "unmatched", "withdrawn"}
    assert (len(doc["kept"]), len(doc["duplicates"])) == (1, 1)
    assert [w["id"] for w in doc["unmatched"]] == [stray.id]
    assert doc["kept"][0]["attributes"]["resourceType"] == "candidates"

    warned = await cli(*ENSURE, "--subscribe", "candidates:delete")
    assert warned.code == 0
    assert "1 duplicate subscription(s) left in place" in warned.err
    assert "--prune" in warned.err

    pruned = await cli.json(*ENSURE, "--subscribe", "candidates:delete", "--prune")
    assert len(pruned["deleted"]) == 2 and stray.id in {w["id"] for w in pruned["deleted"]}
    assert pruned["created"] == pruned["duplicates"] == pruned["unmatched"] == []
    left = (await client.webhooks.list()).items
    assert [w.id for w in left] == [pruned["kept"][0]["id"]]


async def test_the_console_warns_once_in_its_own_words(cli: CLI) -> None:
    """As a process (no logging configured): the command's note, not the SDK's log line."""
    for _ in range(2):
        await cli.client.webhooks.create(resource_type="candidates", event="delete")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "recrubo_async.cli",
        *ENSURE,
        "--subscribe",
        "candidates:delete",
        env=dict(os.environ),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    assert [line.split()[0] for line in out.decode().splitlines()[1:]] == ["kept", "duplicate"]
    assert "1 duplicate subscription(s) left in place" in err.decode()
    assert "prune=True" not in err.decode()


async def test_a_type_alone_asks_every_event_and_webhook_url_applies(cli: CLI) -> None:
    url = "https://hooks.example/recrubo"
    doc = await cli.json(*ENSURE, "--subscribe", "candidates", "--webhook-url", url)
    made = sorted((w["attributes"]["event"], w["attributes"]["webhookUrl"]) for w in doc["created"])
    assert made == [("create", url), ("delete", url), ("update", url)]
    # Without the URL these are other subscriptions (to the organization's URL).
    other = await cli.json(*ENSURE, "--subscribe", "candidates:create")
    assert len(other["created"]) == 1 and len(other["unmatched"]) == 3


def holding_proxy(target: str, arrived: asyncio.Event, release: asyncio.Event) -> web.Application:
    """A real HTTP proxy to ``target`` that holds each POST until ``release`` is set (and
    sets ``arrived`` when one is held): a run that listed but has not created yet."""

    async def forward(request: web.Request) -> web.Response:
        if request.method == "POST":
            arrived.set()
            await release.wait()
        headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
        async with (
            aiohttp.ClientSession() as session,
            session.request(
                request.method, target + request.path_qs, headers=headers, data=await request.read()
            ) as answer,
        ):
            body = await answer.read()
            kept = {"Content-Type": answer.headers.get("Content-Type", "application/json")}
            return web.Response(status=answer.status, body=body, headers=kept)

    app = web.Application()
    app.router.add_route("*", "/{path:.*}", forward)
    return app


async def test_a_run_overlapped_by_an_earlier_one_prints_what_it_withdrew(
    cli: CLI, emu: Emulator
) -> None:
    """The command listed before another run created, and created after it: it deletes its
    own copy, prints it as ``withdrawn`` and the other run's as ``kept``."""
    held, release = asyncio.Event(), asyncio.Event()
    origin = emu.base_url.split("/public/")[0]
    async with serve(holding_proxy(origin, held, release)) as proxy:
        base_url = proxy.url(emu.base_url[len(origin) :])
        command = asyncio.create_task(
            cli(*ENSURE, "--subscribe", "candidates:delete", "--base-url", base_url)
        )
        await asyncio.wait_for(held.wait(), 60)  # it listed: nothing there yet
        earlier = await cli.client.webhooks.ensure(
            [WebhookSubscription("candidates", events=["delete"])]
        )
        await emu.advance(1)  # the command's create comes later, as after any round trip
        release.set()
        result = await asyncio.wait_for(command, 60)
    assert result.code == 0, result.err
    rows = sorted(line.split()[:2] for line in result.out.splitlines()[1:])
    (kept,) = earlier.created
    assert rows[0] == ["kept", kept.id] and rows[1][0] == "withdrawn"
    assert "0 created, 1 kept, 0 deleted" in result.err
    assert "1 created subscription(s) deleted again" in result.err
    assert [w.id for w in (await cli.client.webhooks.list()).items] == [kept.id]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--subscribe", "flowRuns:update:status:x"], "write TYPE[:EVENTS[:FIELDS]]"),
        (["--subscribe", ":update"], "write TYPE[:EVENTS[:FIELDS]]"),
        (["--subscribe", "robots:update"], "unknown resource type 'robots'"),
        (["--subscribe", "flowRuns:updated"], "unknown event 'updated'"),
        (["--subscribe", "flowRuns:"], "unknown event ''"),
        (["--subscribe", "flowRuns:create:status"], "fields narrow only 'update' events"),
        (["--subscribe", "flowRuns:update:status,"], "a field name is empty"),
        (["--subscribe", "flowRuns", "--webhook-url", " "], "--webhook-url is empty"),
        (["--prune"], "--subscribe"),
    ],
)
def test_a_bad_command_line_is_a_usage_error_before_any_request(
    argv: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Nothing listens there: a request would be a connection error (1), not a usage error.
    monkeypatch.setenv("RECRUBO_API_KEY", "org-key-unused-0123456789")
    monkeypatch.setenv("RECRUBO_BASE_URL", "http://127.0.0.1:9/public/v2")
    assert main([*ENSURE, *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("recrubo: error: ") and message in err
    assert len(err.splitlines()) == 1


async def test_the_examples_in_help_and_in_the_usage_error_run_as_shown(cli: CLI) -> None:
    """What --help and a malformed --subscribe suggest is accepted by the API as written."""
    helped = await cli(*ENSURE, "--help")
    refused = await cli(*ENSURE, "--subscribe", "flowRuns:update:status:extra")
    assert refused.code == 2
    examples = set()
    for text in (helped.out, refused.err):
        match = re.search(r"e\.g\. (\S+?)[;,]?(?:\s|$)", " ".join(text.split()))
        assert match, text
        examples.add(match.group(1))
    assert "flowRuns:update:status,state" in examples, examples
    for example in examples:
        result = await cli(*ENSURE, "--subscribe", example)
        assert result.code == 0, (example, result.err)
