"""The ledger contract, once per ledger kind (memory, SQLite, Redis): claim, take over,
complete, release, expiry; and what a create costs in Redis round trips."""

from __future__ import annotations

import asyncio
import multiprocessing
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, cast

import pytest
import redis.asyncio as aioredis

from recrubo_async import Client
from recrubo_async.idempotency import LedgerPolicy, LedgerRecord, SQLiteLedger, _sqlite
from recrubo_async.idempotency._redis import RedisLedger
from recrubo_async.testing import Emulator

from ..support.deployment import CONTEXT, PARAMETERS
from ..support.redis_server import RedisServer
from ..support.servers import PATIENCE
from .conftest import FAST, LedgerFactory


def _intent(owner: str, *, lease_left: float = 10.0, fingerprint: str = "fp") -> LedgerRecord:
    now = time.time()
    return LedgerRecord(
        fingerprint=fingerprint, owner=owner, intent_at=now, lease_until=now + lease_left
    )


async def test_the_first_claim_wins_and_later_ones_see_its_record(
    make_ledger: LedgerFactory,
) -> None:
    ledger = make_ledger(FAST)
    first = _intent("a")
    assert await ledger.claim("org", "k", first) is None
    seen = await ledger.claim("org", "k", _intent("b"))
    assert seen is not None
    assert (seen.owner, seen.fingerprint, seen.job_id) == ("a", "fp", None)
    assert seen.intent_at == pytest.approx(first.intent_at)
    assert seen.lease_until == pytest.approx(first.lease_until)
    # Another scope is another record.
    assert await ledger.claim("other-org", "k", _intent("c")) is None


async def test_complete_keeps_the_first_job_id(make_ledger: LedgerFactory) -> None:
    ledger = make_ledger(FAST)
    await ledger.claim("org", "k", _intent("a"))
    assert await ledger.complete("org", "k", "job-1") == "job-1"
    assert await ledger.complete("org", "k", "job-2") == "job-1"
    seen = await ledger.claim("org", "k", _intent("b"))
    assert seen is not None and seen.job_id == "job-1"


async def test_take_over_needs_the_previous_owner_and_no_job(make_ledger: LedgerFactory) -> None:
    ledger = make_ledger(FAST)
    await ledger.claim("org", "k", _intent("a", lease_left=-1))
    lease = time.time() + 5
    assert not await ledger.take_over("org", "k", previous_owner="x", owner="b", lease_until=lease)
    assert await ledger.take_over("org", "k", previous_owner="a", owner="b", lease_until=lease)
    # Two callers that both saw owner "a": only the first takes over.
    assert not await ledger.take_over("org", "k", previous_owner="a", owner="c", lease_until=lease)
    seen = await ledger.claim("org", "k", _intent("d"))
    assert seen is not None and seen.owner == "b"
    assert seen.lease_until == pytest.approx(lease)
    # The owner renews its own lease.
    assert await ledger.take_over("org", "k", previous_owner="b", owner="b", lease_until=lease + 9)
    await ledger.complete("org", "k", "job-1")
    assert not await ledger.take_over("org", "k", previous_owner="b", owner="e", lease_until=lease)


async def test_release_frees_only_the_owners_job_less_record(make_ledger: LedgerFactory) -> None:
    ledger = make_ledger(FAST)
    await ledger.claim("org", "k", _intent("a"))
    await ledger.release("org", "k", "someone-else")
    assert await ledger.claim("org", "k", _intent("b")) is not None
    await ledger.release("org", "k", "a")
    assert await ledger.claim("org", "k", _intent("b")) is None
    await ledger.complete("org", "k", "job-1")
    await ledger.release("org", "k", "b")  # a recorded job is never forgotten early
    seen = await ledger.claim("org", "k", _intent("c"))
    assert seen is not None and seen.job_id == "job-1"


async def test_records_are_forgotten_after_the_ttl(make_ledger: LedgerFactory) -> None:
    ledger = make_ledger(LedgerPolicy(lease=0.1, grace_period=0.2, ttl=0.5))
    await ledger.claim("org", "k", _intent("a"))
    await ledger.complete("org", "k", "job-1")
    await asyncio.sleep(0.7)
    assert await ledger.claim("org", "k", _intent("b")) is None


def test_a_policy_that_could_bill_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="at least the lease"):
        LedgerPolicy(lease=60, grace_period=30)
    with pytest.raises(ValueError, match="finite seconds"):
        LedgerPolicy(lease=float("nan"))
    with pytest.raises(ValueError, match="longer than grace_period"):
        LedgerPolicy(ttl=10, lease=5, grace_period=20)


def _claim_in_process(path: str, owner: str, queue: Any) -> None:
    async def claim() -> bool:
        ledger = SQLiteLedger(path, policy=FAST)
        try:
            return await ledger.claim("org", "k", _intent(owner)) is None
        finally:
            await ledger.aclose()

    queue.put(asyncio.run(claim()))


