"""Whether a ``make bench`` run met its targets: the rule behind its exit status, and its summary.

A run passes only when every step ran (or was skipped because its script is not there)
and every verdict in every results file met its target. A verdict is one line of a
benchmark's ``verdicts`` (``benchmarks/_common.verdict``): a figure, its target and
whether it ``met`` it; ``min`` / ``median`` / ``max`` of its rounds when it has them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from benchmarks.report import verdicts_of

Result = Mapping[str, Any]

#: Step statuses that do not fail a run by themselves.
PASSING_STEPS = ("ok", "skipped")


def is_met(row: Result) -> bool | None:
    """Whether a verdict met its target; None when it has none (a figure shown, not judged)."""
    if "target" not in row:
        return None
    value, target = float(row["value"]), float(row["target"])
    held = value <= target if row.get("op") == "<=" else value >= target
    # A file that says met but whose figures say otherwise is not trusted (nor the reverse).
    return held and row.get("met", held) is True


def failures(
    steps: Mapping[str, Result],
    results: Mapping[str, Result],
    *,
    seconds: float | None = None,
    budget: float | None = None,
) -> list[str]:
    """Why the run fails, one reason a line; empty when every target holds.

    ``steps``: each step's outcome as ``benchmarks/__main__.run_step`` records it;
    ``results``: every results file, by benchmark name; ``seconds``: how long the whole
    run took, which must be at most ``budget``.
    """
    out: list[str] = []
    if seconds is not None and budget is not None and seconds > budget:
        out.append(f"the run took {seconds:.0f} s, over its budget of {budget:.0f} s")
    for name, step in steps.items():
        status = step.get("status")
        if status not in PASSING_STEPS:
            out.append(f"{name}: {status} ({step.get('reason', '')})")
        elif status == "ok" and name not in results:
            out.append(f"{name}: ran but wrote no results file")
    for name, result in results.items():
        for row in verdicts_of(dict(result)):
            if is_met(row) is False:
                out.append(
                    f"{name}: not met: {row['what']}: {_figure(row)} "
                    f"(target {row.get('op', '>=')} {_fmt(float(row['target']), row)})"
                )
    return out


def exit_status(
    steps: Mapping[str, Result],
    results: Mapping[str, Result],
    *,
    seconds: float | None = None,
    budget: float | None = None,
) -> int:
    """0 when every step ran, every target holds and the run kept its budget; else 1."""
    return 1 if failures(steps, results, seconds=seconds, budget=budget) else 0


def summary(steps: Mapping[str, Result], results: Mapping[str, Result]) -> list[str]:
    """A plain-text table of every verdict (min / median / max where known), and each step."""
    lines = [
        f"{'met':<4} {'benchmark':<17} {'measured (min / median / max)':<32} {'target':<10} what"
    ]
    names = list(steps) + sorted(set(results) - set(steps))
    for name in names:
        step = steps.get(name, {})
        result = results.get(name)
        if result is None:
            status = step.get("status", "no results")
            lines.append(f"{'--':<4} {name:<17} {status}: {step.get('reason', '')}")
            continue
        rows = verdicts_of(dict(result))
        if not rows:
            lines.append(f"{'--':<4} {name:<17} (no verdict in its results)")
        for row in rows:
            met = is_met(row)
            mark = "n/a" if met is None else "yes" if met else "NO"
            target = (
                f"{row.get('op', '>=')} {_fmt(float(row['target']), row)}"
                if "target" in row
                else "(none)"
            )
            lines.append(f"{mark:<4} {name:<17} {_figure(row):<32} {target:<10} {row['what']}")
    return lines


def _fmt(value: float, row: Result) -> str:
    unit = str(row.get("unit", "x"))
    if unit == "B":
        return f"{value:,.0f} B"
    return f"{value:.2f}x" if unit == "x" else f"{value:.3g} {unit}"


def _figure(row: Result) -> str:
    """The verdict's value, with the spread of its rounds when it has one."""
    value = _fmt(float(row["value"]), row)
    if all(key in row for key in ("min", "median", "max")):
        low, mid, high = (_fmt(float(row[key]), row) for key in ("min", "median", "max"))
        rounds = f"{low} / {mid} / {high}"
        return rounds if value == mid else f"{value} ({rounds})"
    return value
