"""``WebhookReceiver``: verify, decode, dedupe, order, publish and dispatch deliveries.

The core (:meth:`WebhookReceiver.handle`) is framework-neutral: give it the request
headers and body, send back the status it returns. It never raises into the framework.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, TypeVar

import attrs

from .._jsonapi import Codec
from ..bus import CompletionBus, ResourceEvent
from ..errors import DecodeError
from ._dedupe import DedupeStore, InMemoryDedupe
from ._payload import WebhookPayload, decode_payload
from ._verify import SECRET_HEADER, secret_matches

if TYPE_CHECKING:
    from aiohttp import web

logger = logging.getLogger("recrubo_async.webhooks")

Handler = Callable[[WebhookPayload], Awaitable[None]]
_H = TypeVar("_H", bound=Handler)

DEFAULT_MAX_BODY = 1024 * 1024


@attrs.frozen(kw_only=True)
class WebhookResult:
    """What to answer Recrubo, and what was received.

    Attributes:
        status: the HTTP status to send (200, 400, 401, 413 or 500).
        reason: a short word for logs and the response body (never a secret).
        payload: the decoded payload, when it got that far.
    """

    status: int
    reason: str
    payload: WebhookPayload | None = None

    @property
    def ok(self) -> bool:
        return self.status < 300


class _Newest:
    """The newest ``updatedAt`` seen per resource (bounded), to drop late older states."""

    def __init__(self, max_entries: int) -> None:
        self._seen: OrderedDict[tuple[str, str], ResourceEvent] = OrderedDict()
        self._max = max_entries

    def is_stale(self, event: ResourceEvent) -> bool:
        current = self._seen.get(event.key)
        return current is not None and event.is_older_than(current)

    def record(self, event: ResourceEvent) -> None:
        current = self._seen.get(event.key)
        if current is None or not event.is_older_than(current):
            self._seen[event.key] = event
            self._seen.move_to_end(event.key)
            while len(self._seen) > self._max:
                self._seen.popitem(last=False)


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
        dedupe: where handled delivery ids are kept (``InMemoryDedupe()`` by default).
        max_body: the largest body accepted, in bytes (default 1 MiB).
        track_resources: how many resources' newest states are kept to drop late ones.
    """

    def __init__(
        self,
        *,
        secret: str | None = None,
        secrets: Iterable[str] | None = None,
        bus: CompletionBus | None = None,
        dedupe: DedupeStore | None = None,
        max_body: int = DEFAULT_MAX_BODY,
        track_resources: int = 100_000,
    ) -> None:
        accepted = [secret] if secret is not None else []
        accepted.extend(secrets or ())
        if not accepted or not all(isinstance(s, str) and s for s in accepted):
            raise ValueError(
                "WebhookReceiver needs the organization's webhook secret: pass secret=... "
                "(or secrets=[new, old] while rotating)"
            )
        self._secrets: Sequence[bytes] = tuple(s.encode("utf-8") for s in accepted)
        self.bus = bus
        self._dedupe: DedupeStore = dedupe if dedupe is not None else InMemoryDedupe()
        self.max_body = max_body
        self._newest = _Newest(track_resources)
        self._handlers: list[tuple[str | None, str | None, Handler]] = []
        self._in_flight: dict[str, asyncio.Future[bool]] = {}
        self._codec = Codec()

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
        if not asyncio.iscoroutinefunction(handler):
            raise TypeError("webhook handlers must be async functions (async def ...)")
        self._handlers.append((resource_type, event, handler))

    async def handle(self, headers: Mapping[str, str], body: bytes) -> WebhookResult:
        """Process one delivery; never raises (a failure is a 5xx result)."""
        try:
            return await self._handle(headers, body)
        except Exception:  # the framework must get an answer, whatever broke
            logger.exception("webhook delivery failed unexpectedly")
            return WebhookResult(status=500, reason="internal error")

    async def _handle(self, headers: Mapping[str, str], body: bytes) -> WebhookResult:
        if len(body) > self.max_body:
            return WebhookResult(status=413, reason="body too large")
        if not secret_matches(_header(headers, SECRET_HEADER), self._secrets):
            logger.warning("webhook delivery rejected: missing or wrong secret header")
            return WebhookResult(status=401, reason="unauthorized")
        try:
            payload = decode_payload(body, self._codec)
        except DecodeError as exc:
            logger.warning("webhook delivery rejected: %s", exc)
            return WebhookResult(status=400, reason="bad payload")
        return await self._process(payload)

    async def _process(self, payload: WebhookPayload) -> WebhookResult:
        while (pending := self._in_flight.get(payload.id)) is not None:
            # The same delivery is being handled right now: its outcome decides ours.
            if await asyncio.shield(pending):
                return WebhookResult(status=200, reason="duplicate", payload=payload)
        # Claimed before the (possibly remote, awaited) dedupe lookup, so a copy arriving
        # meanwhile waits for this one's outcome instead of running the handlers too.
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._in_flight[payload.id] = done
        handled = False
        try:
            if await self._dedupe.contains(payload.id):
                handled = True
                return WebhookResult(status=200, reason="duplicate", payload=payload)
            result = await self._deliver(payload)
            handled = result.ok
            return result
        finally:
            del self._in_flight[payload.id]
            done.set_result(handled)

    async def _deliver(self, payload: WebhookPayload) -> WebhookResult:
        event = ResourceEvent.from_resource(payload.raw_resource, event=str(payload.event))
        # Only updates are ordered: a create or delete is an event of its own, never
        # "replaced" by a newer state (a retried create must still reach its handler).
        if event.event == "update" and self._newest.is_stale(event):
            logger.info(
                "webhook %s: %s %s is older than a state already received; not dispatched",
                payload.id,
                event.type,
                event.id,
            )
            await self._dedupe.add(payload.id)
            return WebhookResult(status=200, reason="stale", payload=payload)
        # Claim the newest slot before dispatching: an older delivery that arrives while
        # this one's handlers still run must be seen as stale, not dispatched after it.
        self._newest.record(event)
        try:
            if self.bus is not None:
                await self.bus.publish(event)
            for rtype, revent, handler in self._handlers:
                if (rtype is None or rtype == event.type) and (
                    revent is None or revent == event.event
                ):
                    await handler(payload)
        except Exception:
            logger.exception(
                "webhook %s (%s %s %s) failed; answering 500 so Recrubo redelivers it",
                payload.id,
                event.event,
                event.type,
                event.id,
            )
            return WebhookResult(status=500, reason="handler failed", payload=payload)
        await self._dedupe.add(payload.id)
        return WebhookResult(status=200, reason="ok", payload=payload)

    # -- aiohttp -----------------------------------------------------------------------

    async def aiohttp_handler(self, request: web.Request) -> web.Response:
        """An aiohttp request handler for this receiver."""
        from ._aiohttp import handle_request

        return await handle_request(self, request)

    def add_routes(self, app: web.Application, path: str = "/webhooks") -> None:
        """Add ``POST path`` to an aiohttp application."""
        app.router.add_post(path, self.aiohttp_handler)
