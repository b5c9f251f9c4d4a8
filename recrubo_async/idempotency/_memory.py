"""``MemoryLedger``: records in a dict, for tests and single-process programs.

Each step runs without an ``await`` inside, so it is atomic within the event loop. Records
die with the process: it protects retries inside one process only.
"""

from __future__ import annotations

import time

import attrs

from ._protocol import LedgerPolicy, LedgerRecord


class MemoryLedger:
    """An in-process ``JobLedger`` (see ``recrubo_async.idempotency``).

    Args:
        policy: the ledger's times (lease, grace period, ttl); ``LedgerPolicy()`` by default.
    """

    def __init__(self, policy: LedgerPolicy | None = None) -> None:
        self.policy = policy or LedgerPolicy()
        self._records: dict[tuple[str, str], tuple[LedgerRecord, float]] = {}

    def __repr__(self) -> str:
        return f"<MemoryLedger records={len(self._records)}>"

    def _live(self, scope: str, key: str) -> LedgerRecord | None:
        entry = self._records.get((scope, key))
        if entry is None:
            return None
        if entry[1] <= time.time():
            del self._records[(scope, key)]
            return None
        return entry[0]

    def _put(self, scope: str, key: str, record: LedgerRecord, expires: float) -> None:
        self._records[(scope, key)] = (record, expires)

    async def claim(self, scope: str, key: str, intent: LedgerRecord) -> LedgerRecord | None:
        """Store ``intent`` unless the key has a live record; else return that record."""
        existing = self._live(scope, key)
        if existing is not None:
            return existing
        self._put(scope, key, intent, time.time() + self.policy.ttl)
        return None

    async def take_over(
        self, scope: str, key: str, *, previous_owner: str, owner: str, lease_until: float
    ) -> bool:
        """Become the owner of a job-less record still held by ``previous_owner``."""
        existing = self._live(scope, key)
        if existing is None or existing.owner != previous_owner or existing.job_id is not None:
            return False
        expires = self._records[(scope, key)][1]
        self._put(scope, key, attrs.evolve(existing, owner=owner, lease_until=lease_until), expires)
        return True

    async def complete(self, scope: str, key: str, job_id: str) -> str:
        """Record ``job_id`` unless one is there; the job id the record holds."""
        entry = self._records.get((scope, key))
        if entry is None:
            return job_id  # expired meanwhile: nothing left to protect
        record, expires = entry
        if record.job_id is not None:
            return record.job_id
        self._put(scope, key, attrs.evolve(record, job_id=job_id), expires)
        return job_id

    async def release(self, scope: str, key: str, owner: str) -> None:
        """Forget a job-less record ``owner`` still holds."""
        existing = self._live(scope, key)
        if existing is not None and existing.owner == owner and existing.job_id is None:
            del self._records[(scope, key)]

    async def aclose(self) -> None:
        """Nothing to release."""
