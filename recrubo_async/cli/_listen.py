"""``recrubo webhooks listen``: a local webhook endpoint that prints each verified delivery."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal

from aiohttp import web

from ..webhooks import WebhookPayload, WebhookReceiver
from ._errors import CommandError, UsageError
from ._output import Output

SECRET_ENV = "RECRUBO_WEBHOOK_SECRET"


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


async def webhooks_listen(args: argparse.Namespace, out: Output) -> int:
    """Serve ``POST --path`` with a ``WebhookReceiver`` and print each verified payload."""
    secret: str = args.secret or os.environ.get(SECRET_ENV, "")
    if not secret.strip():
        raise UsageError(f"no webhook secret: pass --secret or set {SECRET_ENV}")
    path: str = args.path
    if not path.startswith("/"):
        raise UsageError(f"--path must start with '/'; got {path!r}")
    receiver = WebhookReceiver(secret=secret)

    async def show(payload: WebhookPayload) -> None:
        out.payload(payload)

    receiver.add_handler(show)
    app = web.Application()
    receiver.add_routes(app, path)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, args.host, args.port).start()
        except OSError as exc:
            raise CommandError(
                f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}"
            ) from exc
        host, port = runner.addresses[0][:2]
        out.notice(f"Listening for Recrubo webhooks on http://{host}:{port}{path}; Ctrl+C to stop.")
        await wait_for_stop()
    finally:
        await runner.cleanup()
    return 0
