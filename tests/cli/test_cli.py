"""The ``recrubo`` command line against the real emulator over real sockets.

The emulator serves from a background thread with its own event loop, so ``main()`` runs
in the main thread exactly as in a terminal: it owns its event loop and receives real
SIGINT/SIGTERM. Two tests also run the installed console script as a subprocess.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from pathlib import Path
from typing import IO, Any, NamedTuple, TypeVar

import pytest

from recrubo_async import Client, __version__
from recrubo_async.cli import main
from recrubo_async.cli._app import build_parser
from recrubo_async.cli._commands import make_client
from recrubo_async.models import (
    FlowGeneration,
    FlowRun,
    Requirement,
    TextContext,
    VacancyApplicationParameters,
)
from recrubo_async.testing import Emulator, Timings

T = TypeVar("T")

SECRET = "whsec-cli-test-0123456789"
VACANCY = "Delivery driver in Amsterdam.\nFull time, licence B.\n"
PARAMETERS = VacancyApplicationParameters(
    knockout_requirements=[Requirement("Has licence B")],
    preferred_requirements=[],
    required_fields=[],
)


class EmulatorThread:
    """An ``Emulator`` served by an event loop in a background thread."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._emu: Emulator | None = None
        self._thread = threading.Thread(target=self._main, name="emulator", daemon=True)

    def _main(self) -> None:
        self._loop.run_until_complete(self._serve())
        self._loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        # Jobs take 0.2 s per step at speed 100: slow enough to watch, fast enough to test.
        timings = Timings(
            generation_queued=20, generation_processing=20, run_queued=20, run_running=30
        )
        async with Emulator(mode="sandbox", speed=100, timings=timings, seed=5) as emu:
            self._emu = emu
            self._ready.set()
            await self._stop.wait()

    def __enter__(self) -> EmulatorThread:
        self._thread.start()
        assert self._ready.wait(10), "the emulator did not start"
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    @property
    def emu(self) -> Emulator:
        assert self._emu is not None
        return self._emu

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the emulator's loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)

    def api(self, token: str, action: Callable[[Client], Awaitable[T]]) -> T:
        """Run ``action`` with an SDK client of the organization ``token``."""

        async def go() -> T:
            async with Client(token, base_url=self.emu.base_url, max_retries=0) as client:
                return await action(client)

        return self.call(go())


class Org(NamedTuple):
    id: str
    token: str


class Result(NamedTuple):
    code: int
    out: str
    err: str


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorThread]:
    with EmulatorThread() as thread:
        yield thread


@pytest.fixture
def org(emulator: EmulatorThread, monkeypatch: pytest.MonkeyPatch) -> Org:
    """A fresh organization whose key and the emulator's URL are in the environment."""
    created = emulator.call(emulator.emu.create_organization("CLI test"))
    monkeypatch.setenv("RECRUBO_API_KEY", created.token)
    monkeypatch.setenv("RECRUBO_BASE_URL", emulator.emu.base_url)
    monkeypatch.delenv("RECRUBO_WEBHOOK_SECRET", raising=False)
    return Org(created.id, created.token)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> Result:
    capsys.readouterr()
    code = main(list(argv))
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


def generation(emulator: EmulatorThread, org: Org) -> FlowGeneration:
    """A finished flow generation (sandbox ``?sync=true``)."""
    return emulator.api(
        org.token,
        lambda c: c.flow_generations.create(
            flow_type="vacancy_application_flow",
            parameters=PARAMETERS,
            context=TextContext(value=VACANCY),
            sync=True,
        ),
    )


def flow_run(emulator: EmulatorThread, org: Org, case: str) -> FlowRun:
    """A new flow run whose ``state`` carries ``case`` (for scripted outcomes)."""
    flow_id = generation(emulator, org).flow_id
    assert flow_id is not None

    async def start(client: Client) -> FlowRun:
        thread = await client.message_threads.create(channel="whatsapp", identifier="31600000001")
        return await client.flow_runs.create(
            flow_id=flow_id, message_thread_id=thread, state={"case": case}
        )

    return emulator.api(org.token, start)


