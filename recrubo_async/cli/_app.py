"""The ``recrubo`` argument parser, dispatch, and the one place errors become exit statuses."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import NoReturn

from .._constants import API_KEY_ENV, BASE_URL_ENV, DEFAULT_MAX_RETRIES, ENVIRONMENT_URLS
from .._version import __version__
from ..errors import ConfigurationError, RecruboError
from ..waiters._waitable import DEFAULT_WAIT_TIMEOUT
from . import _commands, _listen
from ._errors import CommandError, UsageError
from ._output import Output

PROG = "recrubo"
EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

Command = Callable[[argparse.Namespace, Output], Awaitable[int]]

#: Options whose value may start with "-" (``--sort -createdAt``).
_DASH_VALUE_OPTIONS = ("--sort",)
#: Options whose value is a secret, hidden from every error message.
_SECRET_OPTIONS = ("--api-key", "--secret")


class _Parser(argparse.ArgumentParser):
    """Raises ``UsageError`` instead of printing usage and exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds above 0, got {text!r}")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number, 0 or more, got {text!r}")
    return value


def _global_options() -> _Parser:
    """Options accepted before or after the command (``SUPPRESS``: unset unless given)."""
    parser = _Parser(add_help=False)
    group = parser.add_argument_group("global options")
    hide = argparse.SUPPRESS
    group.add_argument(
        "--api-key",
        default=hide,
        help=f"organization key (default: ${API_KEY_ENV}, which keeps it out of `ps`)",
    )
    group.add_argument(
        "--base-url", default=hide, help=f"API root (default: ${BASE_URL_ENV}, else by environment)"
    )
    group.add_argument("--environment", choices=sorted(ENVIRONMENT_URLS), default=hide)
    group.add_argument(
        "--max-retries", type=_count, default=hide, help="retries per request (default: 2)"
    )
    group.add_argument(
        "--json",
        action="store_true",
        default=hide,
        help="machine output: JSON (JSON lines for streams), wire (camelCase) names",
    )
    return parser


