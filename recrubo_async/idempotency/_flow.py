"""The idempotent create, written once: claim the key, POST at most once, record the job;
or return the recorded job; or wait for a live owner; or reconcile a dead owner's intent.

``_billed.create_billed`` calls ``run`` when a create has an ``idempotency_key``. The
ledger is touched once before the POST (``claim``) and once after it (``complete``).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import Any, Generic, TypeVar

import attrs

from ..errors import (
    APIConnectionError,
    APIStatusError,
    DecodeError,
    IdempotencyConflictError,
    IdempotencyKeyReusedError,
)
from ..models._base import Resource
from ._protocol import JobLedger, LedgerRecord

logger = logging.getLogger("recrubo_async.idempotency")

_M = TypeVar("_M", bound=Resource)

#: The first and the longest pause between two looks at a live owner's record (seconds).
_FIRST_PAUSE = 0.05
_LONGEST_PAUSE = 1.0
#: Keys are stored as given: a bound keeps a record's size sane.
MAX_KEY_LENGTH = 255


def check_key(key: object) -> str:
    """An idempotency key: a non-blank string of at most 255 characters.

    Raises:
        ValueError, TypeError: anything else.
    """
    if not isinstance(key, str):
        raise TypeError(f"idempotency_key must be a string, got {type(key).__name__}")
    if not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise ValueError(
            f"idempotency_key must be a non-blank string of at most {MAX_KEY_LENGTH} "
            "characters, e.g. the task's id or a uuid4 kept with the task"
        )
    return key


@attrs.frozen(kw_only=True)
class IdempotentCreate(Generic[_M]):
    """One create with an idempotency key: what the flow needs from the resource.

    Attributes:
        post: sends the POST once (``create_once``): the created job or an error.
        fetch: GETs a job by id (for a job recorded or adopted earlier).
        reconcile: the raw jobs created since a moment that match the request.
    """

    key: str
    ledger: JobLedger
    scope: str
    type_name: str
    fingerprint: str
    post: Callable[[], Awaitable[_M]]
    fetch: Callable[[str], Awaitable[_M]]
    reconcile: Callable[[datetime], Awaitable[list[dict[str, Any]]]]


async def run(create: IdempotentCreate[_M]) -> _M:
    """The job this key stands for: created now, recorded before, or found again.

    Raises:
        IdempotencyKeyReusedError: the key was used with another request.
        IdempotencyConflictError: a live owner did not finish within ``owner_wait``, or
            several jobs match a dead owner's request.
        JobMayExistError: this call's own POST failed ambiguously (its intent stays, so a
            retry reconciles it once the lease ends).
    """
    ledger, policy = create.ledger, create.ledger.policy
    pause = _FIRST_PAUSE
    waiting_since: float | None = None
    while True:
        # A new token per claim: a ledger may take a record held under the claim's own
        # token for a resent claim (Redis), so a token must never outlive its claim.
        owner = secrets.token_hex(16)
        now = time.time()
        intent = LedgerRecord(
            fingerprint=create.fingerprint,
            owner=owner,
            intent_at=now,
            lease_until=now + policy.lease,
        )
        existing = await ledger.claim(create.scope, create.key, intent)
        if existing is None:
            return await _post(create, owner)
        if existing.fingerprint != create.fingerprint:
            raise IdempotencyKeyReusedError(
                f"idempotency_key {create.key!r} was used with a different {create.type_name} "
                "request; nothing was sent. Use a new key for a new request",
                key=create.key,
            )
        if existing.job_id is not None:
            return await create.fetch(existing.job_id)
        if existing.lease_until > now:
            # Another caller holds the lease: its POST may be in flight. Never POST; look
            # again until it records its job, its lease ends, or our patience does.
            started = waiting_since = waiting_since or time.monotonic()
            budget = policy.owner_wait
            if budget is not None and time.monotonic() - started >= budget:
                raise IdempotencyConflictError(
                    f"idempotency_key {create.key!r}: another caller is creating this "
                    f"{create.type_name} (its lease ends in {existing.lease_until - now:.1f} s); "
                    "nothing was sent. Try again later",
                    key=create.key,
                    reason="in_progress",
                )
            await asyncio.sleep(min(pause, max(existing.lease_until - now, 0.0) + 0.01))
            pause = min(pause * 2, _LONGEST_PAUSE)
            continue
        # The owner died (or gave up) without recording a job: one caller takes over.
        taken = await ledger.take_over(
            create.scope,
            create.key,
            previous_owner=existing.owner,
            owner=owner,
            lease_until=now + policy.lease,
        )
        if taken:
            found = await _reconcile(create, owner, existing)
            if found is not None:
                return found


async def _reconcile(create: IdempotentCreate[_M], owner: str, dead: LedgerRecord) -> _M | None:
    """Holding the lease of a dead owner's intent: adopt its job, or POST once the grace
    period shows there is none. None: the lease was lost meanwhile (start over).

    The list covers every POST since the first intent; the grace period counts from the
    last moment the dead owner may have sent one (its lease's start, ``lease_until -
    lease``): an owner that took over and died mid-POST gets a grace period of its own.
    """
    ledger, policy = create.ledger, create.ledger.policy
    since = datetime.fromtimestamp(dead.intent_at - policy.clock_skew, timezone.utc)
    deadline = max(dead.intent_at, dead.lease_until - policy.lease) + policy.grace_period
    while True:
        jobs = await create.reconcile(since)
        if len(jobs) == 1:
            job_id = await ledger.complete(create.scope, create.key, str(jobs[0]["id"]))
            logger.info("idempotency_key %r: adopted %s %s", create.key, create.type_name, job_id)
            return await create.fetch(job_id)
        if len(jobs) > 1:
            ids = [str(job["id"]) for job in jobs]
            raise IdempotencyConflictError(
                f"idempotency_key {create.key!r}: its first caller died before recording its "
                f"{create.type_name}, and {len(ids)} jobs created since match the request: "
                f"{', '.join(ids)}. Nothing was sent; keep one (delete the others) and "
                "record your choice yourself",
                key=create.key,
                reason="ambiguous",
                job_ids=ids,
            )
        remaining = max(deadline - time.time(), 0.0)
        # Keep the lease (for the rest of the grace period, then for the POST), and make
        # sure no job was recorded meanwhile (a late owner's ``complete``).
        renewed = await ledger.take_over(
            create.scope,
            create.key,
            previous_owner=owner,
            owner=owner,
            lease_until=time.time() + remaining + policy.lease,
        )
        if not renewed:
            return None
        if remaining <= 0:
            return await _post(create, owner)
        # A job the dead owner's POST created may not be listed yet: look once more when
        # the grace period has run out.
        await asyncio.sleep(remaining)


async def _post(create: IdempotentCreate[_M], owner: str) -> _M:
    """Send the POST this call holds the lease for; record its job."""
    try:
        created = await create.post()
    except (APIConnectionError, APIStatusError, DecodeError):
        # ``create_once`` lets through only failures that provably created nothing: free
        # the key so a corrected or later call can use it at once.
        await create.ledger.release(create.scope, create.key, owner)
        raise
    try:
        job_id = await create.ledger.complete(create.scope, create.key, created.id)
    except Exception:
        # The job exists; a retry finds it by reconciliation once the lease ends, so the
        # caller gets its job rather than an error that would make it retry sooner.
        logger.warning(
            "idempotency_key %r: created %s %s but could not record it in the ledger; "
            "a retry will find it by listing",
            create.key,
            create.type_name,
            created.id,
            exc_info=True,
        )
        return created
    if job_id != created.id:
        logger.error(
            "idempotency_key %r: created %s %s after its lease ended; %s was recorded "
            "meanwhile (raise the ledger's lease above the create call's longest duration)",
            create.key,
            create.type_name,
            created.id,
            job_id,
        )
        return await create.fetch(job_id)
    return created