def script_runs(emulator: EmulatorThread, outcome: str, case: str) -> None:
    async def script() -> None:
        emulator.emu.script_flow_run_outcome(outcome, metadata={"case": case}, times=None)

    emulator.call(script())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def signal_when(
    ready: Callable[[], bool], done: threading.Event, sig: int = signal.SIGINT
) -> threading.Thread:
    """Send ``sig`` to this process once ``ready()`` (or after 10 s), unless ``done``."""

    def watch() -> None:
        deadline = time.monotonic() + 10
        try:
            while not done.is_set() and time.monotonic() < deadline and not ready():
                time.sleep(0.01)
        finally:
            if not done.is_set():
                os.kill(os.getpid(), sig)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def one_error_line(result: Result, code: int) -> str:
    """The single ``recrubo: error:`` line of a failed run (nothing else on stderr)."""
    assert result.code == code, result
    lines = result.err.splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("recrubo: error: ")
    assert "Traceback" not in result.err
    return lines[0]


# -- help ----------------------------------------------------------------------------------


def test_help_lists_every_command_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "--help")
    assert result.code == 0
    for command in ("emulator", "flows", "flow-runs", "get", "list", "webhooks"):
        assert command in result.out


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "--version")
    assert (result.code, result.out.strip()) == (0, f"recrubo {__version__}")


# -- get -----------------------------------------------------------------------------------


def test_get_prints_key_value_lines_with_snake_case_names(
    emulator: EmulatorThread, org: Org, capsys: pytest.CaptureFixture[str]
) -> None:
    gen = generation(emulator, org)
    result = run(capsys, "get", "flow-generations", gen.id)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[:2] == ["type: flowGenerations", f"id: {gen.id}"]
    assert f"flow_id: {gen.flow_id}" in lines
    assert "status: finished" in lines
    assert "flow_type: vacancy_application_flow" in lines
    assert "    - value: Has licence B" in lines  # a list of objects, indented
    assert "    Full time, licence B." in lines  # the multi-line vacancy text
    assert any(line.startswith("created_at: ") for line in lines)


@pytest.mark.parametrize("type_name", ["flow_generations", "flow-generations", "flowGenerations"])
def test_get_accepts_the_attribute_kebab_and_json_api_type_names(
    emulator: EmulatorThread, org: Org, capsys: pytest.CaptureFixture[str], type_name: str
) -> None:
    gen = generation(emulator, org)
    result = run(capsys, "get", type_name, gen.id, "--json")
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert (doc["type"], doc["id"]) == ("flowGenerations", gen.id)
    assert doc["attributes"]["flowId"] == gen.flow_id  # the wire's camelCase
    assert doc["attributes"]["context"] == {"type": "text", "value": VACANCY}


def test_get_include_shows_relationship_targets_and_nested_state(
    emulator: EmulatorThread, org: Org, capsys: pytest.CaptureFixture[str]
) -> None:
    run_ = flow_run(emulator, org, "get")
    result = run(capsys, "get", "flowRuns", run_.id, "--include", "flow,message_thread")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[lines.index("state:") + 1] == "  case: get"
    assert "initial_message: {}" in lines
    relationships = lines[lines.index("relationships:") :]
    assert f"  flow: flows/{run_.flow_id}" in relationships
    assert f"  message_thread: messageThreads/{run_.message_thread_id}" in relationships


def test_get_include_prints_the_included_resources_as_a_table(
    emulator: EmulatorThread, org: Org, capsys: pytest.CaptureFixture[str]
) -> None:
    flow_id = generation(emulator, org).flow_id
    assert flow_id is not None
    result = run(capsys, "get", "flows", flow_id, "--include", "nodes.node_actions")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    included = lines[lines.index("included:") + 1 :]
    assert included[0].split() == ["type", "id", "summary"]
    types = {line.split()[0] for line in included[1:]}
    assert types == {"nodes", "nodeActions"}


