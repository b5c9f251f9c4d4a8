"""Idempotent creates of billed jobs: ``create(..., idempotency_key=...)`` sends at most one
POST per key, even when the task that asked is retried after a crash.

The Recrubo API has no idempotency keys, so the SDK keeps them in a ``JobLedger``:

* the first call records an intent (key, request fingerprint, time, lease) before its POST
  and the job id as soon as the answer arrives (one ledger round trip each);
* a later call with the same key and request sends nothing and returns that job (or, in
  ``create_and_wait``, resumes the wait on it); another request raises
  ``IdempotencyKeyReusedError``;
* a call that meets a live owner's lease waits for it (``owner_wait``) or raises
  ``IdempotencyConflictError``;
* a call that meets a dead owner's intent lists the jobs created since it and adopts the
  one that matches; several raise ``IdempotencyConflictError``; none, once the grace
  period has passed, lets it POST.

Ledgers: ``MemoryLedger`` (one process), ``SQLiteLedger`` (one host, stdlib ``sqlite3``),
``RedisLedger`` (the ``redis`` extra; imported on first use). docs/idempotency.md has the
guarantees and what stays the caller's job. ``find_possible_jobs`` helps callers without
a ledger after a ``JobMayExistError``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import IdempotencyConflictError, IdempotencyKeyReusedError
from ._find import find_possible_jobs
from ._memory import MemoryLedger
from ._protocol import JobLedger, LedgerPolicy, LedgerRecord
from ._sqlite import SQLiteLedger

if TYPE_CHECKING:
    from ._redis import RedisLedger

__all__ = [
    "IdempotencyConflictError",
    "IdempotencyKeyReusedError",
    "JobLedger",
    "LedgerPolicy",
    "LedgerRecord",
    "MemoryLedger",
    "RedisLedger",
    "SQLiteLedger",
    "find_possible_jobs",
]


def __getattr__(name: str) -> Any:
    if name == "RedisLedger":
        from ._redis import RedisLedger

        return RedisLedger
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