def test_sqlite_processes_on_one_host_share_a_ledger_and_one_claim_wins(tmp_path: Path) -> None:
    path = str(tmp_path / "ledger.db")
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    procs = [
        context.Process(target=_claim_in_process, args=(path, f"p{i}", queue)) for i in range(4)
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
    wins = [queue.get(timeout=10) for _ in procs]
    assert sorted(wins) == [False, False, False, True]


def _hold_a_write_lock(path: str) -> sqlite3.Connection:
    """Another process's moment on a new file: writing in rollback mode (as when it creates
    the table or switches the file to WAL). SQLite answers a second connection's switch to WAL
    with "locked" at once here, without waiting for the busy timeout."""
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("CREATE TABLE other (x)")
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO other VALUES (1)")
    return other


async def test_a_sqlite_ledger_waits_for_a_lock_sqlite_does_not_wait_for(tmp_path: Path) -> None:
    path = str(tmp_path / "ledger.db")
    other = _hold_a_write_lock(path)
    ledger = SQLiteLedger(path, policy=FAST)
    try:
        claim = asyncio.create_task(ledger.claim("org", "k", _intent("a")))
        await asyncio.sleep(0.2)
        assert not claim.done()  # waiting, not failed with "database is locked"
        await asyncio.to_thread(other.execute, "COMMIT")
        assert await claim is None
        assert (await ledger.claim("org", "k", _intent("b"))) is not None
    finally:
        other.close()
        await ledger.aclose()


async def test_a_sqlite_lock_never_released_fails_after_the_lock_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ledger retries SQLite's answers given without waiting; then, near the end of the
    lock wait, another process takes the file for longer. The claim fails at the lock
    wait's end, not a whole busy timeout later."""
    monkeypatch.setattr(_sqlite, "_LOCK_WAIT", 1.0)
    path = str(tmp_path / "ledger.db")
    other = _hold_a_write_lock(path)
    third = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    released = threading.Event()

    def hand_over() -> None:
        time.sleep(0.8)
        other.execute("COMMIT")
        third.execute("BEGIN EXCLUSIVE")  # taken by another, past the lock wait's end
        released.wait(PATIENCE)
        third.execute("ROLLBACK")

    holder = threading.Thread(target=hand_over)
    holder.start()
    ledger = SQLiteLedger(path, policy=FAST)
    try:
        started = time.monotonic()
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            await ledger.claim("org", "k", _intent("a"))
        elapsed = time.monotonic() - started
    finally:
        released.set()
        await asyncio.to_thread(holder.join)
        other.close()
        third.close()
    # 1.8 s when each retry could wait a whole busy timeout; the margin is for a busy box.
    assert elapsed < 1.5
    # The failed set-up kept no half-opened connection: the next claim opens a fresh one.
    assert await ledger.claim("org", "k", _intent("a")) is None
    await ledger.aclose()


async def test_a_sqlite_error_other_than_locked_is_not_retried(tmp_path: Path) -> None:
    ledger = SQLiteLedger(tmp_path)  # a directory: "unable to open database file"
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="unable to open"):
        await ledger.claim("org", "k", _intent("a"))
    assert time.monotonic() - started < _sqlite._LOCK_WAIT / 2
    await ledger.aclose()


class CountingRedis(aioredis.Redis):
    """A redis-py client that counts the commands it sends (each one a round trip)."""

    def __init__(self, port: int) -> None:
        super().__init__(host="127.0.0.1", port=port)
        self.commands: list[str] = []

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        self.commands.append(str(args[0]))
        # redis-py's own method is untyped.
        return await cast(Any, super()).execute_command(*args, **options)


async def test_a_create_costs_one_redis_round_trip_before_the_post_and_one_after(
    redis_server: RedisServer,
) -> None:
    redis = CountingRedis(redis_server.port)
    ledger = RedisLedger(client=redis, policy=FAST)
    async with Emulator(mode="sandbox", speed=20) as emu:
        org = await emu.create_organization("Acme")

        async def on_request(event: Any) -> None:
            if event.method == "POST":
                redis.commands.append("-- POST --")

        from recrubo_async import Hooks

        async with Client(
            org.token, base_url=emu.base_url, ledger=ledger, hooks=Hooks(on_request=on_request)
        ) as client:

            async def create(key: str) -> str:
                gen = await client.flow_generations.create(
                    flow_type="vacancy_application_flow",
                    parameters=PARAMETERS,
                    context=CONTEXT,
                    idempotency_key=key,
                )
                return gen.id

            await create("warm-up")  # redis-py loads each script once (EVALSHA, NOSCRIPT)
            redis.commands.clear()
            await create("task-1")
            assert redis.commands == ["EVALSHA", "-- POST --", "EVALSHA"]
            redis.commands.clear()
            await create("task-1")  # recorded: one look, no POST
            assert redis.commands == ["EVALSHA"]
    await redis.aclose()


def test_reprs_show_no_url_or_password() -> None:
    ledger = RedisLedger("redis://:hunter2@127.0.0.1:6399/0")
    assert "hunter2" not in repr(ledger) and "6399" not in repr(ledger)


async def test_no_record_holds_the_api_key(redis_server: RedisServer) -> None:
    """Records are keyed by a digest of the scope: the key appears in no Redis key or value."""
    ledger = RedisLedger(redis_server.url, policy=FAST)
    async with Emulator(mode="sandbox") as emu:
        org = await emu.create_organization("Acme")
        async with Client(org.token, base_url=emu.base_url, ledger=ledger) as client:
            await client.flow_generations.create(
                flow_type="vacancy_application_flow",
                parameters=PARAMETERS,
                context=CONTEXT,
                idempotency_key="task-1",
            )
    raw = aioredis.Redis.from_url(redis_server.url, decode_responses=True)
    keys = [str(key) for key in await raw.keys("*")]
    assert len(keys) == 1 and keys[0].endswith(":task-1")
    stored = " ".join([keys[0], *(str(v) for v in (await raw.hgetall(keys[0])).values())])
    assert org.token not in stored
    await raw.aclose()
    await ledger.aclose()
