"""Write ``benchmarks/README.md`` and its PNG plots from ``benchmarks/results/*.json``.

Run by ``python -m benchmarks`` after the benchmarks; ``python -m benchmarks.report``
rewrites the report from the results already there. The README and PNGs are generated;
what was found and changed lives in ``benchmarks/findings.md`` and is copied in.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from benchmarks._common import RESULTS

HERE = Path(__file__).parent
README = HERE / "README.md"
FINDINGS = HERE / "findings.md"

#: The order of the sections, and the command that runs each benchmark alone.
ORDER = [
    "requests",
    "decoding",
    "waits",
    "polling",
    "webhook_receiver",
    "asgi_receiver",
    "redis_bus",
    "e2e",
    "otel",
]

Result = dict[str, Any]


def load() -> tuple[dict[str, Result], Result]:
    results: dict[str, Result] = {}
    for path in sorted(RESULTS.glob("*.json")):
        if path.name.startswith("_"):
            continue
        try:
            results[path.stem] = json.loads(path.read_text())
        except ValueError:
            continue
    run_path = RESULTS / "_run.json"
    run: Result = json.loads(run_path.read_text()) if run_path.exists() else {}
    return results, run


def verdicts_of(result: Result) -> list[Result]:
    """A result's verdicts; for one written without any, its ratios (with a target if any)."""
    found = result.get("verdicts")
    if isinstance(found, list):
        return [v for v in found if isinstance(v, dict)]
    target = result.get("target")
    out = []
    for key, value in result.items():
        if key.startswith("ratio") and isinstance(value, (int, float)):
            row: Result = {"what": key, "value": value, "unit": "x"}
            if isinstance(target, (int, float)):
                row.update(target=target, op=">=", met=value >= target)
            out.append(row)
    return out


def fmt(value: float, unit: str) -> str:
    if unit == "B":
        return f"{value:,.0f} B"
    return f"{value:.2f}x" if unit == "x" else f"{value:.3g} {unit}"