def test_get_include_json_prints_data_and_included(
    emulator: EmulatorThread, org: Org, capsys: pytest.CaptureFixture[str]
) -> None:
    run_ = flow_run(emulator, org, "get-json")
    result = run(capsys, "get", "flowRuns", run_.id, "--include", "flow,message_thread", "--json")
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert (doc["data"]["type"], doc["data"]["id"]) == ("flowRuns", run_.id)
    assert {(r["type"], r["id"]) for r in doc["included"]} == {
        ("flows", run_.flow_id),
        ("messageThreads", run_.message_thread_id),
    }


def test_get_shows_booleans_and_lists_of_values(
    emulator: EmulatorThread, org: Org, capsys: pytest.CaptureFixture[str]
) -> None:
    flow_id = generation(emulator, org).flow_id
    assert flow_id is not None
    hook = emulator.api(
        org.token,
        lambda c: c.webhooks.create(
            resource_type="flowRuns", event="update", fields=["status", "state"]
        ),
    )
    flow = run(capsys, "get", "flows", flow_id)
    assert "unpublished_changes: false" in flow.out.splitlines()
    webhook = run(capsys, "get", "webhooks", hook.id)
    assert "fields: [status, state]" in webhook.out.splitlines()


# -- list ----------------------------------------------------------------------------------


