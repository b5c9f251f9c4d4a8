"""Fixtures of the idempotency tests: each ledger kind, fresh per test, on real storage (a
dict, a SQLite file, a redis-server of the test's own)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from recrubo_async.idempotency import JobLedger, LedgerPolicy, MemoryLedger, SQLiteLedger
from recrubo_async.idempotency._redis import RedisLedger

from ..support.redis_server import RedisServer

#: Short times so that an expired lease or a passed grace period takes a test well under a
#: second of waiting; the rules are the same as with the defaults.
FAST = LedgerPolicy(lease=0.3, grace_period=0.6, ttl=30.0, clock_skew=5.0)

LedgerFactory = Callable[[LedgerPolicy], JobLedger]


@pytest.fixture(params=["memory", "sqlite", "redis"])
async def make_ledger(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[LedgerFactory]:
    """Makes ledgers of one kind (each test runs once per kind); all closed afterwards.

    Ledgers made by one factory share their storage, as two processes' would.
    """
    made: list[JobLedger] = []
    server: RedisServer | None = None
    if request.param == "redis":
        server = request.getfixturevalue("redis_server")

    def make(policy: LedgerPolicy = FAST) -> JobLedger:
        ledger: JobLedger
        if request.param == "memory":
            # One dict per factory: a second "process" shares the first one's ledger.
            ledger = made[0] if made else MemoryLedger(policy)
        elif request.param == "sqlite":
            ledger = SQLiteLedger(tmp_path / "ledger.db", policy=policy)
        else:
            assert server is not None
            ledger = RedisLedger(server.url, policy=policy)
        made.append(ledger)
        return ledger

    yield make
    for ledger in made:
        await ledger.aclose()