def table(results: dict[str, Result], run: Result) -> list[str]:
    lines = [
        "| benchmark | measured (side by side, one run) | value | rounds: min / median / max "
        "| target | met |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    steps = run.get("steps", {})
    for name in ORDER + sorted(set(results) - set(ORDER)):
        result = results.get(name)
        if result is None:
            step = steps.get(name, {})
            if step:
                lines.append(
                    f"| {name} | {step.get('status', 'not run')}: {step.get('reason', '')} "
                    "| | | | |"
                )
            continue
        verdicts = verdicts_of(result)
        if not verdicts:
            lines.append(f"| {name} | (no ratio in its results) | | | | |")
        for v in verdicts:
            unit = str(v.get("unit", "x"))
            if "target" in v:
                target = f"{v.get('op', '>=')} {fmt(float(v['target']), unit)}"
                met = "yes" if v.get("met") else "**no**"
            else:
                target, met = "(none set)", "n/a"
            rounds = (
                " / ".join(fmt(float(v[key]), unit) for key in ("min", "median", "max"))
                if all(key in v for key in ("min", "median", "max"))
                else "(one figure)"
            )
            lines.append(
                f"| {name} | {v['what']} | {fmt(float(v['value']), unit)} | {rounds} "
                f"| {target} | {met} |"
            )
    return lines


# -- plots ---------------------------------------------------------------------------------


def plot_requests(plt: Any, r: Result, out: Path) -> None:
    levels = r.get("levels") or [r]
    names = list(r["per_s"])
    colors = {"sdk": "#2a6", "lean": "#555", "aiohttp": "#888", "httpx": "#c84"}
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    width = 0.8 / len(names)
    for j, name in enumerate(names):
        xs = [i + (j - (len(names) - 1) / 2) * width for i in range(len(levels))]
        left.bar(
            xs,
            # The SDK's bar is its verdict (the median of paired rounds), the dots its rounds.
            [
                lv["ratio"] if name == "sdk" else lv["per_s"][name] / lv["per_s"]["lean"]
                for lv in levels
            ],
            width,
            label=name,
            color=colors.get(name, "#48c"),
        )
        right.bar(
            xs,
            [lv["cpu_us_per_request"][name] for lv in levels],
            width,
            label=name,
            color=colors.get(name, "#48c"),
        )
        if name == "sdk":
            for x, lv in zip(xs, levels, strict=True):
                paired = lv.get("paired_ratios", [])
                left.plot([x] * len(paired), paired, "k.", alpha=0.5)
    ticks = [f"concurrency {lv['concurrency']}" for lv in levels]
    for ax in (left, right):
        ax.set_xticks(range(len(levels)), ticks)
    left.axhline(float(r.get("target", 0.85)), color="#c22", linestyle="--", linewidth=1)
    left.set_title("throughput relative to lean raw aiohttp (dots: SDK rounds)")
    left.legend(fontsize=8)
    right.set_yscale("log")
    right.set_title("client CPU per request (us, log)")
    fig.suptitle(
        "GET one FlowGeneration: SDK / lean raw aiohttp throughput "
        + ", ".join(f"x{lv['ratio']:.2f} at {lv['concurrency']}" for lv in levels)
    )
    fig.tight_layout()
    fig.savefig(out, dpi=100)


def plot_decoding(plt: Any, r: Result, out: Path) -> None:
    rows = r.get("rows") or [r]
    sizes = [row["resources"] for row in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    colors = {"sdk": "#2a6", "pydantic": "#c84", "orjson": "#888"}
    for name in rows[0]["us_per_resource"]:
        left.plot(
            sizes,
            [row["us_per_resource"][name] for row in rows],
            "o-",
            label=name,
            color=colors.get(name, "#48c"),
        )
    left.set_xscale("log")
    left.set_xlabel("resources in the page (data + included)")
    left.set_ylabel("us per resource (median)")
    left.set_title("decode and link, per resource")
    left.legend(fontsize=8)
    for i, row in enumerate(rows):
        points = row.get("paired_ratios", [])
        right.plot([i] * len(points), points, "k.", alpha=0.5)
    right.bar(range(len(rows)), [row["ratio"] for row in rows], color="#2a6")
    right.axhline(float(r.get("target", 1.5)), color="#c22", linestyle="--", linewidth=1)
    right.set_xticks(range(len(rows)), [f"{n:,}" for n in sizes])
    right.set_title("SDK speed / pydantic v2 (bars: median, dots: rounds)")
    fig.tight_layout()
    fig.savefig(out, dpi=100)


def plot_waits(plt: Any, r: Result, out: Path) -> None:
    rows = r["rows"]
    ns = [row["n"] for row in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    total = [row["resolve_all_s"] for row in rows]
    left.plot(ns, total, "o-", color="#2a6", label="measured")
    left.plot(ns, [total[0] * n / ns[0] for n in ns], "--", color="#888", label="linear")
    left.set_xlabel("concurrent waits N")
    left.set_ylabel("seconds to resolve all")
    left.set_title("cost vs N (at or under the line: linear or better)")
    left.legend()
    for key, style, label in (
        ("bytes_per_wait", "o-", "awaiting task excluded"),
        ("bytes_per_wait_with_task", "s-", "awaiting task included"),
    ):
        if all(key in row for row in rows):
            right.plot(ns, [row[key] for row in rows], style, label=label)
    right.axhline(r["target_bytes_per_wait"], color="#c44", linestyle="--", label="target")
    right.set_ylim(bottom=0)
    right.set_xlabel("concurrent waits N")
    right.set_ylabel("bytes per pending wait")
    right.set_title("memory per pending wait, after a real GET")
    right.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=100)


def plot_polling(plt: Any, r: Result, out: Path) -> None:
    med = r["gets_per_wait"]
    fig, ax = plt.subplots(figsize=(7, 3.6))
    groups = [("one", f"{r['waits']} waits, one id"), ("distinct", f"{r['waits']} waits, own ids")]
    width = 0.38
    for i, (key, _) in enumerate(groups):
        ax.bar(
            i - width / 2,
            med[f"sdk_{key}"],
            width,
            color="#2a6",
            label="SDK PollingWaiter" if i == 0 else None,
        )
        ax.bar(
            i + width / 2,
            med[f"plain_{key}"],
            width,
            color="#888",
            label="plain loop" if i == 0 else None,
        )
    ax.set_xticks(range(len(groups)), [label for _, label in groups])
    ax.set_yscale("log")
    ax.set_ylabel("GETs per completed wait (log)")
    ax.set_title("Polling cost against the emulator")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=100)


def plot_webhook_receiver(plt: Any, r: Result, out: Path) -> None:
    fig, ax = plt.subplots(figsize=(6, 3.4))
    names = ["receiver", "bare"]
    ax.bar(names, [r["receiver_per_s"], r["bare_per_s"]], color=["#2a6", "#888"])
    for i, key in enumerate(("rounds_receiver_per_s", "rounds_bare_per_s")):
        points = r.get(key, [])
        ax.plot([i] * len(points), points, "k.", alpha=0.5)
    ax.set_ylabel("payloads per second")
    ax.set_title(f"Webhook receiver / bare aiohttp: x{r['ratio']:.2f}")
    fig.tight_layout()
    fig.savefig(out, dpi=100)


def plot_asgi_receiver(plt: Any, r: Result, out: Path) -> None:
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    names = ["receiver", "bare"]
    left.bar(names, [r["receiver_per_s"], r["bare_per_s"]], color=["#2a6", "#888"])
    for i, key in enumerate(("rounds_receiver_per_s", "rounds_bare_per_s")):
        points = r.get(key, [])
        left.plot([i] * len(points), points, "k.", alpha=0.5)
    left.set_ylabel("payloads per second (median, dots: rounds)")
    left.set_title(f"receiver / bare ASGI: x{r['ratio']:.2f} (median of pairs)")
    cpu = r.get("server_cpu_us", {})
    right.bar(names, [cpu.get(n, {}).get("median", 0.0) for n in names], color=["#2a6", "#888"])
    right.set_ylabel("server CPU per delivery (us, median)")
    right.set_title(str(r.get("server", "uvicorn")))
    fig.tight_layout()
    fig.savefig(out, dpi=100)


PLOTS: dict[str, Callable[[Any, Result, Path], None]] = {
    "requests": plot_requests,
    "decoding": plot_decoding,
    "waits": plot_waits,
    "polling": plot_polling,
    "webhook_receiver": plot_webhook_receiver,
    "asgi_receiver": plot_asgi_receiver,
}


def make_plots(results: dict[str, Result]) -> tuple[dict[str, str], str | None]:
    """PNG file names by benchmark; or why there are none."""
    try:
        import importlib

        matplotlib = importlib.import_module("matplotlib")
        matplotlib.use("Agg")
        plt = importlib.import_module("matplotlib.pyplot")
    except ImportError:
        return {}, "matplotlib is not installed (pip install -e '.[bench]'): no plots"
    made: dict[str, str] = {}
    for name, plot in PLOTS.items():
        if name not in results:
            continue
        out = HERE / f"{name}.png"
        try:
            plot(plt, results[name], out)
        except (KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
            print(f"report: no plot for {name} ({type(exc).__name__}: {exc})")
            continue
        finally:
            plt.close("all")
        made[name] = out.name
    return made, None


# -- the README ----------------------------------------------------------------------------


def details(name: str, r: Result) -> list[str]:
    """A few lines of figures under each plot."""
    if name == "requests":
        lines = []
        for lv in r.get("levels") or [r]:
            lines += [
                f"concurrency {lv['concurrency']}, {n}: {lv['per_s'][n]:,.0f} req/s, "
                f"{lv['cpu_us_per_request'][n]:,.0f} us client CPU per request"
                for n in lv["per_s"]
            ]
            ratios = lv.get("ratio_spread")
            lines.append(
                f"concurrency {lv['concurrency']}, SDK / lean raw aiohttp: throughput "
                + (
                    f"{ratios['min']:.2f} / {ratios['median']:.2f} / {ratios['max']:.2f} "
                    "(min / median / max of paired rounds)"
                    if ratios
                    else f"x{lv['ratio']:.2f}"
                )
                + f", CPU efficiency x{lv['cpu_ratio']:.2f}; SDK / aiohttp with `async with`: "
                f"x{lv.get('plain_aiohttp_ratio', float('nan')):.2f}; httpx / lean raw: "
                f"x{lv['httpx_ratio']:.2f}"
            )
        return lines
    if name == "decoding":
        lines = []
        for row in r.get("rows") or [r]:
            ratios = row.get("ratio_spread", {})
            lines.append(
                f"{row['resources']:,} resources ({row['bytes'] / 1024:,.0f} KiB): "
                + ", ".join(f"{n} {ms:.3g} ms" for n, ms in row["ms"].items())
                + (
                    f"; SDK / pydantic {ratios['min']:.2f} / {ratios['median']:.2f} / "
                    f"{ratios['max']:.2f} (min / median / max of rounds)"
                    if ratios
                    else ""
                )
            )
        return lines
    if name == "waits":
        return [
            f"N={row['n']:,}: all resolved in {row['resolve_all_s']:.2f} s "
            f"({row['per_wait_us']:.1f} us per wait), p50 {row['p50_ms']:.2f} ms, "
            f"p99 {row['p99_ms']:.2f} ms; {row['bytes_per_wait']:,.0f} B per pending "
            f"wait() with its default 900 s timeout and the state of its real GET, the "
            f"awaiting task excluded ({row.get('bytes_per_wait_with_task', float('nan')):,.0f}"
            " B with it)"
            for row in r["rows"]
        ]
    if name == "polling":
        med = r["gets_per_wait"]
        return [
            f"{r['waits']} waits on one id: SDK {med['sdk_one']:.2f}, plain loop "
            f"{med['plain_one']:.2f} GETs per wait (x{r['one_id_ratio']:.1f})",
            f"{r['waits']} waits on their own ids: SDK {med['sdk_distinct']:.2f}, plain loop "
            f"{med['plain_distinct']:.2f} GETs per wait (x{r['distinct_ratio']:.2f})",
        ]
    if name == "webhook_receiver":
        return [
            f"receiver {r['receiver_per_s']:,.0f} payloads/s, bare aiohttp "
            f"{r['bare_per_s']:,.0f} payloads/s: x{r['ratio']:.2f}"
        ]
    if name == "asgi_receiver":
        rate, cpu = r["spread_per_s"], r.get("server_cpu_us", {})
        lines = [
            f"{r['server']}; {r['concurrency']} keep-alive connections from a raw-socket "
            f"sender process; {r['request_bytes']:,} bytes per request; {r['rounds']} "
            f"paired rounds of {r['requests_per_round']:,} deliveries"
        ]
        for kind in ("receiver", "bare"):
            spread = rate[kind]
            line = (
                f"{kind}: {spread['min']:,.0f} / {spread['median']:,.0f} / "
                f"{spread['max']:,.0f} payloads/s (min / median / max)"
            )
            if kind in cpu:
                line += f", server CPU {cpu[kind]['median']:,.0f} us per delivery (median)"
            lines.append(line)
        ratios = r["ratio_spread"]
        lines.append(
            f"receiver / bare, paired rounds: {ratios['min']:.2f} / {ratios['median']:.2f} / "
            f"{ratios['max']:.2f} (min / median / max)"
        )
        if r.get("cpu_ratio") is not None:
            lines.append(
                f"server CPU per delivery, bare / receiver (median of pairs): {r['cpu_ratio']:.2f}"
            )
        return lines
    return generic_details(r)


def generic_details(r: Result) -> list[str]:
    """Up to twelve of a result's figures, for a benchmark the report has no lines for:
    numbers and strings, and dicts of them (nested dicts in parentheses); lists (each
    round's figures) are left to the results file."""
    lines = []
    for key, value in r.items():
        if isinstance(value, dict):
            inner = _inline(value)
            if inner:
                lines.append(f"{key}: {inner}")
        elif isinstance(value, float):
            lines.append(f"{key}: {value:.3g}")
        elif isinstance(value, (int, str)):
            lines.append(f"{key}: {value}")
    return lines[:12]


def _inline(value: dict[str, Any]) -> str:
    parts = []
    for k, v in value.items():
        if isinstance(v, float):
            parts.append(f"{k} {v:.3g}")
        elif isinstance(v, (int, str)):
            parts.append(f"{k} {v}")
        elif isinstance(v, dict) and (inner := _inline(v)):
            parts.append(f"{k} ({inner})")
    return ", ".join(parts)


def render(results: dict[str, Result], run: Result, plots: dict[str, str], why: str | None) -> str:
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (`python -m benchmarks`, then `benchmarks/report.py`); do "
        "not edit by hand. Every figure is a ratio measured side by side in one run, "
        "alternating rounds on a noisy 2-core machine; the verdict is the median of the "
        "rounds (or the worst round, where the line says so), with the rounds' min / median "
        "/ max beside it. `make bench` exits non-zero when any target is not met.",
        "",
        f"Last run: {when}, Python {platform.python_version()}, {platform.machine()}"
        + (f", {run['seconds']:.0f} s for the suite" if "seconds" in run else "")
        + ".",
        "",
        "Each script runs alone with its full default sizes: `python -m benchmarks.requests`, "
        "`benchmarks.decoding`, `benchmarks.waits`, `benchmarks.polling`, "
        "`benchmarks.webhook_receiver`, `benchmarks.asgi_receiver`, `benchmarks.redis_bus`, "
        "`benchmarks.e2e`, `benchmarks.otel`; "
        "`make bench` runs all of them, the waits at full size and the others at reduced sizes.",
        "",
        "## Results",
        "",
        *table(results, run),
        "",
    ]
    if why:
        lines += [f"_{why}._", ""]
    for name in ORDER + sorted(set(results) - set(ORDER)):
        r = results.get(name)
        if r is None:
            continue
        lines += [f"## {r.get('title', name)}", ""]
        if name in plots:
            lines += [f"![{name}]({plots[name]})", ""]
        try:
            found = details(name, r)
        except (KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
            # A results file in a newer shape than this report knows: its figures, plainly.
            print(f"report: plain figures for {name} ({type(exc).__name__}: {exc})")
            found = generic_details(r)
        lines += [f"- {line}" for line in found]
        lines.append("")
    if FINDINGS.exists():
        lines += [FINDINGS.read_text().rstrip(), ""]
    return "\n".join(lines)


def main() -> None:
    results, run = load()
    plots, why = make_plots(results)
    README.write_text(render(results, run, plots, why))
    print(f"report: wrote {README.relative_to(HERE.parent)} and {len(plots)} plots")


if __name__ == "__main__":
    main()
