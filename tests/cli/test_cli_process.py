"""The installed ``recrubo`` console script and ``python -m`` as real processes."""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import pytest

from tests.cli._helpers import (
    SECRET,
    EmulatorThread,
    Org,
    run,
    subscribe_and_generate,
)

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
