"""Shared benchmark plumbing: server subprocesses, load generation, results files."""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

RESULTS = Path(__file__).parent / "results"
_T = TypeVar("_T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@contextmanager
def server_process(args: Sequence[str], port: int) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``python -m <args>`` in a child process until it listens on ``port``."""
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parent.parent))
    proc = subprocess.Popen([sys.executable, "-m", *args], env=env)
    try:
        wait_listening(port, proc, args)
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def wait_listening(port: int, proc: subprocess.Popen[bytes], what: object = None) -> None:
    """Return once something listens on ``port``; raise if ``proc`` exits first or 20 s
    pass."""
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server {what or proc.args} did not start") from None
            time.sleep(0.05)
        else:
            return


async def run_load(
    call: Callable[[int], Awaitable[None]], *, total: int, concurrency: int
) -> float:
    """Run ``call(i)`` for i in range(total), ``concurrency`` at a time; return calls/second."""
    next_index = 0

    async def worker() -> None:
        nonlocal next_index
        while next_index < total:
            index = next_index
            next_index += 1
            await call(index)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return total / (time.perf_counter() - started)


def turn_order(names: Sequence[_T], turn: int) -> list[_T]:
    """Who goes when in a turn of alternated slices: the order rotated by one each turn,
    and the rotations taken forwards, then reversed, in turn (a rotation alone keeps the
    cyclic order, so that one client would always follow the same other). Over ``2 *
    len(names)`` turns each goes first as often; reversing every other turn instead
    undoes the rotation for two names, and one of them went first in every turn."""
    shift = turn % len(names)
    order = [*names[shift:], *names[:shift]]
    return order[::-1] if (turn // len(names)) % 2 else order


def paired_turn_order(
    names: Sequence[str], pair: tuple[str, str], round_index: int, slice_index: int, slices: int
) -> list[str]:
    """``turn_order`` for slice ``slice_index`` of ``slices`` in round ``round_index``, with
    the two clients of ``pair`` (a verdict's ratio) always side by side, so that no other
    client's slice runs between the two halves of one of its pairs. Which of the two goes
    first flips every two slices and every three rounds: with an even number of slices a
    round and a multiple of six rounds (``make bench``: 4 and 18), each half starts as many
    rounds, goes first in as many pairs and follows each other client as often
    (tests/integration/test_bench_turns.py; the first slice of a round runs after every
    client's warm-up, a disturbance of its own)."""
    units = [pair, *[(name,) for name in names if name not in pair]]
    flip = (round_index // 3 + slice_index // 2) % 2
    turn = round_index * slices + slice_index
    return [name for unit in turn_order(units, turn) for name in (unit[::-1] if flip else unit)]


def percentile(values: Sequence[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def spread(values: Sequence[float]) -> dict[str, float]:
    """``{"min", "median", "max"}`` of a figure's rounds."""
    return {"min": min(values), "median": median(values), "max": max(values)}


def verdict(
    what: str,
    value: float,
    *,
    target: float,
    higher_is_better: bool = True,
    unit: str = "x",
    rounds: Sequence[float] | None = None,
) -> dict[str, Any]:
    """One line of the README's table: a measured figure against its target.

    ``rounds``: the figure of each round (``value`` is usually their median); the line
    then shows their min / median / max.
    """
    met = value >= target if higher_is_better else value <= target
    out: dict[str, Any] = {
        "what": what,
        "value": value,
        "target": target,
        "op": ">=" if higher_is_better else "<=",
        "unit": unit,
        "met": met,
    }
    if rounds:
        out.update(spread(rounds))
    return out


def optional_module(name: str) -> Any:
    """Import a bench-only dependency (pydantic, httpx, matplotlib) as ``Any``.

    ``make test`` type-checks the benchmarks without the bench extra installed, so these
    are never imported statically.

    Raises:
        SystemExit: the module is missing; the message says how to install it.
    """
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise SystemExit(
            f"{name} is needed for this benchmark: pip install -e '.[bench]' (or make bench)"
        ) from exc


def write_results(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
    return path
