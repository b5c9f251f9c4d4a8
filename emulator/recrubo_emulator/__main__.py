"""``python -m recrubo_emulator``: serve the emulator until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence
from typing import TextIO

from ._emulator import Emulator


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m recrubo_emulator", description="Serve a local Recrubo API v2."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    parser.add_argument("--mode", choices=("sandbox", "production"), default="sandbox")
    parser.add_argument("--speed", type=float, default=1.0, help="emulated seconds per second")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--organization", default="Demo organization")
    parser.add_argument("--partner-key", default=None)
    parser.add_argument("--lenient", action="store_true", help="ignore unknown attributes")
    return parser.parse_args(argv)


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
    emulator = Emulator(
        mode=args.mode,
        speed=args.speed,
        seed=args.seed,
        strict=not args.lenient,
        partner_key=args.partner_key,
        host=args.host,
        port=args.port,
    )
    try:
        async with emulator as emu:
            org = await emu.create_organization(args.organization)
            # Printing the keys is the point of this command; they are never logged.
            print(f"RECRUBO_BASE_URL={emu.base_url}", file=out)
            print(f"RECRUBO_PARTNER_KEY={emu.partner_key}", file=out)
            print(f"RECRUBO_ORGANIZATION_ID={org.id}", file=out)
            print(f"RECRUBO_API_KEY={org.token}", file=out)
            print(f"Serving {args.mode} emulator; Ctrl+C to stop.", file=out, flush=True)
            await stop.wait()
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    asyncio.run(serve(parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
