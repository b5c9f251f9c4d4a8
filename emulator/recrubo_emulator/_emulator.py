"""The public Emulator: a local Recrubo API v2 server with a controllable clock."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from types import TracebackType
from typing import Any

import attrs
import orjson
from aiohttp import web

from ._clock import Clock
from ._engine import Engine, Timings
from ._faults import FaultDice, Faults
from ._handlers import Handlers
from ._ids import IdFactory
from ._jobs import FLOW_RUN_OUTCOMES, FlowRunScript, Jobs
from ._openapi import build_openapi
from ._server import STATS_PATH, Api
from ._stats import Stats
from ._store import Store
from ._webhooks import DEFAULT_RETRY_SCHEDULE, Delivery, WebhookDispatcher

BASE_PATH = "/public/v2"
MODES = ("sandbox", "production")


@attrs.frozen
class Organization:
    """An organization made by ``Emulator.create_organization``: its id, name and API token."""

    id: str
    name: str
    token: str = attrs.field(repr=False)


class Emulator:
    """A real aiohttp server that behaves like the Recrubo API v2.

    Use ``async with Emulator() as emu:``; it listens on ``host`` and a free port (or
    ``port``) and serves ``emu.base_url`` (ending in ``/public/v2``).

    Args:
        mode: ``"sandbox"`` (``?sync=true`` honoured) or ``"production"`` (ignored).
        speed: emulated seconds per real second for the real-time clock (``speed=10``: a 3 s
            job takes 0.3 s). None makes the clock manual.
        clock: ``"real"`` (scaled by ``speed``) or ``"manual"`` (time moves only by
            ``await emu.advance(seconds)``; nothing runs in the background).
        seed: makes ids, tokens and fault draws reproducible.
        faults: fault injection settings (changeable later through ``emu.faults``).
        strict: answer 422 for unknown or read-only attributes in writes; False ignores them.
        timings: how long jobs take, in emulated seconds.
        flow_run_outcome: how flow runs end when no script says otherwise.
        partner_key: the management key (random when not given).
        host: interface to listen on.
        port: port to listen on (0: any free port).
        start_time: the emulated moment the clock starts at (default: now, UTC).
        webhook_retry_schedule: emulated seconds before each of the retries of a failed
            delivery (5 by default, over about 24 hours: 60, 300, 1800, 7200, 75600).
            Compress it for rehearsals, e.g. ``(1, 2, 5, 10, 20)``; ``()`` never retries.
            Each attempt reads the organization's ``webhookUrl`` and ``webhookSecret`` (and
            the subscription's ``webhookUrl``) when it is sent.
        webhook_timeout: real seconds a webhook receiver may take to answer.
    """

    def __init__(
        self,
        *,
        mode: str = "sandbox",
        speed: float | None = 1.0,
        clock: str = "real",
        seed: int | None = None,
        faults: Faults | None = None,
        strict: bool = True,
        timings: Timings | None = None,
        flow_run_outcome: str = "finished",
        partner_key: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        start_time: datetime | None = None,
        webhook_retry_schedule: Sequence[float] = DEFAULT_RETRY_SCHEDULE,
        webhook_timeout: float = 5.0,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if clock not in ("real", "manual"):
            raise ValueError(f"clock must be 'real' or 'manual', got {clock!r}")
        if flow_run_outcome not in FLOW_RUN_OUTCOMES:
            raise ValueError(f"flow_run_outcome must be one of {FLOW_RUN_OUTCOMES}")
        self.mode = mode
        self.host = host
        self._port = port
        rng = random.Random(seed)
        self._ids = IdFactory(random.Random(rng.getrandbits(64)))
        dice = FaultDice(random.Random(rng.getrandbits(64)))
        self._faults = faults or Faults()
        self.stats = Stats()
        start = (start_time or datetime.now(timezone.utc)).astimezone(timezone.utc)
        self._clock = Clock(start, None if clock == "manual" else speed)
        # One store: the engine changes it, the dispatcher reads each attempt's URL and
        # secret from it at send time.
        store = Store()
        self._webhooks = WebhookDispatcher(
            store=store,
            clock=self._clock,
            ids=self._ids,
            dice=dice,
            faults=lambda: self._faults,
            stats=self.stats,
            retry_schedule=webhook_retry_schedule,
            timeout=webhook_timeout,
        )
        self._engine = Engine(
            store=store,
            clock=self._clock,
            ids=self._ids,
            stats=self.stats,
            webhooks=self._webhooks,
            base_path=BASE_PATH,
            timings=timings or Timings(),
            sandbox=mode == "sandbox",
            strict=strict,
        )
        self._jobs = Jobs(self._engine, flow_run_outcome)
        self.partner_key = partner_key or self._ids.token()
        self._api = Api(
            handlers=Handlers(self._engine, self._jobs),
            store=self._engine.store,
            partner_key=self.partner_key,
            base_path=BASE_PATH,
            faults=lambda: self._faults,
            dice=dice,
            stats=self.stats,
            openapi=orjson.dumps(build_openapi(BASE_PATH)),
        )
        self._runner: web.AppRunner | None = None

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Start serving (``async with`` does this for you)."""
        if self._runner is not None:
            raise RuntimeError("the emulator is already running")
        self._clock.bind(asyncio.get_running_loop())
        await self._webhooks.start()
        runner = web.AppRunner(
            self._api.app(), access_log=None, handle_signals=False, shutdown_timeout=1.0
        )
        try:
            await runner.setup()
            site = web.TCPSite(runner, self.host, self._port)
            await site.start()
        except BaseException:
            # A failed bind (port in use, bad host) raises out of __aenter__, so close()
            # never runs: undo here what start() opened.
            await runner.cleanup()
            await self._webhooks.close()
            raise
        self._runner = runner
        address = runner.addresses[0]
        self._port = int(address[1])

    async def close(self) -> None:
        """Stop serving, cancel jobs and webhook deliveries, close the delivery session."""
        await self._clock.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self._webhooks.close()

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # -- where and who ---------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port served on."""
        return self._port

    @property
    def base_url(self) -> str:
        """E.g. ``http://127.0.0.1:54321/public/v2``."""
        return f"http://{self.host}:{self._port}{BASE_PATH}"

    @property
    def stats_url(self) -> str:
        """Where ``stats`` are served as JSON, e.g. ``http://127.0.0.1:54321/_emulator/stats``."""
        return f"http://{self.host}:{self._port}{STATS_PATH}"

    async def create_organization(
        self,
        name: str = "Emulated organization",
        *,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
    ) -> Organization:
        """Create an organization (as the partner would) and return it with its token."""
        rec = self._engine.new_org(
            {"name": name, "webhookUrl": webhook_url, "webhookSecret": webhook_secret}
        )
        return Organization(rec.id, name, rec.data["token"])

    # -- time ------------------------------------------------------------------------------

    @property
    def manual_clock(self) -> bool:
        """Whether time moves only through ``advance()``."""
        return self._clock.manual

    def now(self) -> datetime:
        """The emulated current moment (UTC)."""
        return self._clock.now()

    async def advance(self, seconds: float) -> None:
        """Move a manual clock forward and run every job due by then, webhook sends included."""
        await self._clock.advance(seconds)

    async def settle(self) -> None:
        """Run (manual clock) or wait for (real clock) every job due now, webhook sends included."""
        await self._clock.settle()

    # -- faults, stats, deliveries ---------------------------------------------------------

    @property
    def faults(self) -> Faults:
        """The current fault configuration."""
        return self._faults

    @faults.setter
    def faults(self, value: Faults) -> None:
        self._faults = value

    def reset_stats(self) -> None:
        """Zero every counter in ``stats`` (and forget the delivery log)."""
        self.stats.reset()
        self._webhooks.deliveries.clear()

    @property
    def deliveries(self) -> list[Delivery]:
        """Every webhook delivery attempt so far, oldest first."""
        return self._webhooks.deliveries

    # -- flow runs -------------------------------------------------------------------------

    def script_flow_run_outcome(
        self,
        outcome: str,
        *,
        flow_run_id: str | None = None,
        flow_id: str | None = None,
        message_thread_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        times: int | None = 1,
        state: Mapping[str, Any] | None = None,
        running_seconds: float | None = None,
    ) -> FlowRunScript:
        """Decide how matching flow runs end.

        Rules are tried in the order added when a run leaves ``queued``; the first that
        matches (and has uses left) wins; otherwise a posted ``state["emulatorOutcome"]``
        decides; otherwise ``flow_run_outcome`` from the constructor.

        Args:
            outcome: ``finished``, ``timeout``, ``exception``, ``running`` (never ends by
                itself) or ``queued`` (never starts).
            flow_run_id: only this run (script it right after the POST; a run leaves
                ``queued`` after ``timings.run_queued``).
            flow_id: only runs of this flow.
            message_thread_id: only runs on this thread.
            metadata: only runs whose posted ``state`` holds these key/value pairs.
            times: how many runs the rule applies to (None: every matching run).
            state: values merged into the final ``state``.
            running_seconds: how long the run stays ``running`` (emulated seconds).

        Returns:
            the rule (its ``times`` counts down as runs use it).
        """
        script = FlowRunScript(
            outcome,
            flow_run_id=flow_run_id,
            flow_id=flow_id,
            message_thread_id=message_thread_id,
            metadata=metadata,
            times=times,
            state=state,
            running_seconds=running_seconds,
        )
        self._jobs.scripts.append(script)
        return script
