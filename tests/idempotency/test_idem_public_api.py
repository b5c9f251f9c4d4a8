"""``recrubo_async.idempotency``'s public names, and the errors' single home."""

from __future__ import annotations

from pathlib import Path

import recrubo_async
from recrubo_async import errors, idempotency


def test_idempotency_exports() -> None:
    assert sorted(idempotency.__all__) == [
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
    for name in idempotency.__all__:
        assert getattr(idempotency, name) is not None, name


def test_the_errors_live_in_errors_and_are_re_exported() -> None:
    assert idempotency.IdempotencyKeyReusedError is errors.IdempotencyKeyReusedError
    assert idempotency.IdempotencyConflictError is errors.IdempotencyConflictError
    assert recrubo_async.IdempotencyConflictError is errors.IdempotencyConflictError
    assert issubclass(errors.IdempotencyKeyReusedError, errors.RecruboError)
    assert issubclass(errors.IdempotencyConflictError, errors.RecruboError)


def test_every_ledger_satisfies_the_protocol(tmp_path: Path) -> None:
    ledgers = [
        idempotency.MemoryLedger(),
        idempotency.SQLiteLedger(tmp_path / "l.db"),
        idempotency.RedisLedger("redis://127.0.0.1:1/0"),
    ]
    for ledger in ledgers:
        assert isinstance(ledger, idempotency.JobLedger)
