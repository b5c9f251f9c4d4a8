"""The command line's one way to run until Ctrl+C or SIGTERM (the emulator's distribution
keeps its own: it imports nothing from the SDK)."""

from __future__ import annotations

import asyncio
import signal


async def wait_for_stop() -> None:
    """Return once SIGINT or SIGTERM arrives.

    Where signals cannot be handled (not the main thread), this waits until cancelled.
    """
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    handled: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
            handled.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):  # pragma: no cover
            pass  # not the main thread, or no signal support: Ctrl+C still interrupts
    try:
        await stop.wait()
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)