def test_list_prints_a_table_following_pages_up_to_the_limit(
    emulator: EmulatorThread, org: Org, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = {generation(emulator, org).id for _ in range(3)}
    before = emulator.emu.stats.requests["GET /flow-generations"]
    result = run(capsys, "list", "flow_generations", "--page-size", "2", "--limit", "3")
    assert result.code == 0, result.err
    header, *rows = result.out.splitlines()
    assert header.split() == ["id", "status", "flow_type", "flow_id", "cost", "created_at"]
    assert {row.split()[0] for row in rows} == ids
    assert emulator.emu.stats.requests["GET /flow-generations"] - before == 2  # two pages
    limited = run(capsys, "list", "flow-generations", "--limit", "2")
    assert len(limited.out.splitlines()) == 3


def test_list_json_prints_one_document_of_sorted_filtered_items_and_includes(
    emulator: EmulatorThread, org: Org, capsys: pytest.CaptureFixture[str]
) -> None:
    gens = [generation(emulator, org) for _ in range(2)]
    result = run(
        capsys,
        "--json",
        "list",
        "flowGenerations",
        "--filter",
        "status=finished",
        "--filter",
        "createdAt[gte]=2000-01-01T00:00:00Z",
        "--sort",
        "-createdAt",
        "--include",
        "flow",
        "--limit",
        "0",
    )
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert [item["id"] for item in doc["data"]] == [g.id for g in reversed(gens)]
    assert {(i["type"], i["id"]) for i in doc["included"]} == {("flows", g.flow_id) for g in gens}


def test_list_shows_included_resources_below_the_table(
    emulator: EmulatorThread, org: Org, capsys: pytest.CaptureFixture[str]
) -> None:
    gen = generation(emulator, org)
    result = run(capsys, "list", "flow-generations", "--include", "flow")
    assert result.code == 0, result.err
    assert "\nincluded:\n" in result.out
    assert f"flows  {gen.flow_id}" in result.out


def test_list_with_no_match_says_so_on_stderr(org: Org, capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "list", "flows", "--filter", "createdAt[gt]=2999-01-01T00:00:00Z")
    assert (result.code, result.out, result.err) == (0, "", "no flows found\n")
    empty = run(capsys, "list", "flows", "--json")
    assert json.loads(empty.out) == {"data": [], "included": []}


# -- flows generate ------------------------------------------------------------------------


@pytest.fixture
def vacancy_file(tmp_path: Path) -> str:
    path = tmp_path / "vacancy.txt"
    path.write_text(VACANCY, encoding="utf-8")
    return str(path)


def test_flows_generate_prints_the_queued_generation_with_its_parameters(
    org: Org, vacancy_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run(
        capsys,
        "flows",
        "generate",
        "--vacancy",
        vacancy_file,
        "--knockout",
        "Has licence B",
        "--knockout",
        "Lives nearby",
        "--preferred",
        "Speaks Dutch",
        "--required-field",
        "email",
        "--optional-field",
        "phone",
        "--language",
        "nl",
        "--flow-name",
        "Drivers",
        "--json",
    )
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert doc["attributes"]["status"] == "queued"
    assert doc["attributes"]["parameters"] == {
        "knockoutRequirements": [{"value": "Has licence B"}, {"value": "Lives nearby"}],
        "preferredRequirements": [{"value": "Speaks Dutch"}],
        "requiredFields": [{"value": "email"}],
        "optionalFields": [{"value": "phone"}],
        "language": "nl",
        "flowName": "Drivers",
    }
    assert doc["attributes"]["context"] == {"type": "text", "value": VACANCY}


def test_flows_generate_an_unknown_required_field_is_a_usage_error_listing_valid_names(
    emulator: EmulatorThread, org: Org, vacancy_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = emulator.emu.stats.requests["POST /flow-generations"]
    result = run(
        capsys, "flows", "generate", "--vacancy", vacancy_file, "--required-field", "shoeSize"
    )
    line = one_error_line(result, 2)
    assert "'shoeSize'" in line and "firstName" in line
    assert emulator.emu.stats.requests["POST /flow-generations"] == before


def test_flows_generate_wait_shows_progress_and_prints_the_flow_id(
    emulator: EmulatorThread, org: Org, vacancy_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run(
        capsys,
        "flows",
        "generate",
        "--vacancy",
        vacancy_file,
        "--knockout",
        "Has licence B",
        "--wait",
        "--poll-interval",
        "0.05",
    )
    assert result.code == 0, result.err
    flow_id = result.out.strip()
    flow = emulator.api(org.token, lambda c: c.flows.retrieve(flow_id))
    progress = result.err.splitlines()
    assert progress[0].startswith("flow generation ") and progress[0].endswith(": queued")
    assert progress[-1].endswith(": finished")
    assert flow.flow_generation_id is not None and flow.flow_generation_id in progress[0]


def test_flows_generate_reads_the_vacancy_from_stdin(
    org: Org, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("Nurse wanted."))
    result = run(capsys, "--json", "flows", "generate", "--vacancy", "-", "--wait")
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert doc["attributes"]["status"] == "finished"
    assert doc["attributes"]["context"]["value"] == "Nurse wanted."


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_flows_generate_rewrites_one_progress_line_on_a_terminal(
    org: Org, vacancy_file: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    args = ["flows", "generate", "--vacancy", vacancy_file, "--wait", "--poll-interval", "0.05"]
    result = run(capsys, *args)
    assert result.code == 0
    shown = terminal.getvalue()
    assert shown.startswith("\rflow generation ") and shown.endswith("\n")
    assert shown.count("\n") == 1 and shown.count("\r") >= 2
    # The last state overwrites the longer one before it: padded to its length.
    last = shown.rsplit("\r", 1)[1]
    assert last.rstrip().endswith(": finished") and len(last) >= len(shown.split("\r")[-2])


def test_flows_generate_wait_timeout_is_one_error_line_and_exit_1(
    org: Org, vacancy_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run(
        capsys, "flows", "generate", "--vacancy", vacancy_file, "--wait", "--timeout", "0.05"
    )
    assert result.code == 1
    errors = [line for line in result.err.splitlines() if line.startswith("recrubo: error: ")]
    assert len(errors) == 1 and "did not reach 'finished'" in errors[0]
    assert "Traceback" not in result.err


# -- flow-runs watch -----------------------------------------------------------------------


def test_flow_runs_watch_prints_each_status_change_until_terminal(
    emulator: EmulatorThread, org: Org, capsys: pytest.CaptureFixture[str]
) -> None:
    run_ = flow_run(emulator, org, "watch")
    result = run(capsys, "flow-runs", "watch", run_.id, "--poll-interval", "0.02")
    assert result.code == 0, result.err
    statuses = result.out.splitlines()
    assert statuses[-2:] == ["running", "finished"]
    assert len(statuses) == len(set(statuses))


def test_flow_runs_watch_json_lines_and_exit_status_1_for_a_failed_run(
    emulator: EmulatorThread, org: Org, capsys: pytest.CaptureFixture[str]
) -> None:
    script_runs(emulator, "exception", "fails")
    run_ = flow_run(emulator, org, "fails")
    argv = ["--json", "flow-runs", "watch", run_.id, "--poll-interval", "0.02", "--exit-status"]
    result = run(capsys, *argv)
    assert result.code == 1
    states = [json.loads(line) for line in result.out.splitlines()]
    assert {(s["type"], s["id"]) for s in states} == {("flowRuns", run_.id)}
    assert states[-1]["attributes"]["status"] == "exception"
    assert result.err == ""


def test_ctrl_c_exits_130_quietly(
    emulator: EmulatorThread, org: Org, capsys: pytest.CaptureFixture[str]
) -> None:
    script_runs(emulator, "running", "forever")
    run_ = flow_run(emulator, org, "forever")
    done = threading.Event()
    signal_when(lambda: emulator.emu.stats.gets[run_.id] >= 2, done)
    try:
        result = run(capsys, "flow-runs", "watch", run_.id, "--poll-interval", "0.02")
    finally:
        done.set()
    assert (result.code, result.err) == (130, "")
    assert set(result.out.splitlines()) <= {"queued", "running"}


# -- webhooks listen -----------------------------------------------------------------------


def subscribe_and_generate(emulator: EmulatorThread, org: Org, port: int) -> str:
    """Point the organization's webhooks at ``port``, then create a flow generation."""

    async def setup(client: Client) -> FlowGeneration:
        await client.organizations.configure_webhooks(
            url=f"http://127.0.0.1:{port}/hooks", secret=SECRET
        )
        await client.webhooks.create(resource_type="flowGenerations", event="create")
        return await client.flow_generations.create(
            flow_type="vacancy_application_flow",
            parameters=PARAMETERS,
            context=TextContext(value=VACANCY),
        )

    return emulator.api(org.token, setup).id


def delivered(emulator: EmulatorThread, resource_id: str) -> bool:
    return any(
        d.resource_id == resource_id and d.status == 200 for d in list(emulator.emu.deliveries)
    )


@pytest.mark.parametrize("json_output", [False, True])
def test_webhooks_listen_prints_verified_deliveries_until_sigint(
    emulator: EmulatorThread, org: Org, capsys: pytest.CaptureFixture[str], json_output: bool
) -> None:
    port = free_port()
    created: list[str] = []

    def deliver() -> bool:
        if not created and port_open(port):
            created.append(subscribe_and_generate(emulator, org, port))
        return bool(created) and delivered(emulator, created[0])

    done = threading.Event()
    signal_when(deliver, done)
    argv = ["webhooks", "listen", "--port", str(port), "--secret", SECRET, "--path", "/hooks"]
    try:
        result = run(capsys, *(["--json"] if json_output else []), *argv)
    finally:
        done.set()
    assert result.code == 0, result.err
    url = f"http://127.0.0.1:{port}/hooks"
    assert result.err == f"Listening for Recrubo webhooks on {url}; Ctrl+C to stop.\n"
    if json_output:
        payload = json.loads(result.out)
        assert payload["type"] == "webhookPayload"
        assert payload["attributes"]["event"] == "create"
        assert payload["attributes"]["resource"]["id"] == created[0]
    else:
        assert result.out == f"create flowGenerations {created[0]} queued\n"


def test_webhooks_listen_on_a_busy_port_is_one_error_line_and_exit_1(
    org: Org, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        result = run(capsys, "webhooks", "listen", "--port", port, "--secret", SECRET)
    assert "cannot listen on 127.0.0.1:" in one_error_line(result, 1)


# -- emulator ------------------------------------------------------------------------------


def test_emulator_command_prints_url_and_keys_and_serves_until_sigint(
    capsys: pytest.CaptureFixture[str],
) -> None:
    port = free_port()
    done = threading.Event()
    signal_when(lambda: port_open(port), done)
    try:
        result = run(capsys, "emulator", "--port", str(port), "--mode", "production", "--seed", "3")
    finally:
        done.set()
    assert result.code == 0, result.err
    assert f"RECRUBO_BASE_URL=http://127.0.0.1:{port}/public/v2\n" in result.out
    assert "RECRUBO_API_KEY=rcb_" in result.out
    assert "Serving production emulator" in result.out


# -- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "the following arguments are required: COMMAND"),
        (["get", "widgets", "x"], "unknown resource type 'widgets'; choose one of: candidates"),
        (["list", "flows", "--filter", "status"], "bad --filter 'status': write FIELD=VALUE"),
        (["list", "flows", "--filter", "name[near]=x"], "unknown operator 'near'"),
        (["list", "flows", "--filter", "name="], "the value is empty"),
        (["list", "flows", "--filter", "a=1", "--filter", "a=2"], "a is filtered twice"),
        (["list", "flows", "--filter", "a[gt]=1", "--filter", "a[gt]=2"], "a is filtered twice"),
        (["list", "flows", "--include", "owner"], "flows has no relationship 'owner'"),
        (["list", "flows", "--page-size", "500"], "page_size must be from 1 to 200"),
        (["list", "flows", "--sort", ","], "sort is empty"),
        (["list", "flows", "--limit", "-1"], "expected a whole number"),
        (["--max-retries", "many", "list", "flows"], "expected a whole number"),
        (["get", "flows", " "], "the resource ID is empty"),
        (["flows", "generate", "--vacancy", "/no/such/file"], "No such file or directory"),
        (["flows", "generate", "--vacancy", "x", "--timeout", "5"], "applies only with --wait"),
        (["flows", "generate", "--vacancy", "x", "--timeout", "soon", "--wait"], "seconds"),
        (["webhooks", "listen", "--port", "0"], "no webhook secret"),
        (["webhooks", "listen", "--port", "0", "--secret", "s3cr3t!", "--path", "x"], "'/'"),
        (["--base-url", "ftp://example.com", "get", "flows", "x"], "base_url must be an http"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(
    org: Org, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    result = run(capsys, *argv)
    assert message in one_error_line(result, 2)
    assert result.out == ""


def test_a_missing_api_key_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RECRUBO_API_KEY", raising=False)
    result = run(capsys, "get", "flows", "x")
    assert one_error_line(result, 2) == (
        "recrubo: error: no API key: set RECRUBO_API_KEY (or pass --api-key)"
    )


def test_an_empty_vacancy_file_is_a_usage_error(
    org: Org, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n", encoding="utf-8")
    generate = ("flows", "generate", "--vacancy")
    assert "is empty" in one_error_line(run(capsys, *generate, str(empty)), 2)
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\xff\xfe\x00")
    assert "not UTF-8" in one_error_line(run(capsys, *generate, str(binary)), 2)


def test_api_errors_are_one_line_and_exit_1(org: Org, capsys: pytest.CaptureFixture[str]) -> None:
    missing = one_error_line(run(capsys, "get", "flows", "00000000-0000-0000-0000-000000000000"), 1)
    assert "404 Not Found" in missing
    bad_filter = one_error_line(run(capsys, "list", "flows", "--filter", "colour=red"), 1)
    assert "400 Bad Request" in bad_filter and "filter[colour]" in bad_filter


def test_a_refused_connection_is_one_line_and_exit_1(
    org: Org, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://127.0.0.1:{free_port()}/public/v2"
    result = run(capsys, "--base-url", url, "--max-retries", "0", "get", "flows", "x")
    assert "got no answer" in one_error_line(result, 1)


def test_the_api_key_never_appears_in_error_output(
    org: Org, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = "rcb_wrong_key_that_must_stay_secret"
    denied = run(capsys, "--api-key", wrong, "get", "flows", "x")
    assert "401 Unauthorized" in one_error_line(denied, 1)
    typo = run(capsys, "list", "flows", f"--api-key={wrong}", "--bogus", wrong)
    assert one_error_line(typo, 2).startswith("recrubo: error: unrecognized arguments: --bogus")
    env_key = run(capsys, "list", "flows", "--stray", org.token)
    one_error_line(env_key, 2)
    for result in (denied, typo, env_key):
        assert wrong not in result.err + result.out
        assert org.token not in result.err + result.out


def test_environment_flag_overrides_the_base_url_variable_but_not_the_flag(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RECRUBO_API_KEY", "rcb_key_from_the_environment")
    monkeypatch.setenv("RECRUBO_BASE_URL", "http://127.0.0.1:9/public/v2")

    def base_url(*argv: str) -> str:
        client = make_client(build_parser().parse_args([*argv, "get", "flows", "x"]))
        return client.base_url  # the session is made lazily: nothing to close

    assert base_url() == "http://127.0.0.1:9/public/v2"
    assert base_url("--environment", "sandbox") == "https://api-staging.recrubo.app/public/v2"
    explicit = ("--environment", "sandbox", "--base-url", "http://127.0.0.1:7/public/v2")
    assert base_url(*explicit) == "http://127.0.0.1:7/public/v2"


class _ClosedPipe(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_closed_output_pipe_ends_quietly_with_exit_1(
    emulator: EmulatorThread,
    org: Org,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    generation(emulator, org)
    monkeypatch.setattr(sys, "stdout", _ClosedPipe())
    result = run(capsys, "list", "flows")
    assert (result.code, result.err) == (1, "")


# -- a real process ------------------------------------------------------------------------


def _read_until(stream: IO[bytes], marker: str, timeout: float = 15) -> str:
    """What a subprocess writes to ``stream`` until ``marker`` shows up (unbuffered reads)."""
    seen = ""
    deadline = time.monotonic() + timeout
    while marker not in seen:
        left = deadline - time.monotonic()
        assert left > 0 and select.select([stream], [], [], left)[0], f"no {marker!r}: {seen!r}"
        chunk = os.read(stream.fileno(), 65536)
        assert chunk, f"the process ended before {marker!r}: {seen!r}"
        seen += chunk.decode()
    return seen


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECRUBO_")}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def test_console_script_serves_a_standalone_emulator_that_the_cli_can_query(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    script = Path(sys.executable).with_name("recrubo")
    args = [str(script), "emulator", "--port", "0", "--seed", "11", "--speed", "10"]
    with subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_environment()
    ) as proc:
        try:
            assert proc.stdout is not None
            banner = _read_until(proc.stdout, "Serving sandbox emulator")
            values = dict(line.split("=", 1) for line in banner.splitlines() if "=" in line)
            monkeypatch.setenv("RECRUBO_BASE_URL", values["RECRUBO_BASE_URL"])
            monkeypatch.setenv("RECRUBO_API_KEY", values["RECRUBO_API_KEY"])
            result = run(capsys, "get", "organizations", values["RECRUBO_ORGANIZATION_ID"])
            assert result.code == 0, result.err
            assert "name: Demo organization" in result.out
        finally:
            proc.send_signal(signal.SIGINT)
            assert proc.wait(10) == 0
            assert proc.stderr is not None and proc.stderr.read() == b""


def test_python_m_webhooks_listen_prints_json_lines_and_exits_0_on_sigterm(
    emulator: EmulatorThread, org: Org
) -> None:
    args = [sys.executable, "-m", "recrubo_async.cli", "--json", "webhooks", "listen"]
    args += ["--port", "0", "--path", "/hooks"]
    env = {**_environment(), "RECRUBO_WEBHOOK_SECRET": SECRET}
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) as proc:
        try:
            assert proc.stdout is not None and proc.stderr is not None
            banner = _read_until(proc.stderr, "Listening for Recrubo webhooks")
            found = re.search(r"http://127\.0\.0\.1:(\d+)/hooks", banner)
            assert found is not None, banner
            port = int(found[1])
            generation_id = subscribe_and_generate(emulator, org, port)
            payload = json.loads(_read_until(proc.stdout, generation_id))
            assert payload["attributes"]["resource"]["type"] == "flowGenerations"
        finally:
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(10) == 0
