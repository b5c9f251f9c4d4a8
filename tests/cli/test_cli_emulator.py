"""``recrubo emulator``: one command line with ``python -m recrubo_emulator`` (every
``Emulator`` option, no client options) and ``recrubo emulator stats`` (plain and --json)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest

from recrubo_async.cli import main


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def served() -> Iterator[dict[str, str]]:
    """``recrubo emulator`` with fault and timing options, in its own process."""
    argv = ["--port", "0", "--latency", "0.01", "--run-running", "2", "--seed", "3"]
    process = subprocess.Popen(
        [sys.executable, "-m", "recrubo_async.cli", "emulator", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    lines: dict[str, str] = {}
    try:
        for line in process.stdout:
            if line.startswith("RECRUBO_"):
                key, _, value = line.strip().partition("=")
                lines[key] = value
            else:
                lines[line.split(":")[0]] = line.strip()
            if line.startswith("Serving"):
                break
        yield lines
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)


def test_the_emulator_command_serves_with_the_fault_and_timing_options(
    served: dict[str, str],
) -> None:
    assert served["Faults"] == "Faults: latency=0.01"
    assert served["Timings"] == "Timings: run_running=2.0"
    assert served["RECRUBO_BASE_URL"].endswith("/public/v2")


def test_emulator_stats_prints_the_counters_plain_and_as_json(
    served: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    url = served["RECRUBO_BASE_URL"]
    code, out, err = _run(capsys, "emulator", "stats", "--url", url)
    assert (code, err) == (0, "")
    assert out.startswith("requests:\n")
    code, out, _ = _run(capsys, "--json", "emulator", "stats", "--url", url)
    assert code == 0
    assert set(json.loads(out)) == {
        "requests",
        "responses",
        "created",
        "gets",
        "faults",
        "webhooks",
    }


def test_emulator_stats_without_an_emulator_exits_1_saying_so(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = _run(capsys, "emulator", "stats", "--url", "http://127.0.0.1:9")
    assert code == 1
    assert "is the emulator running?" in err


def test_emulator_help_lists_every_emulator_option_and_no_client_option(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = _run(capsys, "emulator", "--help")
    assert code == 0
    for option in ("--rate-500", "--webhook-reorder", "--flow-run-outcome", "--run-running"):
        assert option in out
    for option in ("--api-key", "--base-url", "--max-retries", "--environment"):
        assert option not in out


def test_a_client_option_after_emulator_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = _run(capsys, "emulator", "--api-key", "k")
    assert code == 2
    assert "unrecognized arguments: --api-key" in err


@pytest.mark.parametrize("speed", ["0", "-1", "nan", "inf"])
def test_a_bad_speed_is_one_usage_error_line(
    speed: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(capsys, "emulator", "--port", "0", "--speed", speed)
    assert code == 2
    assert err.startswith("recrubo: error: argument --speed: expected emulated seconds"), err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("argv", "code", "says"),
    [
        (["--port", "0", "--rate-503", "2"], 2, "rate_503 must be a share"),
        (["--port", "0", "--webhook-timeout", "0"], 2, "expected real seconds above 0"),
        (["stats", "--url", "http://127.0.0.1:9"], 1, "is the emulator running?"),
        (["stats", "--url", "ftp://127.0.0.1"], 2, "expected an http URL"),
        (["stats", "--bogus"], 2, "see 'recrubo emulator stats --help'"),
    ],
    ids=["bad share", "zero timeout", "no emulator", "not http", "unknown stats option"],
)
def test_emulator_errors_are_recrubo_error_lines_naming_the_command_typed(
    argv: list[str], code: int, says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    got, _, err = _run(capsys, "emulator", *argv)
    assert got == code
    assert err.startswith("recrubo: error: "), err
    assert says in err
    assert err.count("\n") == 1
    assert "recrubo_emulator" not in err
