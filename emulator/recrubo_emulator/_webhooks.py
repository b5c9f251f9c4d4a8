"""Webhook subscriptions matching, payloads, delivery with retries, and the delivery log."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import aiohttp
import attrs
import orjson

from ._clock import Clock
from ._faults import FaultDice, Faults
from ._ids import IdFactory
from ._jsonapi import JSONAPI
from ._stats import Stats
from ._store import OrgData, Record

log = logging.getLogger("recrubo_emulator")

SECRET_HEADER = "X-Recrubo-Webhook-Secret"
#: Emulated seconds between attempts: 5 retries spread over about 24 hours, like the API.
DEFAULT_RETRY_SCHEDULE = (60.0, 300.0, 1800.0, 7200.0, 75600.0)


@attrs.frozen
class Delivery:
    """One delivery attempt of a webhook payload.

    Attributes:
        payload_id: the payload's ``data.id`` (the same for every attempt of one payload).
        webhook_id: the subscription that matched.
        url: where it was (or would have been) sent.
        event: ``create``, ``update`` or ``delete``.
        resource_type: JSON:API type of the resource.
        resource_id: id of the resource.
        attempt: 1 for the first try, up to 6.
        status: the receiver's HTTP status, or None when no answer came.
        error: what went wrong (None when the receiver answered 2xx).
        at: emulated time of the attempt.
        duplicate: sent again on purpose by the ``webhook_duplicate`` fault.
    """

    payload_id: str
    webhook_id: str
    url: str | None
    event: str
    resource_type: str
    resource_id: str
    attempt: int
    status: int | None
    error: str | None
    at: datetime
    duplicate: bool = False

    @property
    def ok(self) -> bool:
        """Whether the receiver answered 2xx."""
        return self.status is not None and 200 <= self.status < 300


@attrs.define
class _Payload:
    payload_id: str
    webhook_id: str
    url: str | None
    secret: str | None
    event: str
    resource_type: str
    resource_id: str
    body: bytes


def matches(sub: Record, rec_type: str, event: str, fields: Sequence[str]) -> bool:
    """Whether a subscription wants this event (``fields`` only narrows update events)."""
    data = sub.data
    if data["resourceType"] != rec_type or data["event"] != event:
        return False
    wanted = data.get("fields")
    if event != "update" or not wanted:
        return True
    return any(name in wanted for name in fields)


class WebhookDispatcher:
    """Turns resource events into deliveries on the emulated clock.

    Args:
        clock: schedules attempts (retries and delays are emulated seconds).
        ids: payload ids.
        dice: seeded fault draws.
        faults: returns the current fault configuration.
        stats: counters to bump.
        retry_schedule: emulated seconds before each retry.
        timeout: real seconds a receiver may take to answer.
    """

    def __init__(
        self,
        *,
        clock: Clock,
        ids: IdFactory,
        dice: FaultDice,
        faults: Callable[[], Faults],
        stats: Stats,
        retry_schedule: Sequence[float],
        timeout: float,
    ) -> None:
        self._clock = clock
        self._ids = ids
        self._dice = dice
        self._faults = faults
        self._stats = stats
        self._schedule = tuple(retry_schedule)
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self.deliveries: list[Delivery] = []

    async def start(self) -> None:
        """Open the client session used for deliveries."""
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=64), skip_auto_headers=("User-Agent",)
        )

    async def close(self) -> None:
        """Close the client session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    def publish(
        self,
        org: Record,
        data: OrgData,
        event: str,
        rec: Record,
        fields: Sequence[str],
        render: Callable[[], dict[str, Any]],
    ) -> None:
        """Queue a payload for every subscription of ``org`` that wants this event."""
        subs = [s for s in data.tables["webhooks"].values() if matches(s, rec.type, event, fields)]
        if not subs:
            return
        resource = render()
        for sub in subs:
            payload_id = self._ids.uuid()
            body = orjson.dumps(
                {
                    "data": {
                        "type": "webhookPayload",
                        "id": payload_id,
                        "attributes": {
                            "webhookId": sub.id,
                            "event": event,
                            "fields": list(fields),
                            "resource": resource,
                        },
                    }
                }
            )
            payload = _Payload(
                payload_id,
                sub.id,
                sub.data.get("webhookUrl") or org.data.get("webhookUrl"),
                org.data.get("webhookSecret"),
                event,
                rec.type,
                rec.id,
                body,
            )
            faults = self._faults()
            delay = faults.webhook_delay
            if delay:
                self._stats.faults["webhook_delay"] += 1
            if self._dice.hit(faults.webhook_reorder):
                self._stats.faults["webhook_reorder"] += 1
                delay += faults.reorder_window
            self._clock.schedule(delay, self._job(payload, 1))

    def _job(self, payload: _Payload, attempt: int) -> Callable[[], Any]:
        async def run() -> None:
            await self._attempt(payload, attempt)

        return run

    def _log(
        self,
        payload: _Payload,
        attempt: int,
        status: int | None,
        error: str | None,
        duplicate: bool = False,
    ) -> None:
        self.deliveries.append(
            Delivery(
                payload.payload_id,
                payload.webhook_id,
                payload.url,
                payload.event,
                payload.resource_type,
                payload.resource_id,
                attempt,
                status,
                error,
                self._clock.now(),
                duplicate,
            )
        )

    async def _attempt(self, payload: _Payload, attempt: int) -> None:
        faults = self._faults()
        if attempt == 1 and self._dice.hit(faults.webhook_drop):
            self._stats.faults["webhook_drop"] += 1
            self._stats.webhooks["dropped"] += 1
            self._log(payload, attempt, None, "dropped by fault injection")
            return
        status, error = await self._send(payload)
        self._stats.webhooks["attempts"] += 1
        self._log(payload, attempt, status, error)
        if error is None:
            self._stats.webhooks["delivered"] += 1
            if self._dice.hit(faults.webhook_duplicate):
                self._stats.faults["webhook_duplicate"] += 1
                self._stats.webhooks["duplicated"] += 1
                status, error = await self._send(payload)
                self._log(payload, attempt, status, error, duplicate=True)
            return
        self._stats.webhooks["failed"] += 1
        if attempt > len(self._schedule):
            self._stats.webhooks["gave_up"] += 1
            return
        self._clock.schedule(self._schedule[attempt - 1], self._job(payload, attempt + 1))

    async def _send(self, payload: _Payload) -> tuple[int | None, str | None]:
        if not payload.url:
            return None, "no webhookUrl on the subscription or the organization"
        if self._session is None:
            return None, "emulator is closed"
        headers = {"Content-Type": JSONAPI}
        if payload.secret:
            headers[SECRET_HEADER] = payload.secret
        try:
            async with self._session.post(
                payload.url, data=payload.body, headers=headers, timeout=self._timeout
            ) as resp:
                await resp.read()
                status = resp.status
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError, ValueError) as exc:
            # The URL is the user's own; never log the secret header.
            log.debug("webhook %s to %s failed: %r", payload.payload_id, payload.url, exc)
            return None, f"{type(exc).__name__}: {exc}"
        if 200 <= status < 300:
            return status, None
        return status, f"HTTP {status}"
