"""``python -m recrubo_emulator``: serve the emulator until interrupted, or print its stats.

One command line for ``python -m recrubo_emulator``, ``python -m recrubo_async.testing`` and
``recrubo emulator`` (which forwards its arguments here). The fault and timing options are
made from ``Faults`` and ``Timings`` themselves, so a new setting is an option at once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Any, TextIO
from urllib.parse import urlsplit

import aiohttp
import attrs

from ._emulator import Emulator
from ._engine import Timings
from ._faults import Faults
from ._jobs import FLOW_RUN_OUTCOMES
from ._server import STATS_PATH
from ._webhooks import DEFAULT_RETRY_SCHEDULE, checked_schedule

PROG = "python -m recrubo_emulator"
DEFAULT_URL = "http://127.0.0.1:8080"


def _delays(text: str) -> tuple[float, ...]:
    """``1,2,5`` -> (1.0, 2.0, 5.0); ``none`` (or nothing) -> no retries."""
    if text.strip().lower() in ("", "none"):
        return ()
    try:
        return checked_schedule(float(part) for part in text.split(","))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated seconds, e.g. 1,2,5 (or none), got {text!r}"
        ) from exc


def _positive(what: str) -> Callable[[str], float]:
    """An argparse type: a finite number above 0, called ``what`` in its error."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and value > 0):
            raise argparse.ArgumentTypeError(f"expected {what} above 0, got {text!r}")
        return value

    return parse


def retry_schedule_of(args: argparse.Namespace) -> tuple[float, ...]:
    """The webhook retry schedule the options ask for (the API's own when none is given)."""
    if args.webhook_retry_delays is not None:
        delays: tuple[float, ...] = args.webhook_retry_delays
        return delays
    if args.webhook_retry_scale is not None:
        factor: float = args.webhook_retry_scale
        return tuple(delay * factor for delay in DEFAULT_RETRY_SCHEDULE)
    return DEFAULT_RETRY_SCHEDULE


def _arg_docs(cls: type) -> dict[str, str]:
    """``name: text`` entries of a class docstring's ``Args:`` section, joined per name."""
    docs: dict[str, str] = {}
    name = ""
    for line in (cls.__doc__ or "").partition("Args:")[2].splitlines():
        match = re.match(r"\s{8}(\w+): (.*)", line)
        if match:
            name, text = match.groups()
            docs[name] = text
        elif name and line.strip():
            docs[name] += " " + line.strip()
    return {key: value.replace("%", "%%") for key, value in docs.items()}


def _names(text: str) -> frozenset[str]:
    return frozenset(part.strip() for part in text.split(",") if part.strip())


def _number(kind: type) -> Any:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from exc
        if isinstance(value, float) and not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
        return value

    return parse


def _add_fields(parser: argparse.ArgumentParser, cls: type, title: str, dest: str) -> None:
    """One option per attrs field of ``cls`` (``--rate-429`` for ``rate_429``)."""
    group = parser.add_argument_group(title)
    docs = _arg_docs(cls)
    for field in attrs.fields(cls):
        if field.name in ("methods", "resources"):
            kind: Any = _names
            metavar = "A,B"
        else:
            kind = _number(int if field.default.__class__ is int else float)
            metavar = "N"
        group.add_argument(
            "--" + field.name.replace("_", "-"),
            dest=f"{dest}{field.name}",
            type=kind,
            default=None,
            metavar=metavar,
            help=f"{docs.get(field.name, '')} (default: {field.default})",
        )


def _collect(args: argparse.Namespace, cls: type, dest: str) -> dict[str, Any]:
    """The given options of one ``_add_fields`` group, by field name."""
    values = {f.name: getattr(args, f"{dest}{f.name}", None) for f in attrs.fields(cls)}
    return {name: value for name, value in values.items() if value is not None}


def faults_of(args: argparse.Namespace) -> Faults:
    """The ``Faults`` the options ask for."""
    return Faults(**_collect(args, Faults, "fault_"))


