"""``SQLiteLedger``: records in a SQLite file (stdlib ``sqlite3``), shared by every process
on one host.

Each step is one ``BEGIN IMMEDIATE`` transaction, so processes serialize on the file's
write lock; the blocking calls run in a worker thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from ._protocol import LedgerPolicy, LedgerRecord

_T = TypeVar("_T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS recrubo_idempotency (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    owner TEXT NOT NULL,
    intent_at REAL NOT NULL,
    lease_until REAL NOT NULL,
    job_id TEXT,
    expires REAL NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX IF NOT EXISTS recrubo_idempotency_expires ON recrubo_idempotency (expires);
"""
_COLUMNS = "fingerprint, owner, intent_at, lease_until, job_id"
#: Expired rows are swept once per this many claims (each claim drops its own key's).
_SWEEP_EVERY = 256
#: How long a step waits for another process's lock (the busy timeout, and the bound on
#: retrying the moments SQLite answers "locked" without waiting; see ``_patiently``).
_LOCK_WAIT = 30.0
#: SQLite's primary result code for "locked" (``sqlite3.SQLITE_BUSY`` from Python 3.11).
_SQLITE_BUSY = 5


def _busy(exc: sqlite3.OperationalError) -> bool:
    code: int | None = getattr(exc, "sqlite_errorcode", None)  # Python 3.11+
    if code is not None:
        return (code & 0xFF) == _SQLITE_BUSY
    return "database is locked" in str(exc)


def _patiently(conn: sqlite3.Connection, action: Callable[[], _T]) -> _T:
    """Run ``action``, again while SQLite answers "locked" without having waited.

    SQLite skips the busy timeout where waiting could deadlock: a connection that reads a
    file and then needs its write lock while another holds it is told "locked" at once. That
    happens when processes open a new file together (each switches it to WAL); and in WAL mode
    while the last connection cleans up at close (https://sqlite.org/wal.html). ``action``
    must have no effect when it fails.
    """
    deadline = time.monotonic() + _LOCK_WAIT
    pause = 0.001
    retried = False
    try:
        while True:
            try:
                return action()
            except sqlite3.OperationalError as exc:
                if not _busy(exc) or time.monotonic() + pause > deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.1)
            # A retry waits (in SQLite's busy handler) only for what is left of the wait.
            retried = True
            left_ms = max(1, int((deadline - time.monotonic()) * 1000))
            conn.execute(f"PRAGMA busy_timeout = {left_ms}")
    finally:
        if retried:
            conn.execute(f"PRAGMA busy_timeout = {int(_LOCK_WAIT * 1000)}")


def _record(row: tuple[str, str, float, float, str | None]) -> LedgerRecord:
    return LedgerRecord(
        fingerprint=row[0], owner=row[1], intent_at=row[2], lease_until=row[3], job_id=row[4]
    )


def _set_up(conn: sqlite3.Connection) -> None:
    # The journal mode is stored in the file: only its first user switches it (which needs
    # the exclusive lock), so later processes never contend for that lock.
    if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(_SCHEMA)


class SQLiteLedger:
    """A ``JobLedger`` in a SQLite file: survives restarts, shared by one host's processes.

    Not for several hosts (SQLite's locking needs a local file system); use ``RedisLedger``.

    Args:
        path: the database file (created with its table when missing).
        policy: the ledger's times; ``LedgerPolicy()`` by default.
    """

    def __init__(self, path: str | os.PathLike[str], *, policy: LedgerPolicy | None = None) -> None:
        self.policy = policy or LedgerPolicy()
        self._path = os.fspath(path)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._claims = 0

    def __repr__(self) -> str:
        return f"<SQLiteLedger {self._path!r}>"

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(
                self._path, timeout=_LOCK_WAIT, isolation_level=None, check_same_thread=False
            )
            try:
                _patiently(conn, lambda: _set_up(conn))
            except BaseException:
                conn.close()
                raise
            self._conn = conn
        return self._conn

    def _transaction(self, step: Callable[[sqlite3.Connection], _T]) -> _T:
        with self._lock:
            conn = self._connection()
            _patiently(conn, lambda: conn.execute("BEGIN IMMEDIATE"))
            try:
                result = step(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return result

    async def _run(self, step: Callable[[sqlite3.Connection], _T]) -> _T:
        return await asyncio.to_thread(self._transaction, step)

    async def claim(self, scope: str, key: str, intent: LedgerRecord) -> LedgerRecord | None:
        """Store ``intent`` unless the key has a live record; else return that record."""
        self._claims += 1
        sweep = self._claims % _SWEEP_EVERY == 0

        def step(conn: sqlite3.Connection) -> LedgerRecord | None:
            now = time.time()
            if sweep:
                conn.execute("DELETE FROM recrubo_idempotency WHERE expires <= ?", (now,))
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM recrubo_idempotency "
                "WHERE scope = ? AND key = ? AND expires > ?",
                (scope, key, now),
            ).fetchone()
            if row is not None:
                return _record(row)
            conn.execute(
                "INSERT OR REPLACE INTO recrubo_idempotency VALUES (?, ?, ?, ?, ?, ?, NULL, ?)",
                (
                    scope,
                    key,
                    intent.fingerprint,
                    intent.owner,
                    intent.intent_at,
                    intent.lease_until,
                    now + self.policy.ttl,
                ),
            )
            return None

        return await self._run(step)

    async def take_over(
        self, scope: str, key: str, *, previous_owner: str, owner: str, lease_until: float
    ) -> bool:
        """Become the owner of a job-less record still held by ``previous_owner``."""

        def step(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "UPDATE recrubo_idempotency SET owner = ?, lease_until = ? "
                "WHERE scope = ? AND key = ? AND owner = ? AND job_id IS NULL AND expires > ?",
                (owner, lease_until, scope, key, previous_owner, time.time()),
            )
            return cursor.rowcount == 1

        return await self._run(step)

    async def complete(self, scope: str, key: str, job_id: str) -> str:
        """Record ``job_id`` unless one is there; the job id the record holds."""

        def step(conn: sqlite3.Connection) -> str:
            conn.execute(
                "UPDATE recrubo_idempotency SET job_id = ? "
                "WHERE scope = ? AND key = ? AND job_id IS NULL",
                (job_id, scope, key),
            )
            row = conn.execute(
                "SELECT job_id FROM recrubo_idempotency WHERE scope = ? AND key = ?",
                (scope, key),
            ).fetchone()
            return job_id if row is None or row[0] is None else str(row[0])

        return await self._run(step)

    async def release(self, scope: str, key: str, owner: str) -> None:
        """Forget a job-less record ``owner`` still holds."""

        def step(conn: sqlite3.Connection) -> None:
            conn.execute(
                "DELETE FROM recrubo_idempotency "
                "WHERE scope = ? AND key = ? AND owner = ? AND job_id IS NULL",
                (scope, key, owner),
            )

        await self._run(step)

    async def aclose(self) -> None:
        """Close the database connection (a later call opens it again)."""

        def close() -> None:
            with self._lock:
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None

        await asyncio.to_thread(close)
