"""``make bench`` exits 0 only when every step ran and every target in every results file held.

Fake results files are fed to the rule ``benchmarks/__main__.py`` applies
(``benchmarks/_verdicts.py``), read back the way the report reads them; no benchmark runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from benchmarks import _verdicts, report
from benchmarks._common import verdict

OK: dict[str, Any] = {"status": "ok", "seconds": 10.0, "args": []}


def write(folder: Path, name: str, verdicts: list[dict[str, Any]]) -> None:
    (folder / f"{name}.json").write_text(json.dumps({"benchmark": name, "verdicts": verdicts}))


def load(folder: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, dict[str, Any]]:
    monkeypatch.setattr(report, "RESULTS", folder)
    results, _ = report.load()
    return results


def test_every_target_met_exits_zero(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "decoding", [verdict("decode", 1.8, target=1.5, rounds=[1.6, 1.8, 2.0])])
    write(tmp_path, "waits", [verdict("bytes", 1900, target=2048, higher_is_better=False)])
    results = load(tmp_path, monkeypatch)
    steps: dict[str, dict[str, Any]] = {
        "decoding": OK,
        "waits": OK,
        "e2e": {"status": "skipped", "reason": "not there"},
    }
    assert _verdicts.failures(steps, results) == []
    assert _verdicts.exit_status(steps, results) == 0


def test_one_unmet_verdict_in_any_file_exits_non_zero(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "decoding", [verdict("decode 10", 1.8, target=1.5)])
    write(
        tmp_path,
        "requests",
        [verdict("retrieve c=1", 0.95, target=0.9), verdict("retrieve c=32", 0.87, target=0.9)],
    )
    results = load(tmp_path, monkeypatch)
    steps = {"decoding": OK, "requests": OK}
    reasons = _verdicts.failures(steps, results)
    assert len(reasons) == 1 and "retrieve c=32" in reasons[0] and "0.87x" in reasons[0]
    assert _verdicts.exit_status(steps, results) == 1


def test_a_verdict_whose_figures_miss_its_target_fails_whatever_it_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file claiming ``met`` for a figure on the wrong side of its target is not trusted."""
    row = verdict("bytes per wait", 2100, target=2048, higher_is_better=False)
    row["met"] = True
    write(tmp_path, "waits", [row])
    results = load(tmp_path, monkeypatch)
    assert _verdicts.exit_status({"waits": OK}, results) == 1


def test_a_step_that_failed_timed_out_or_wrote_nothing_exits_non_zero(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "decoding", [verdict("decode", 1.8, target=1.5)])
    results = load(tmp_path, monkeypatch)
    for step in (
        {"status": "failed", "reason": "exit status 1"},
        {"status": "timed out", "reason": "stopped after 60s"},
        OK,  # ran, but no requests.json
    ):
        steps = {"decoding": OK, "requests": step}
        assert _verdicts.exit_status(steps, results) == 1, step


def test_a_figure_without_a_target_is_shown_but_not_judged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "polling.json").write_text(json.dumps({"ratio_gets": 0.5}))
    results = load(tmp_path, monkeypatch)
    assert _verdicts.exit_status({"polling": OK}, results) == 0
    assert any("n/a" in line and "polling" in line for line in _verdicts.summary({}, results))


def test_a_run_over_its_time_budget_exits_non_zero(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "decoding", [verdict("decode", 1.8, target=1.5)])
    results = load(tmp_path, monkeypatch)
    steps = {"decoding": OK}
    assert _verdicts.exit_status(steps, results, seconds=1199, budget=1200) == 0
    assert _verdicts.exit_status(steps, results, seconds=1201, budget=1200) == 1


def test_the_summary_shows_each_verdict_with_its_rounds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "decoding", [verdict("decode", 1.8, target=1.5, rounds=[1.6, 1.8, 2.0])])
    write(tmp_path, "requests", [verdict("retrieve", 0.8, target=0.9)])
    results = load(tmp_path, monkeypatch)
    lines = _verdicts.summary({"decoding": OK, "requests": OK}, results)
    decoding = next(line for line in lines if "decoding" in line)
    assert decoding.startswith("yes") and "1.60x / 1.80x / 2.00x" in decoding
    assert next(line for line in lines if "requests" in line).startswith("NO")
    readme_rows = report.table(results, {})
    assert any("1.60x / 1.80x / 2.00x" in row and "| yes |" in row for row in readme_rows)


def test_make_bench_keeps_every_step_and_the_e2e_one() -> None:
    """The e2e step is listed (run when its script is there) and every step has a limit."""
    from benchmarks.__main__ import BUDGET, STEPS

    names = [name for name, _, _ in STEPS]
    assert "e2e" in names and "decoding" in names and len(set(names)) == len(names)
    assert all(limit > 0 for _, _, limit in STEPS) and BUDGET <= 30 * 60
