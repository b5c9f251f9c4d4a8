"""``JobLedger``: where a create's intent and job id are recorded, and what a record holds.

A ledger is storage with four atomic steps; the rules (who may POST, when to reconcile)
live once in ``_flow.py``. Records are keyed by (scope, key): the scope is a digest of the
client's base URL and credentials (``_fingerprint.scope_of``), so two organizations'
records never meet, and no key is ever stored.
"""

from __future__ import annotations

import math
from typing import Protocol, runtime_checkable

import attrs

#: How long a record is kept (and a key remembered): 24 hours, as Stripe keeps keys.
DEFAULT_TTL = 24 * 3600.0
#: How long the caller that recorded an intent may take to send its POST and record the
#: answer: longer than a create call with its retries (timeout x attempts + retry time).
DEFAULT_LEASE = 120.0
#: How long after an intent a job its POST created may still be missing from a list.
DEFAULT_GRACE_PERIOD = 180.0
#: How far the API's clock may be behind this host's when listing ``createdAt >= intent``.
DEFAULT_CLOCK_SKEW = 60.0


def _positive(_: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{attribute.name} must be a number of seconds, got {value!r}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{attribute.name} must be finite seconds, 0 or more; got {value!r}")


@attrs.frozen(kw_only=True)
class LedgerPolicy:
    """The times a ledger works with, in seconds.

    Args:
        ttl: how long a record is kept (default 24 h); the key is forgotten afterwards.
        lease: how long an intent's owner is presumed alive before it records a job id.
        grace_period: counted from the intent (or from the start of the lease of an
            owner that took a dead owner's record over): until then a list that finds no
            job is not trusted (the POST may still be in flight or not yet listed).
        clock_skew: the API's clock may lag this host's by this much.
        owner_wait: how long a call waits for a live owner to record its job before
            ``IdempotencyConflictError`` (None: until the owner's lease ends).
    """

    ttl: float = attrs.field(default=DEFAULT_TTL, validator=_positive)
    lease: float = attrs.field(default=DEFAULT_LEASE, validator=_positive)
    grace_period: float = attrs.field(default=DEFAULT_GRACE_PERIOD, validator=_positive)
    clock_skew: float = attrs.field(default=DEFAULT_CLOCK_SKEW, validator=_positive)
    owner_wait: float | None = attrs.field(
        default=None, validator=attrs.validators.optional(_positive)
    )

    def __attrs_post_init__(self) -> None:
        if self.lease <= 0:
            raise ValueError(
                "lease must be more than 0 s: with none, every owner looks dead while its "
                "POST is in flight, and a concurrent call would send a second one"
            )
        if self.grace_period < self.lease:
            raise ValueError(
                f"grace_period ({self.grace_period} s) must be at least the lease "
                f"({self.lease} s): a POST sent within its lease must have time to be listed"
            )
        if self.ttl <= self.grace_period:
            raise ValueError(f"ttl ({self.ttl} s) must be longer than grace_period")


@attrs.frozen(kw_only=True)
class LedgerRecord:
    """One key's record.

    Attributes:
        fingerprint: the request's fingerprint (``_fingerprint.request_fingerprint``).
        owner: a random token of the call that holds (or last held) the lease.
        intent_at: when the intent was first recorded (Unix seconds, this host's clock).
        lease_until: until when the owner is presumed alive (Unix seconds).
        job_id: the created job, once known.
    """

    fingerprint: str
    owner: str
    intent_at: float
    lease_until: float
    job_id: str | None = None


@runtime_checkable
class JobLedger(Protocol):
    """Stores idempotency records; each method is one atomic step (one round trip).

    ``scope`` separates organizations; ``key`` is the caller's idempotency key.
    """

    policy: LedgerPolicy

    async def claim(self, scope: str, key: str, intent: LedgerRecord) -> LedgerRecord | None:
        """Store ``intent`` unless the key has a live record; None when stored, else that
        record (unchanged)."""
        ...

    async def take_over(
        self, scope: str, key: str, *, previous_owner: str, owner: str, lease_until: float
    ) -> bool:
        """Become the owner of a record without a job id still owned by ``previous_owner``
        (whose lease ended); False when someone else changed it first."""
        ...

    async def complete(self, scope: str, key: str, job_id: str) -> str:
        """Record ``job_id`` unless a job id is already there; the job id the record holds."""
        ...

    async def release(self, scope: str, key: str, owner: str) -> None:
        """Forget the record if ``owner`` still holds it and it has no job id (its POST
        provably created nothing), so the key can be used again at once."""
        ...

    async def aclose(self) -> None:
        """Release connections or files the ledger opened itself."""
        ...
