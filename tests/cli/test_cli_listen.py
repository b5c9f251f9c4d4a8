"""``recrubo webhooks listen`` and ``recrubo emulator`` in-process (against the real emulator)."""

from __future__ import annotations

import json
import socket
import threading

import pytest

from tests.cli._helpers import (
    SECRET,
    EmulatorThread,
    Org,
    delivered,
    free_port,
    one_error_line,
    port_open,
    run,
    signal_when,
    subscribe_and_generate,
)

# -- webhooks listen -----------------------------------------------------------------------


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


@pytest.mark.parametrize("secret", ["whsec-0001\n", " whsec-0001"])
def test_webhooks_listen_with_a_secret_a_header_cannot_carry_is_one_usage_error_line(
    secret: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A secret read from a file into the environment keeps its trailing newline: exit 2,
    one line naming the option, without the secret."""
    monkeypatch.setenv("RECRUBO_WEBHOOK_SECRET", secret)
    result = run(capsys, "webhooks", "listen", "--port", "0")
    line = one_error_line(result, 2)
    assert "--secret (or RECRUBO_WEBHOOK_SECRET)" in line
    assert secret.strip() not in result.err + result.out


@pytest.mark.parametrize("path", ["/hooks/{x", "/hooks/{y:[}"])
def test_webhooks_listen_with_a_path_aiohttp_cannot_route_is_one_usage_error_line(
    path: str, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run(capsys, "webhooks", "listen", "--port", "0", "--secret", SECRET, "--path", path)
    assert f"--path {path!r}" in one_error_line(result, 2)


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
