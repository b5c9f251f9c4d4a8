"""Webhook subscriptions matching, payloads, delivery with retries, and the delivery log.

A payload (its id and body) is fixed when the event happens; where it goes and with which
secret is read at each attempt, as a real sender reads its settings at send time: a retry
after the organization rotates its secret carries the new secret, and a payload whose
subscription (or organization) was deleted in the meantime is not sent again.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Iterable, Sequence
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
from ._store import OrgData, Record, Store

log = logging.getLogger("recrubo_emulator")

SECRET_HEADER = "X-Recrubo-Webhook-Secret"
#: Emulated seconds between attempts: 5 retries spread over about 24 hours, like the API.
DEFAULT_RETRY_SCHEDULE = (60.0, 300.0, 1800.0, 7200.0, 75600.0)


def checked_schedule(delays: Iterable[float]) -> tuple[float, ...]:
    """Check a retry schedule: each delay a finite number of emulated seconds, at least 0.

    Raises:
        ValueError: a delay is negative, infinite or not a number.
    """
    schedule = tuple(float(d) for d in delays)
    for delay in schedule:
        if not math.isfinite(delay) or delay < 0:
            raise ValueError(f"webhook retry delays must be finite and not negative, got {delay!r}")
    return schedule


@attrs.frozen
class Delivery:
    """One delivery attempt of a webhook payload.

    Attributes:
        payload_id: the payload's ``data.id`` (the same for every attempt of one payload).
        webhook_id: the subscription that matched.
        url: where it was (or would have been) sent, read at the attempt.
        event: ``create``, ``update`` or ``delete``.
        resource_type: JSON:API type of the resource.
        resource_id: id of the resource.
        attempt: 1 for the first try, then one more per retry (up to 6 by default).
        status: the receiver's HTTP status, or None when no answer came.
        error: what went wrong (None when the receiver answered 2xx); a payload whose
            subscription or organization was deleted before this attempt is not sent, and
            its entry says so.
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


@attrs.frozen
class _Payload:
    """What is fixed when the event happens; the destination is looked up per attempt."""

    payload_id: str
    org_id: str
    webhook_id: str
    event: str
    resource_type: str
    resource_id: str
    body: bytes


@attrs.frozen
class _Target:
    """Where an attempt goes and with which secret (both as stored at that moment)."""

    url: str | None
    secret: str | None = attrs.field(repr=False)


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
        store: the organizations and their subscriptions, read at each attempt.
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
        store: Store,
        clock: Clock,
        ids: IdFactory,
        dice: FaultDice,
        faults: Callable[[], Faults],
        stats: Stats,
        retry_schedule: Sequence[float],
        timeout: float,
    ) -> None:
        self._store = store
        self._clock = clock
        self._ids = ids
        self._dice = dice
        self._faults = faults
        self._stats = stats
        self._schedule = checked_schedule(retry_schedule)
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
            payload = _Payload(payload_id, org.id, sub.id, event, rec.type, rec.id, body)
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

    def _target(self, payload: _Payload) -> _Target | str:
        """Where this attempt goes, read now; or why it is not sent at all."""
        org = self._store.orgs.get(payload.org_id)
        data = self._store.data.get(payload.org_id)
        if org is None or data is None:
            return "the organization was deleted; not sent"
        sub = data.get("webhooks", payload.webhook_id)
        if sub is None:
            return "the subscription was deleted; not sent"
        return _Target(
            sub.data.get("webhookUrl") or org.data.get("webhookUrl"),
            org.data.get("webhookSecret"),
        )

    def _log(
        self,
        payload: _Payload,
        url: str | None,
        attempt: int,
        status: int | None,
        error: str | None,
        duplicate: bool = False,
    ) -> None:
        self.deliveries.append(
            Delivery(
                payload.payload_id,
                payload.webhook_id,
                url,
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
        target = self._target(payload)
        if isinstance(target, str):
            # A real sender's retry finds no subscription to send for: the payload ends here.
            self._stats.webhooks["discarded"] += 1
            self._log(payload, None, attempt, None, target)
            return
        faults = self._faults()
        if attempt == 1 and self._dice.hit(faults.webhook_drop):
            self._stats.faults["webhook_drop"] += 1
            self._stats.webhooks["dropped"] += 1
            self._log(payload, target.url, attempt, None, "dropped by fault injection")
            return
        status, error = await self._send(payload, target)
        self._stats.webhooks["attempts"] += 1
        self._log(payload, target.url, attempt, status, error)
        if error is None:
            self._stats.webhooks["delivered"] += 1
            if self._dice.hit(faults.webhook_duplicate):
                self._stats.faults["webhook_duplicate"] += 1
                self._stats.webhooks["duplicated"] += 1
                status, error = await self._send(payload, target)
                self._log(payload, target.url, attempt, status, error, duplicate=True)
            return
        self._stats.webhooks["failed"] += 1
        if attempt > len(self._schedule):
            self._stats.webhooks["gave_up"] += 1
            return
        self._clock.schedule(self._schedule[attempt - 1], self._job(payload, attempt + 1))

    async def _send(self, payload: _Payload, target: _Target) -> tuple[int | None, str | None]:
        if not target.url:
            return None, "no webhookUrl on the subscription or the organization"
        if self._session is None:
            return None, "emulator is closed"
        headers = {"Content-Type": JSONAPI}
        if target.secret:
            headers[SECRET_HEADER] = target.secret
        try:
            async with self._session.post(
                target.url, data=payload.body, headers=headers, timeout=self._timeout
            ) as resp:
                await resp.read()
                status = resp.status
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError, ValueError) as exc:
            # The URL is the user's own; never log the secret header.
            log.debug("webhook %s to %s failed: %r", payload.payload_id, target.url, exc)
            return None, f"{type(exc).__name__}: {exc}"
        if 200 <= status < 300:
            return status, None
        return status, f"HTTP {status}"