def build_parser() -> argparse.ArgumentParser:
    """The whole command line."""
    # Two copies: set_defaults() below changes the top-level actions' defaults, which
    # must stay SUPPRESS in the commands so a value given before the command survives.
    common = _global_options()
    parser = _Parser(
        prog=PROG,
        parents=[_global_options()],
        description="Command line for the Recrubo API v2 (and its local emulator).",
        epilog="Exit status: 0 ok, 1 API or runtime error, 2 usage error, 130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.set_defaults(
        api_key=None,
        base_url=None,
        environment=None,
        max_retries=DEFAULT_MAX_RETRIES,
        json=False,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(
        where: argparse._SubParsersAction[_Parser],
        name: str,
        handler: Command,
        help: str,
    ) -> argparse.ArgumentParser:
        sub = where.add_parser(name, parents=[common], help=help, description=help)
        sub.set_defaults(handler=handler)
        return sub

    def group(name: str, help: str) -> argparse._SubParsersAction[_Parser]:
        sub = commands.add_parser(name, parents=[common], help=help, description=help)
        return sub.add_subparsers(dest=f"{name}_action", metavar="ACTION", required=True)

    # The emulator is a server: no client options here; every argument goes to the
    # emulator's own parser (`recrubo emulator --help` prints its options).
    emulator_help = "serve the local emulator, or print its stats: 'emulator stats'"
    emulator = commands.add_parser(
        "emulator", help=emulator_help, description=emulator_help, add_help=False
    )
    emulator.set_defaults(handler=_commands.emulator)
    emulator.add_argument("emulator_args", nargs=argparse.REMAINDER, metavar="ARGS")

    flows = group("flows", "flows: generate")
    generate = add(flows, "generate", _commands.flows_generate, "generate a flow from a vacancy")
    generate.add_argument("--vacancy", required=True, metavar="FILE", help="vacancy text; -: stdin")
    generate.add_argument("--knockout", action="append", default=[], metavar="TEXT")
    generate.add_argument("--preferred", action="append", default=[], metavar="TEXT")
    generate.add_argument("--required-field", action="append", default=[], metavar="NAME")
    generate.add_argument("--optional-field", action="append", default=[], metavar="NAME")
    generate.add_argument("--language", help="e.g. nl")
    generate.add_argument("--flow-name", metavar="NAME")
    generate.add_argument("--wait", action="store_true", help="wait, then print the flow id")
    generate.add_argument(
        "--timeout", type=_positive_float, metavar="S", help=f"(default {DEFAULT_WAIT_TIMEOUT:g})"
    )
    generate.add_argument("--poll-interval", type=_positive_float, metavar="S")

    runs = group("flow-runs", "flow runs: watch")
    watch = add(runs, "watch", _commands.flow_runs_watch, "print status changes until the end")
    watch.add_argument("id", metavar="ID")
    watch.add_argument("--poll-interval", type=_positive_float, metavar="S")
    watch.add_argument("--exit-status", action="store_true", help="exit 1 on timeout/exception")

    get = add(commands, "get", _commands.get, "print one resource")
    get.add_argument("type", metavar="TYPE", help="flow_runs, flow-runs or flowRuns, ...")
    get.add_argument("id", metavar="ID")
    get.add_argument("--include", metavar="A,B", help="relationships to resolve, e.g. flow")

    list_ = add(commands, "list", _commands.list_, "print resources of a type")
    list_.add_argument("type", metavar="TYPE", help="flow_runs, flow-runs or flowRuns, ...")
    list_.add_argument(
        "--filter", action="append", default=[], metavar="K=V", help="K=V or K[OP]=V; repeatable"
    )
    list_.add_argument("--sort", metavar="KEYS", help="e.g. -createdAt")
    list_.add_argument("--include", metavar="A,B")
    list_.add_argument("--page-size", type=int, metavar="N")
    list_.add_argument("--limit", type=_count, default=25, metavar="N", help="0: all (default 25)")

    hooks = group("webhooks", "webhooks: ensure, listen")
    ensure = add(
        hooks,
        "ensure",
        _commands.webhooks_ensure,
        "make the webhook subscriptions match --subscribe (safe to run on every deploy)",
    )
    ensure.add_argument(
        "--subscribe",
        action="append",
        required=True,
        metavar="TYPE[:EVENTS[:FIELDS]]",
        help="e.g. flowRuns:update:status,state (no EVENTS: all of create,update,delete); "
        "repeatable",
    )
    ensure.add_argument(
        "--prune", action="store_true", help="delete subscriptions not asked for, and duplicates"
    )
    ensure.add_argument(
        "--webhook-url", metavar="URL", help="deliver there (default: the organization's URL)"
    )
    listen = add(hooks, "listen", _listen.webhooks_listen, "print verified webhook deliveries")
    listen.add_argument("--port", type=int, required=True, help="0: any free port")
    listen.add_argument(
        "--secret", help=f"the organization's webhook secret (${_listen.SECRET_ENV})"
    )
    listen.add_argument("--path", default="/webhooks")
    listen.add_argument("--host", default="127.0.0.1")
    return parser


def _join_dash_values(argv: Sequence[str]) -> list[str]:
    """``--sort -createdAt`` -> ``--sort=-createdAt``, which argparse would refuse."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        following = argv[i + 1] if i + 1 < len(argv) else ""
        if arg in _DASH_VALUE_OPTIONS and following.startswith("-") and following != "-":
            out.append(f"{arg}={following}")
            i += 2
        else:
            out.append(arg)
            i += 1
    return out


def _split_emulator(argv: Sequence[str]) -> tuple[list[str], list[str] | None]:
    """``[--json] emulator ARGS...`` -> (up to ``emulator``, ARGS): argparse's REMAINDER
    refuses ARGS that start with an option, and every one of them is the emulator's."""
    for i, arg in enumerate(argv):
        if arg == "emulator":
            return list(argv[: i + 1]), list(argv[i + 1 :])
        if not arg.startswith("-"):
            break  # another command (or an option's value): not ours
    return list(argv), None


def _secrets(argv: Sequence[str]) -> list[str]:
    """Every secret the command line or the environment holds, to keep out of messages."""
    found = [os.environ.get(API_KEY_ENV, ""), os.environ.get(_listen.SECRET_ENV, "")]
    for i, arg in enumerate(argv):
        for option in _SECRET_OPTIONS:
            if arg == option and i + 1 < len(argv):
                found.append(argv[i + 1])
            elif arg.startswith(option + "="):
                found.append(arg.partition("=")[2])
    return sorted({s.strip() for s in found if len(s.strip()) >= 4}, key=len, reverse=True)


def _fail(exc: BaseException, status: int, secrets: Sequence[str]) -> int:
    message = " ".join((str(exc) or type(exc).__name__).split())
    for secret in secrets:
        message = message.replace(secret, "<secret>")
    print(f"{PROG}: error: {message}", file=sys.stderr, flush=True)
    return status


def _discard_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, sys.stdout.fileno())
        finally:
            os.close(devnull)
    except (OSError, ValueError):
        pass  # not a real file (tests, wrappers): nothing left to flush


async def _run(args: argparse.Namespace) -> int:
    handler: Command = args.handler
    return await handler(args, Output(json=args.json))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``recrubo`` command line and return its exit status.

    Args:
        argv: the arguments after the program name (default: ``sys.argv[1:]``).
    """
    raw = list(sys.argv[1:] if argv is None else argv)
    secrets = _secrets(raw)
    try:
        try:
            head, emulator_args = _split_emulator(raw)
            args = build_parser().parse_args(_join_dash_values(head))
            if emulator_args is not None:
                args.emulator_args = emulator_args
        except SystemExit as exc:  # --help and --version print, then exit
            return exc.code if isinstance(exc.code, int) else EXIT_OK
        return asyncio.run(_run(args))
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, like other Unix tools.
        _discard_stdout()
        return EXIT_ERROR
    except (UsageError, ConfigurationError) as exc:
        return _fail(exc, EXIT_USAGE, secrets)
    except (RecruboError, CommandError, OSError) as exc:
        return _fail(exc, EXIT_ERROR, secrets)
