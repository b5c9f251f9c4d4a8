"""``recrubo webhooks listen``: a local webhook endpoint that prints each verified delivery."""

from __future__ import annotations

import argparse
import os

from aiohttp import web

from .._validate import check_header_secret
from ..webhooks import WebhookPayload, WebhookReceiver
from ..webhooks.aiohttp import add_routes
from ._errors import CommandError, UsageError
from ._output import Output
from ._signals import wait_for_stop

SECRET_ENV = "RECRUBO_WEBHOOK_SECRET"


async def webhooks_listen(args: argparse.Namespace, out: Output) -> int:
    """Serve ``POST --path`` with a ``WebhookReceiver`` and print each verified payload."""
    secret: str = args.secret or os.environ.get(SECRET_ENV, "")
    if not secret.strip():
        raise UsageError(f"no webhook secret: pass --secret or set {SECRET_ENV}")
    path: str = args.path
    if not path.startswith("/"):
        raise UsageError(f"--path must start with '/'; got {path!r}")
    try:
        # The message names the option, never the value: it is the secret.
        check_header_secret(f"--secret (or {SECRET_ENV})", secret)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    receiver = WebhookReceiver(secret=secret)

    async def show(payload: WebhookPayload) -> None:
        out.payload(payload)

    receiver.add_handler(show)
    app = web.Application()
    try:
        add_routes(receiver, app, path)
    except ValueError as exc:
        raise UsageError(f"--path {path!r} is not a route aiohttp can serve: {exc}") from exc
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
