"""``recrubo flows generate`` and ``flow-runs watch``, and Ctrl-C (against the real emulator)."""

from __future__ import annotations

import io
import json
import sys
import threading
from pathlib import Path

import pytest

from tests.cli._helpers import (
    VACANCY,
    EmulatorThread,
    Org,
    flow_run,
    one_error_line,
    run,
    script_runs,
    signal_when,
)

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
