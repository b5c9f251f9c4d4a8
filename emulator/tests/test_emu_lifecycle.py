"""Ways to run the emulator: in process, standalone, as a pytest fixture; clean shutdown."""

from __future__ import annotations

import asyncio
import gc
import io
import math
import os
import signal
import socket
import sys

import aiohttp
import pytest
from aiohttp import web

import recrubo_emulator as testing
from emu_helpers import Api, doc, generation_attributes
from recrubo_emulator import Emulator
from recrubo_emulator.__main__ import parse_args, serve


def test_public_names_are_exported_sorted() -> None:
    """recrubo_emulator exports a sorted __all__ of importable names."""
    assert testing.__all__ == sorted(testing.__all__)
    assert {"Emulator", "Faults"} <= set(testing.__all__)
    for name in testing.__all__:
        assert getattr(testing, name)
    assert set(testing.__all__) <= set(dir(testing))
    with pytest.raises(AttributeError):
        _ = testing.NoSuchName


async def test_in_process_emulator_serves_on_a_free_port() -> None:
    """async with Emulator() listens on 127.0.0.1; base_url ends in /public/v2."""
    async with Emulator() as emu:
        assert emu.base_url == f"http://127.0.0.1:{emu.port}/public/v2"
        assert emu.port > 0
        org = await emu.create_organization("Acme")
        assert org.token not in repr(org)
        async with aiohttp.ClientSession() as session:
            answer = await Api(session, emu.base_url, org.token).get("/organizations")
        assert answer.data[0]["id"] == org.id
        with pytest.raises(RuntimeError):
            await emu.start()


async def test_shutdown_cancels_jobs_and_stops_serving(session: aiohttp.ClientSession) -> None:
    """Leaving the context stops the server and drops pending jobs and deliveries."""
    emu = Emulator(speed=0.001)
    async with emu:
        org = await emu.create_organization("A", webhook_url="http://127.0.0.1:9/x")
        api = Api(session, emu.base_url, org.token)
        await api.create("webhooks", "webhooks", {"resourceType": "candidates", "event": "create"})
        await api.post("/flow-generations", doc("flowGenerations", generation_attributes()))
        await api.create("candidates", "candidates", {"phone": "1"})
        url = emu.base_url
    with pytest.raises(aiohttp.ClientConnectionError):
        await session.get(url + "/candidates")


async def test_a_failed_bind_closes_what_start_opened() -> None:
    """When the port is taken, start() raises and leaves no client session or runner open."""
    gc.collect()
    sessions = {id(s) for s in _open_sessions()}
    runners = {id(r) for r in _live_runners()}
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(OSError, match="address already in use"):
            async with Emulator(port=busy.getsockname()[1]):
                pass
    leaked = [s for s in _open_sessions() if id(s) not in sessions]
    leaked_runners = [r for r in _live_runners() if id(r) not in runners]
    for session in leaked:  # keep the rest of the run quiet once the assertion fails
        await session.close()
    for runner in leaked_runners:
        await runner.cleanup()
    assert not leaked, "start() left its webhook ClientSession open"
    assert not leaked_runners, "start() left its AppRunner set up"


def _open_sessions() -> list[aiohttp.ClientSession]:
    return [o for o in gc.get_objects() if isinstance(o, aiohttp.ClientSession) and not o.closed]


def _live_runners() -> list[web.AppRunner]:
    return [o for o in gc.get_objects() if isinstance(o, web.AppRunner) and o.server is not None]


def test_constructor_rejects_bad_options() -> None:
    """Unknown modes, clocks, outcomes and speeds not finite and above 0 are refused early."""
    with pytest.raises(ValueError, match="mode"):
        Emulator(mode="staging")
    with pytest.raises(ValueError, match="clock"):
        Emulator(clock="sundial")
    with pytest.raises(ValueError, match="flow_run_outcome"):
        Emulator(flow_run_outcome="maybe")
    for speed in (0, -1, math.nan, math.inf):
        with pytest.raises(ValueError, match="speed"):
            Emulator(speed=speed)


async def test_openapi_document_is_served_without_auth(api: Api) -> None:
    """GET /public/v2/openapi.json needs no key and describes every resource path."""
    answer = await api.with_token(None).get("/openapi.json")
    assert answer.status == 200
    spec = answer.json
    assert spec["openapi"].startswith("3.1")
    for path in ("/flow-generations", "/vacancies/{id}", "/management/organizations", "/webhooks"):
        assert path in spec["paths"]
    assert "post" not in spec["paths"]["/conversations"]
    assert "patch" in spec["paths"]["/organizations/{id}"]


async def test_pytest_fixture_yields_a_started_sandbox_emulator(
    recrubo_emulator: Emulator,
) -> None:
    """The recrubo_emulator fixture (pytest11 plugin) gives a running sandbox Emulator."""
    assert recrubo_emulator.mode == "sandbox"
    org = await recrubo_emulator.create_organization("Fixture")
    async with aiohttp.ClientSession() as session:
        api = Api(session, recrubo_emulator.base_url, org.token)
        assert (await api.get("/candidates")).status == 200


@pytest.mark.recrubo_emulator(clock="manual", mode="production")
async def test_pytest_fixture_takes_options_from_its_marker(recrubo_emulator: Emulator) -> None:
    """@pytest.mark.recrubo_emulator(...) passes keyword arguments to the Emulator."""
    assert recrubo_emulator.mode == "production"
    assert recrubo_emulator.manual_clock


async def test_standalone_serve_prints_url_and_keys() -> None:
    """serve() prints the base URL and keys, then serves until stopped."""
    stop = asyncio.Event()
    out = io.StringIO()
    task = asyncio.create_task(
        serve(parse_args(["--port", "0", "--seed", "1"]), stop=stop, out=out)
    )
    for _ in range(200):
        if "Serving" in out.getvalue():
            break
        await asyncio.sleep(0.01)
    lines = dict(line.split("=", 1) for line in out.getvalue().splitlines() if "=" in line)
    async with aiohttp.ClientSession() as session:
        api = Api(session, lines["RECRUBO_BASE_URL"], lines["RECRUBO_API_KEY"])
        assert (await api.get("/candidates")).status == 200
        partner = api.with_token(lines["RECRUBO_PARTNER_KEY"])
        assert (await partner.get("/management/organizations")).status == 200
    stop.set()
    await task


async def test_module_entry_point_exits_cleanly_on_sigint() -> None:
    """python -m recrubo_emulator prints its URL, serves, and exits 0 on SIGINT."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "recrubo_emulator",
        "--port",
        "0",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None
    first = await asyncio.wait_for(proc.stdout.readline(), 20)
    assert first.startswith(b"RECRUBO_BASE_URL=http://127.0.0.1:")
    while b"Serving" not in await asyncio.wait_for(proc.stdout.readline(), 20):
        pass
    proc.send_signal(signal.SIGINT)
    _, stderr = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0, stderr
    assert b"Traceback" not in stderr