def timings_of(args: argparse.Namespace) -> Timings:
    """The ``Timings`` the options ask for."""
    return Timings(**_collect(args, Timings, "timing_"))


def _stats_parser(
    prog: str, parser_class: type[argparse.ArgumentParser]
) -> argparse.ArgumentParser:
    parser = parser_class(
        prog=f"{prog} stats",
        description="Print the counters of a running emulator (GET /_emulator/stats).",
    )
    parser.add_argument(
        "--url",
        default=None,
        help="the emulator's address, e.g. http://127.0.0.1:8080 (its base URL works too; "
        f"default: $RECRUBO_BASE_URL, else {DEFAULT_URL})",
    )
    parser.add_argument("--json", action="store_true", help="print the counters as JSON")
    return parser


def parse_args(
    argv: Sequence[str] | None = None,
    *,
    prog: str = PROG,
    parser_class: type[argparse.ArgumentParser] = argparse.ArgumentParser,
) -> argparse.Namespace:
    """Command-line options (``stats ...`` selects the stats command).

    Args:
        argv: the arguments (default: ``sys.argv[1:]``).
        prog: the command as the user typed it, for usage and error lines
            (``recrubo emulator`` when that command forwards here).
        parser_class: the parser to build, e.g. one whose ``error()`` raises.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["stats"]:
        args = _stats_parser(prog, parser_class).parse_args(argv[1:])
        args.command = "stats"
        return args
    parser = parser_class(
        prog=prog,
        description="Serve a local Recrubo API v2. "
        f"'{prog} stats --help': print a running emulator's counters.",
        epilog="Times are emulated seconds unless said otherwise; shares are between 0 and 1. "
        "The clock is real (scaled by --speed): a manual clock needs the Emulator object.",
    )
    parser.set_defaults(command="serve")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    parser.add_argument("--mode", choices=("sandbox", "production"), default="sandbox")
    parser.add_argument(
        "--speed",
        type=_positive("emulated seconds per real second"),
        default=1.0,
        help="emulated seconds per real second (default: 1)",
    )
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--organization", default="Demo organization")
    parser.add_argument("--partner-key", default=None)
    parser.add_argument("--lenient", action="store_true", help="ignore unknown attributes")
    parser.add_argument(
        "--flow-run-outcome",
        choices=FLOW_RUN_OUTCOMES,
        default="finished",
        help="how flow runs end unless a run's state says otherwise: its "
        "'emulatorOutcome' key (default: finished)",
    )
    parser.add_argument(
        "--webhook-timeout",
        type=_positive("real seconds"),
        default=5.0,
        metavar="S",
        help="real seconds a webhook receiver may take to answer (default: 5)",
    )
    # Rehearsals: a failing receiver sees every retry within seconds instead of 24 hours,
    # without speeding up jobs the way --speed does.
    retries = parser.add_mutually_exclusive_group()
    retries.add_argument(
        "--webhook-retry-delays",
        type=_delays,
        default=None,
        metavar="SECONDS,...",
        help="emulated seconds before each retry of a failed webhook delivery, e.g. 1,2,5 "
        "('none': no retries; default: 60,300,1800,7200,75600)",
    )
    retries.add_argument(
        "--webhook-retry-scale",
        type=_positive("a factor"),
        default=None,
        metavar="FACTOR",
        help="multiply the default retry delays, e.g. 0.01: every retry within 15 minutes",
    )
    _add_fields(parser, Faults, "faults (real seconds for latency; see Faults)", "fault_")
    _add_fields(parser, Timings, "timings (emulated seconds; see Timings)", "timing_")
    args = parser.parse_args(argv)
    try:
        args.faults = faults_of(args)
    except ValueError as exc:
        parser.error(str(exc))
    args.timings = timings_of(args)
    return args


async def serve(
    args: argparse.Namespace, *, stop: asyncio.Event | None = None, out: TextIO | None = None
) -> None:
    """Run until ``stop`` is set, or SIGINT/SIGTERM arrives (prints to ``out``, default
    the current ``sys.stdout``)."""
    out = out if out is not None else sys.stdout
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    handled: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
            handled.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):
            pass  # not the main thread, or a platform without signal support
    schedule = retry_schedule_of(args)
    emulator = Emulator(
        mode=args.mode,
        speed=args.speed,
        seed=args.seed,
        strict=not args.lenient,
        partner_key=args.partner_key,
        host=args.host,
        port=args.port,
        webhook_retry_schedule=schedule,
        faults=args.faults,
        timings=args.timings,
        flow_run_outcome=args.flow_run_outcome,
        webhook_timeout=args.webhook_timeout,
    )
    try:
        async with emulator as emu:
            org = await emu.create_organization(args.organization)
            # Printing the keys is the point of this command; they are never logged.
            print(f"RECRUBO_BASE_URL={emu.base_url}", file=out)
            print(f"RECRUBO_PARTNER_KEY={emu.partner_key}", file=out)
            print(f"RECRUBO_ORGANIZATION_ID={org.id}", file=out)
            print(f"RECRUBO_API_KEY={org.token}", file=out)
            if schedule != DEFAULT_RETRY_SCHEDULE:
                delays = ", ".join(f"{d:g}" for d in schedule) or "none"
                print(f"Webhook retries after (emulated seconds): {delays}", file=out)
            if args.faults != Faults():
                print(f"Faults: {_changed(args.faults, Faults())}", file=out)
            if args.timings != Timings():
                print(f"Timings: {_changed(args.timings, Timings())}", file=out)
            print(f"Stats: {emu.stats_url}", file=out)
            print(f"Serving {args.mode} emulator; Ctrl+C to stop.", file=out, flush=True)
            await stop.wait()
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)


def _changed(value: Any, default: Any) -> str:
    mine, theirs = attrs.asdict(value), attrs.asdict(default)
    return ", ".join(f"{k}={v}" for k, v in mine.items() if v != theirs[k])


def stats_url(url: str | None) -> str:
    """The stats endpoint of the emulator at ``url`` (any URL on it: its root, base URL...)."""
    parts = urlsplit(url or os.environ.get("RECRUBO_BASE_URL") or DEFAULT_URL)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"expected an http URL such as {DEFAULT_URL}, got {url!r}")
    return f"{parts.scheme}://{parts.netloc}{STATS_PATH}"


async def fetch_stats(url: str | None) -> dict[str, dict[str, int]]:
    """The counters of the emulator at ``url``.

    Raises:
        OSError: the emulator could not be reached or did not answer with its stats.
    """
    where = stats_url(url)
    try:
        async with aiohttp.ClientSession() as session, session.get(where) as response:
            if response.status != 200:
                raise OSError(f"{where} answered {response.status}: is it a Recrubo emulator?")
            body: dict[str, dict[str, int]] = await response.json()
            return body
    except aiohttp.ClientError as exc:
        raise OSError(f"cannot read {where} ({exc}): is the emulator running?") from exc


def print_stats(stats: dict[str, dict[str, int]], *, as_json: bool, out: TextIO) -> None:
    """Counters as JSON, or as one indented ``name  count`` line each under its group."""
    if as_json:
        print(json.dumps(stats, sort_keys=True), file=out, flush=True)
        return
    for group, counters in stats.items():
        print(f"{group}:", file=out)
        if not counters:
            print("  (none)", file=out)
        width = max((len(name) for name in counters), default=0)
        for name, count in counters.items():
            print(f"  {name.ljust(width)}  {count}", file=out)
    out.flush()


async def run(argv: Sequence[str], *, out: TextIO | None = None) -> int:
    """Run the command line ``argv`` (serve, or ``stats``) and return the exit status."""
    out = out if out is not None else sys.stdout
    args = parse_args(argv)
    if args.command == "stats":
        try:
            stats = await fetch_stats(args.url)
        except (OSError, ValueError) as exc:
            print(f"{PROG} stats: error: {exc}", file=sys.stderr, flush=True)
            return 1
        print_stats(stats, as_json=args.json, out=out)
        return 0
    await serve(args, out=out)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    try:
        return asyncio.run(run(sys.argv[1:] if argv is None else argv))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
