"""Helpers of the ``recrubo`` command-line tests: an emulator thread, a run, outcomes."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, NamedTuple, TypeVar

import pytest

from recrubo_async import Client
from recrubo_async.cli import main
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
