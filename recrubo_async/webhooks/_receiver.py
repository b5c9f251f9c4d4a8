"""``WebhookReceiver``: verify, decode, dedupe, order, publish and dispatch deliveries.

The core is framework-neutral, in two steps so an adapter can refuse a sender before
reading its body: :meth:`WebhookReceiver.authorize` (the secret header), then
:meth:`WebhookReceiver.handle_body`. :meth:`WebhookReceiver.handle` does both for a body
already read. None of them raises into the framework. The adapters, which also bound the
body's size and read time, depend on this module and not the other way round:
``asgi_app()`` (``_asgi.py``) and ``recrubo_async.webhooks.aiohttp`` (``add_routes()``
here delegates to it). Both are imported on first use, so an application on one
framework never loads the other.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from .. import _otel
from .._bounded import BoundedTTLMap, check_max_entries
from .._compat import mark_coroutine_function
from .._jsonapi import Codec
from .._ordering import is_stale
from .._validate import Duration, check_duration, check_header_secret
from ..bus import CompletionBus, InMemoryBus, ResourceEvent
from ..errors import DecodeError
from ._dedupe import Claim, DedupeStore, InMemoryDedupe, as_dedupe_store
from ._payload import WebhookPayload, decode_payload, resource_event, scanned_delivery
from ._result import WebhookResult, answered
from ._verify import SECRET_HEADER, raw_secret_header, secret_matches

if TYPE_CHECKING:
    from aiohttp import web

    from ._asgi import WebhookASGIApp

logger = logging.getLogger("recrubo_async.webhooks")

Handler = Callable[[WebhookPayload], Awaitable[None]]
_H = TypeVar("_H", bound=Handler)

#: The least time between two "deliveries rejected" warnings of one receiver.
REJECTION_LOG_EVERY = 60.0

DEFAULT_MAX_BODY = 1024 * 1024
#: Seconds a sender gets to send a whole body; Recrubo sends a few KiB at once.
DEFAULT_READ_TIMEOUT = 10.0

#: Request headers as frameworks give them: a mapping of decoded ``str`` values, or the
#: raw ``(name, value)`` byte pairs (ASGI ``scope["headers"]``, aiohttp ``raw_headers``).
Headers = Mapping[str, str] | Iterable[tuple[bytes, bytes]]


_CANCELLED = "a handler raised CancelledError although its delivery was not cancelled"


class HandlerCancelledError(Exception):
    """A handler raised ``CancelledError`` while its delivery was not being cancelled (it
    awaited something another component cancelled): a failing handler, answered 500."""


async def _run_handlers(handlers: tuple[Handler, ...], payload: WebhookPayload) -> None:
    """Call ``handlers`` in order; a ``CancelledError`` of theirs is a failure unless
    this task is being cancelled (then it propagates).

    Python 3.10's tasks do not count cancellation requests, so there every
    ``CancelledError`` is taken as the request's own (it propagates; the claim is
    released and the sender's retry runs the handlers again).
    """
    try:
        for handler in handlers:
            await handler(payload)
    except asyncio.CancelledError as exc:
        if sys.version_info >= (3, 11):
            task = asyncio.current_task()
            if task is not None and not task.cancelling():
                raise HandlerCancelledError(_CANCELLED) from exc
        raise


def _is_async_callable(handler: object) -> bool:
    """An ``async def`` function, or an object whose class has an ``async def
    __call__``, or a ``functools.partial`` of either."""
    while isinstance(handler, functools.partial):
        handler = handler.func
    return asyncio.iscoroutinefunction(handler) or (
        callable(handler)
        and not isinstance(handler, type)
        and asyncio.iscoroutinefunction(type(handler).__call__)
    )


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    for key, val in headers.items():
        if key.lower() == lowered:
            return val
    return None


class WebhookReceiver:
    """Receives Recrubo webhook deliveries.

    Args:
        secret: the organization's ``webhookSecret``.
        secrets: several accepted secrets, for rotation without downtime.
        bus: where resource state changes are published for waiters.
        dedupe: where deliveries are claimed and marked handled (``InMemoryDedupe()`` by
            default; ``RedisDedupe`` to share it between replicas).
        dedupe_lease: how long a claim on a delivery holds while its handlers run
            (seconds or a ``timedelta``; 300 by default). Longer than your slowest
            handler: past it, a redelivery to another replica may run it again.
        busy_wait: how long a copy of a delivery that another replica is handling waits
            for that one to finish before answering 503 ``in progress`` (the sender
            retries it later); 2 s by default, 0 answers at once.
        max_body: the largest body accepted, in bytes (default 1 MiB).
        read_timeout: seconds (or a ``timedelta``) the adapters give a sender to send the
            whole body before answering 408 (default 10; ``None``: no limit, only behind
            a proxy that buffers request bodies).
        track_resources: how many resources' newest states are kept to drop late ones.
            Not used with an ``InMemoryBus`` (exactly that class, its ``publish`` not
            replaced on the instance): that bus keeps the newest state per resource under
            the same rule, and decides before its ``publish`` returns, so it is the
            receiver's record (bounded by its own
            ``max_latest``; its ``latest_ttl`` bounds only what a wait reads back, not the
            ordering, since Recrubo retries a delivery for about 24 hours). With no bus,
            a ``RedisBus`` (a known-stale update then costs no round trip) or any other
            bus, the receiver keeps its own.
    """

    def __init__(
        self,
        *,
        secret: str | None = None,
        secrets: Iterable[str] | None = None,
        bus: CompletionBus | None = None,
        dedupe: DedupeStore | None = None,
        dedupe_lease: Duration = 300.0,
        busy_wait: Duration = 2.0,
        max_body: int = DEFAULT_MAX_BODY,
        read_timeout: Duration | None = DEFAULT_READ_TIMEOUT,
        track_resources: int = 100_000,
    ) -> None:
        accepted = [secret] if secret is not None else []
        accepted.extend(secrets or ())
        if not accepted or not all(isinstance(s, str) and s for s in accepted):
            raise ValueError(
                "WebhookReceiver needs the organization's webhook secret: pass secret=... "
                "(or secrets=[new, old] while rotating)"
            )
        for s in accepted:
            check_header_secret("WebhookReceiver(secret=...)", s)
        #: Requests refused for a missing or wrong secret header (logged once a minute).
        self.rejected = 0
        self._rejected_reported = 0
        self._rejection_logged_at = -REJECTION_LOG_EVERY
        self._secrets: Sequence[bytes] = tuple(s.encode("utf-8") for s in accepted)
        self._bus = bus
        self._dedupe: DedupeStore = (
            as_dedupe_store(dedupe) if dedupe is not None else InMemoryDedupe()
        )
        #: The store when it is an ``InMemoryDedupe`` itself, asked without a coroutine
        #: (its ``claim_now``/``done_now``); a subclass may override the async methods.
        self._local_dedupe = self._dedupe if type(self._dedupe) is InMemoryDedupe else None
        self.dedupe_lease = check_duration("WebhookReceiver(dedupe_lease=...)", dedupe_lease)
        self.busy_wait = check_duration(
            "WebhookReceiver(busy_wait=...)", busy_wait, allow_zero=True
        )
        if isinstance(max_body, bool) or not isinstance(max_body, int) or max_body < 1:
            raise ValueError(
                f"WebhookReceiver(max_body=...) must be a number of bytes, 1 or more; "
                f"got {max_body!r}"
            )
        self.max_body = max_body
        self.read_timeout = check_duration(
            "WebhookReceiver(read_timeout=...)", read_timeout, allow_inf=True, none_ok=True
        )
        # Per resource, only what ordering reads (event kind, updatedAt): whole events
        # for 100,000 resources would be a million objects for the cyclic GC to walk.
        # None with an InMemoryBus: its publish applies the same rule to the same key
        # without suspending, so it claims the newest slot before the handlers run, and a
        # second record would only be one more map entry per resource (fresh memory for
        # every new resource). A subclass may suspend in publish: it gets a record.
        tracked = check_max_entries("WebhookReceiver(track_resources=...)", track_resources)
        # Not when its publish was replaced on the instance (instrumentation wrapping it):
        # then the receiver awaits that publish, as for any other bus.
        in_memory = bus if type(bus) is InMemoryBus and "publish" not in vars(bus) else None
        self._newest: BoundedTTLMap[tuple[str, str], tuple[str, datetime | None]] | None = (
            None if in_memory is not None else BoundedTTLMap(tracked)
        )
        #: That bus asked without a coroutine (``InMemoryBus.publish_now``).
        self._publish_now = in_memory.publish_now if in_memory is not None else None
        self._handlers: list[tuple[str | None, str | None, Handler]] = []
        #: Deliveries being handled, by id: a future for their outcome once a concurrent
        #: copy waits for it (None until then: most deliveries never have one).
        self._in_flight: dict[str, asyncio.Future[bool] | None] = {}
        self._codec = Codec()
        #: OpenTelemetry on the global providers (``_otel.py``), decided now: None without
        #: the extra or while no global provider is set.
        self._telemetry = _otel.global_telemetry()

    @property
    def bus(self) -> CompletionBus | None:
        """The bus given at construction; fixed, since who keeps the newest state per
        resource (this receiver or an ``InMemoryBus``) is decided from it then."""
        return self._bus

    def __repr__(self) -> str:
        return f"<WebhookReceiver secrets={len(self._secrets)} handlers={len(self._handlers)}>"

    def on(self, resource_type: str | None = None, event: str | None = None) -> Callable[[_H], _H]:
        """Decorator: call an async handler for deliveries of a type and event.

        ``None`` matches any. A handler that raises makes the delivery answer 500, so
        Recrubo delivers it again.
        """

        def register(handler: _H) -> _H:
            self.add_handler(handler, resource_type=resource_type, event=event)
            return handler

        return register

    def add_handler(
        self, handler: Handler, *, resource_type: str | None = None, event: str | None = None
    ) -> None:
        """Register ``handler`` (see :meth:`on`)."""
        if not _is_async_callable(handler):
            raise TypeError(
                "webhook handlers must be async functions (async def ...) or objects with "
                f"an async __call__; got {type(handler).__name__}"
            )
        self._handlers.append((resource_type, event, handler))

    def authorize(self, headers: Headers) -> bool:
        """Whether the request's secret header holds an accepted secret; check it first.

        Call it before reading the body, so a sender without the secret is answered 401
        without being read. ``headers`` is a mapping of ``str`` values (the name matched
        case-insensitively) or raw ``(name, value)`` byte pairs. Raw bytes must equal the
        secret's UTF-8 bytes. A ``str`` value is accepted when it is the UTF-8 or the
        latin-1 decoding of those bytes: frameworks decode header bytes one way or the
        other (aiohttp UTF-8; Starlette and Django latin-1) and a ``str`` cannot say which.
        """
        # The adapters' raw pairs (a list in ASGI, a tuple in aiohttp) by exact type
        # first: a Mapping check is an ABC check.
        if (
            type(headers) is not list
            and type(headers) is not tuple
            and isinstance(headers, Mapping)
        ):
            presented: str | bytes | None = _header(headers, SECRET_HEADER)
        else:
            presented = raw_secret_header(headers)
        if secret_matches(presented, self._secrets):
            return True
        self._note_rejection()
        return False

    def _note_rejection(self) -> None:
        """Count a request without the secret; log it at most once a minute.

        Anyone can send these, so one WARNING each would let strangers fill the logs.
        """
        self.rejected += 1
        if self._telemetry is not None:
            self._telemetry.rejected_delivery()
        now = time.monotonic()
        if now - self._rejection_logged_at >= REJECTION_LOG_EVERY:
            logger.warning(
                "webhook deliveries rejected: missing or wrong secret header "
                "(%d since the last report; %d in all)",
                self.rejected - self._rejected_reported,
                self.rejected,
            )
            self._rejection_logged_at = now
            self._rejected_reported = self.rejected

    def _refused(self, result: WebhookResult) -> WebhookResult:
        """Count a delivery an adapter answered without handling it (``result``: too
        large, timed out, incomplete) as a delivery span and in the deliveries metric."""
        if self._telemetry is not None:
            self._telemetry.refused_delivery(result.reason)
        return result

    @mark_coroutine_function
    def handle_body(self, body: bytes) -> Coroutine[Any, Any, WebhookResult]:
        """Process the body of a delivery that :meth:`authorize` accepted; never raises.

        Read the body with a limit of :attr:`max_body` bytes and a deadline of
        :attr:`read_timeout` first: this takes it whole. A coroutine method.
        """
        # A plain method returning the coroutine: no frame of its own without telemetry.
        if self._telemetry is None:
            return self._handle_body(body)
        return self._telemetry.traced_delivery(self._handle_body(body))

    async def _handle_body(self, body: bytes) -> WebhookResult:
        if type(body) is not bytes:
            # A bytearray or memoryview the caller may reuse: the bus keeps the body.
            body = bytes(body)
        try:
            if len(body) > self.max_body:
                return WebhookResult(status=413, reason="body too large")
            if not self._handlers:
                scanned = scanned_delivery(body, self._codec)
                if scanned is not None:
                    # Read without parsing it: only a wait reads the resource, from the
                    # bus. No handler, so no claim (see below).
                    return await self._deliver(*scanned, ())
            try:
                payload = decode_payload(body, self._codec)
                handlers = self._handlers_for(payload) if self._handlers else ()
                if handlers:
                    # Decoded now, not in a handler: a delivery that a handler would read
                    # and the SDK cannot is a 400, before it is claimed or published.
                    payload.resource  # noqa: B018
            except DecodeError as exc:
                logger.warning("webhook delivery rejected: %s", exc)
                return WebhookResult(status=400, reason="bad payload")
            event = resource_event(payload, fast=self._codec.fast, delivery=body)
            if not handlers:
                # Nothing would run twice: a redelivery only publishes the same state
                # again, which no wait can tell from the first. No claim, no done.
                return await self._deliver(payload, event, handlers)
            return await self._process(payload, event, handlers)
        except Exception:  # the framework must get an answer, whatever broke
            logger.exception("webhook delivery failed unexpectedly")
            return WebhookResult(status=500, reason="internal error")

    async def handle(self, headers: Headers, body: bytes) -> WebhookResult:
        """Process one delivery whose body is already read; never raises.

        For frameworks without an adapter. Where the framework lets you, call
        :meth:`authorize` before reading the body, then :meth:`handle_body`.
        """
        if not self.authorize(headers):
            return WebhookResult(status=401, reason="unauthorized")
        return await self.handle_body(body)

    def _handlers_for(self, payload: WebhookPayload) -> tuple[Handler, ...]:
        """The handlers registered for ``payload``'s resource type and event, in order."""
        rtype = payload.raw_resource["type"]
        event = payload.event
        return tuple(
            handler
            for htype, hevent, handler in self._handlers
            if (htype is None or htype == rtype) and (hevent is None or hevent == event)
        )

    async def _process(
        self, payload: WebhookPayload, event: ResourceEvent, handlers: tuple[Handler, ...]
    ) -> WebhookResult:
        in_flight = self._in_flight
        while payload.id in in_flight:
            # The same delivery is being handled right now: its outcome decides ours.
            pending = in_flight[payload.id]
            if pending is None:
                pending = asyncio.get_running_loop().create_future()
                in_flight[payload.id] = pending
            if await asyncio.shield(pending):
                return WebhookResult(status=200, reason="duplicate", payload=payload)
        # Noted before the (possibly remote, awaited) claim, so a copy arriving here
        # meanwhile waits for this one's outcome instead of asking the store too.
        in_flight[payload.id] = None
        handled = False
        try:
            local = self._local_dedupe
            if local is not None:
                claim = local.claim_now(payload.id, self.dedupe_lease)
            else:
                claim = await self._dedupe.claim(payload.id, self.dedupe_lease)
            if claim == "busy":
                claim = await self._claim_when_free(payload.id)
            if claim == "done":
                handled = True
                return WebhookResult(status=200, reason="duplicate", payload=payload)
            if claim == "busy":
                # Another replica holds it. Not 200: if that one fails, this copy must
                # come again; not 500: nothing failed. The sender retries a 503 later.
                logger.info("webhook %s is being handled by another replica", payload.id)
                return WebhookResult(status=503, reason="in progress", payload=payload)
            try:
                result = await self._deliver(payload, event, handlers)
            except BaseException:
                await self._release(payload.id)
                raise
            if result.ok:
                if local is not None:
                    local.done_now(payload.id)
                else:
                    await self._mark_done(payload.id)
                handled = True
            else:
                # Released, so the sender's retry runs the handlers again.
                await self._release(payload.id)
            return result
        finally:
            waiting = in_flight.pop(payload.id)
            if waiting is not None:
                waiting.set_result(handled)

    async def _claim_when_free(self, key: str) -> Claim:
        """Another replica holds ``key``: re-ask for up to ``busy_wait`` (from now)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.busy_wait
        pause = 0.05
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return "busy"
            await asyncio.sleep(min(pause, remaining))
            pause = min(pause * 2, 0.5)
            claim = await self._dedupe.claim(key, self.dedupe_lease)
            if claim != "busy":
                return claim

    async def _mark_done(self, key: str) -> None:
        try:
            await self._dedupe.done(key)
        except Exception:
            # The handlers ran: answering 500 would make the sender run them again. The
            # store finishes the mark in the background (RedisDedupe does); meanwhile the
            # claim's lease covers redeliveries.
            logger.exception("webhook %s was handled but could not be marked done", key)

    async def _release(self, key: str) -> None:
        try:
            await self._dedupe.release(key)
        except Exception:
            # The lease expires by itself; the delivery's own outcome is what to report.
            logger.exception("could not release the claim on webhook %s", key)

    async def _deliver(
        self, payload: WebhookPayload, event: ResourceEvent, handlers: tuple[Handler, ...]
    ) -> WebhookResult:
        # Only updates are ordered: a create or delete is an event of its own, never
        # "replaced" by a newer state (a retried create must still reach its handler).
        ordered = event.event == "update"
        newest = self._newest
        if newest is not None:
            key = (event.type, event.id)
            held = newest.get(key)
            if held is not None and is_stale(event.event, event.updated_at, *held):
                if ordered:
                    return self._stale(payload, event, "a state already received here")
            else:
                # Claim the newest slot before dispatching: an older delivery that arrives
                # while this one's handlers still run must be seen as stale, not
                # dispatched after it. (Without a record, the InMemoryBus's publish below
                # claims it, as synchronously.)
                newest.put(key, (event.event, event.updated_at))
        try:
            # Published before dispatching: the bus, shared by every replica, knows
            # whether a newer state reached another one.
            publish_now = self._publish_now
            if publish_now is not None:
                accepted = publish_now(event)
            else:
                bus = self._bus
                accepted = bus is None or await bus.publish(event) is not False
            if not accepted and ordered:
                return self._stale(payload, event, "the state the bus holds")
            if handlers:
                await _run_handlers(handlers, payload)
        except Exception:
            logger.exception(
                "webhook %s (%s %s %s) failed; answering 500 so Recrubo redelivers it",
                payload.id,
                event.event,
                event.type,
                event.id,
            )
            return WebhookResult(status=500, reason="handler failed", payload=payload)
        return answered(200, "ok", payload)

    @staticmethod
    def _stale(payload: WebhookPayload, event: ResourceEvent, newer: str) -> WebhookResult:
        logger.info(
            "webhook %s: %s %s is older than %s; not dispatched",
            payload.id,
            event.type,
            event.id,
            newer,
        )
        return WebhookResult(status=200, reason="stale", payload=payload)

    # -- adapters ----------------------------------------------------------------------

    def asgi_app(self) -> WebhookASGIApp:
        """This receiver as an ASGI 3 application, for Starlette, FastAPI or uvicorn.

        ``app.mount("/webhooks/recrubo", receiver.asgi_app())``. It answers ``POST``
        only, checks the secret before reading the body, and bounds the body's size and
        read time (``max_body``, ``read_timeout``).
        """
        from ._asgi import WebhookASGIApp

        return WebhookASGIApp(self)

    async def aiohttp_handler(self, request: web.Request) -> web.StreamResponse:
        """An aiohttp request handler for this receiver (``webhooks.aiohttp.handler``)."""
        from .aiohttp import _handle

        return await _handle(self, request)

    def add_routes(self, app: web.Application, path: str = "/webhooks") -> None:
        """Add ``POST path`` to an aiohttp application: ``webhooks.aiohttp.add_routes``."""
        from .aiohttp import add_routes

        add_routes(self, app, path)
