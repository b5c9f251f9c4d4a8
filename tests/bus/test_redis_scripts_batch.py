"""``RedisDedupe``'s claims, dones and releases go out in batches, like the bus's publishes.

A call made while the batcher is idle is sent at once; the calls asked for while it is on
its way are the next pipeline, on the same connection (Redis counts one EVALSHA per call,
and no connection is opened for them); each caller still gets its own
answer or its own error; a claim whose caller gave up while its batch was on its way is
freed; a ``RedisBus`` and a ``RedisDedupe`` given the same client share pipelines; a
script Redis forgot is loaded again; a dropped connection is reconnected; an unreachable
Redis fails every caller of the batch. The batcher's own exchange is held to redis-py's
pipeline.
"""

from __future__ import annotations

import asyncio
import gc
import weakref

import pytest
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from recrubo_async.bus import RedisBus, ResourceEvent, _scripts
from recrubo_async.bus._scripts import _SHARED, LuaScript, ScriptBatcher
from recrubo_async.webhooks import RedisDedupe

from ..support.deliveries import generation
from ..support.redis_server import RedisServer, free_port
from ..support.servers import PATIENCE
from ..support.silent_proxy import SilencingProxy


async def evalsha_calls(admin: aioredis.Redis) -> int:
    stats = await admin.info("commandstats")
    return int(stats.get("cmdstat_evalsha", {}).get("calls", 0))


async def connected(admin: aioredis.Redis) -> int:
    return int((await admin.info("clients"))["connected_clients"])


# Spins for ARGV[1] microseconds: Redis answers nobody meanwhile.
STALL_LUA = """
local function now() local t = redis.call('TIME'); return t[1] * 1000000 + t[2] end
local start = now()
while now() - start < tonumber(ARGV[1]) do end
return 1
"""


async def stall_redis(client: aioredis.Redis, microseconds: int) -> None:
    await client.eval(STALL_LUA, 0, str(microseconds))


def state(gid: str, seconds: int) -> ResourceEvent:
    return ResourceEvent.from_resource(generation(gid, "finished", seconds=seconds), event="update")


async def test_claims_asked_together_are_one_pipeline_each_with_its_own_answer(
    redis_server: RedisServer, admin: aioredis.Redis
) -> None:
    """60 claims at once (20 free, 20 handled before, 20 held by another replica) are
    60 script runs: the first sent alone at once, the 59 others in one pipeline behind
    it, on the one pooled connection; answered claimed, done and busy."""
    store = RedisDedupe(redis_server.url, prefix="batch")
    try:
        assert await store.claim("warm", 5.0) == "claimed"  # script loaded, one connection
        for i in range(20):
            assert await store.claim(f"d{i}", 5.0) == "claimed"
            await store.done(f"d{i}")
            await admin.set(f"batch:dedupe:h{i}", "claim:another-replica", px=10_000)
        runs, batches = store._scripts.runs, store._scripts.batches
        clients, calls = await connected(admin), await evalsha_calls(admin)
        keys = [f"{kind}{i}" for i in range(20) for kind in ("f", "d", "h")]
        answers = await asyncio.gather(*(store.claim(key, 5.0) for key in keys))
        expected = {"f": "claimed", "d": "done", "h": "busy"}
        assert answers == [expected[key[0]] for key in keys]
        assert (store._scripts.runs - runs, store._scripts.batches - batches) == (60, 2)
        assert await evalsha_calls(admin) - calls == 60
        assert await connected(admin) == clients
        # Each claimed one is this store's: done marks it, whatever else the batch held.
        await asyncio.gather(*(store.done(f"f{i}") for i in range(20)))
        assert await admin.mget([f"batch:dedupe:f{i}" for i in range(20)]) == [b"done"] * 20
    finally:
        await store.aclose()


async def test_an_error_in_one_run_fails_only_its_caller(
    redis_server: RedisServer, admin: aioredis.Redis
) -> None:
    """A claim on a key that holds a list (WRONGTYPE in the script) raises for its caller;
    the others of its pipeline (and the one sent alone before it) are claimed."""
    store = RedisDedupe(redis_server.url, prefix="errs")
    try:
        assert await store.claim("warm", 5.0) == "claimed"
        await admin.rpush("errs:dedupe:bad", "not a claim")
        keys = [f"k{i}" for i in range(10)] + ["bad"] + [f"k{i}" for i in range(10, 19)]
        answers = await asyncio.gather(
            *(store.claim(key, 5.0) for key in keys), return_exceptions=True
        )
        assert isinstance(answers[10], ResponseError)
        assert "WRONGTYPE" in str(answers[10])
        assert answers[:10] + answers[11:] == ["claimed"] * 19
    finally:
        await store.aclose()


async def test_a_claim_whose_caller_gave_up_in_flight_is_freed(
    redis_server: RedisServer, admin: aioredis.Redis
) -> None:
    """Redis is busy (a script spinning 0.3 s) while 20 claims are asked for; two of the
    claiming tasks are cancelled meanwhile: the first (sent at once, its answer not back
    yet) and one queued behind it (sent anyway: it cannot be taken back). Both claims run
    in Redis; the store frees both, so a redelivery can claim them at once, and the 18
    others are held."""
    store = RedisDedupe(redis_server.url, prefix="gaveup")
    staller = aioredis.Redis.from_url(redis_server.url)
    try:
        assert await store.claim("warm", 5.0) == "claimed"
        await staller.ping()
        stall = asyncio.create_task(stall_redis(staller, 300_000))
        await asyncio.sleep(0.05)  # Redis is spinning before the claims arrive
        tasks = [asyncio.create_task(store.claim(f"c{i}", 60.0)) for i in range(20)]
        await asyncio.sleep(0.05)  # every claim asked for; the first on its way
        assert not stall.done(), "Redis answered before the claims were cancelled"
        tasks[0].cancel()
        tasks[4].cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        await stall
        assert isinstance(results[0], asyncio.CancelledError)
        assert isinstance(results[4], asyncio.CancelledError)
        assert results[1:4] + results[5:] == ["claimed"] * 18
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while await admin.exists("gaveup:dedupe:c0", "gaveup:dedupe:c4"):
            assert loop.time() < deadline, "a claim nobody waited for is still held"
            await asyncio.sleep(0.01)
        assert await store.claim("c0", 60.0) == "claimed"
        assert await store.claim("c4", 60.0) == "claimed"
        assert await admin.exists(*(f"gaveup:dedupe:c{i}" for i in range(20))) == 20
    finally:
        await store.aclose()
        await staller.aclose()


async def test_a_bus_and_a_store_on_one_client_share_pipelines(
    redis_server: RedisServer, admin: aioredis.Redis
) -> None:
    """Claims and publishes asked for in one tick on a shared client share a pipeline
    (the first claim goes alone, at once); closing the bus leaves the store's batcher (and
    the borrowed client) working."""
    client = aioredis.Redis.from_url(redis_server.url)
    bus = RedisBus(client=client, prefix="shared")
    store = RedisDedupe(client=client, prefix="shared")
    try:
        assert bus._scripts is store._scripts
        assert await store.claim("warm", 5.0) == "claimed"
        assert await bus.publish(state("warm", 1))
        batches = store._scripts.batches
        claims = [store.claim(f"p{i}", 5.0) for i in range(20)]
        publishes = [bus.publish(state(f"g{i}", 5)) for i in range(20)]
        answers = await asyncio.gather(*claims, *publishes)
        assert answers == ["claimed"] * 20 + [True] * 20
        assert store._scripts.batches - batches == 2
        await bus.aclose()
        assert await store.claim("after", 5.0) == "claimed"
        await store.done("after")
        assert await admin.get("shared:dedupe:after") == b"done"
    finally:
        await bus.aclose()
        await store.aclose()
        await client.aclose()


async def test_scripts_redis_forgot_are_loaded_again_for_a_mixed_batch(
    redis_server: RedisServer, admin: aioredis.Redis
) -> None:
    """After SCRIPT FLUSH (as a restart or failover does), a pipeline of claims and
    publishes runs every one of them, and a lone claim does too."""
    client = aioredis.Redis.from_url(redis_server.url)
    bus = RedisBus(client=client, prefix="flush")
    store = RedisDedupe(client=client, prefix="flush")
    try:
        assert await store.claim("warm", 5.0) == "claimed"
        assert await bus.publish(state("warm", 1))
        await admin.script_flush()
        claims = [store.claim(f"p{i}", 5.0) for i in range(10)]
        publishes = [bus.publish(state(f"g{i}", 5)) for i in range(10)]
        assert await asyncio.gather(*claims, *publishes) == ["claimed"] * 10 + [True] * 10
        await admin.script_flush()
        assert await store.claim("alone", 5.0) == "claimed"
        for i in range(10):
            latest = await bus.latest("flowGenerations", f"g{i}")
            assert latest is not None and latest.status == "finished"
    finally:
        await bus.aclose()
        await store.aclose()
        await client.aclose()


async def test_an_unreachable_redis_fails_every_caller_of_the_batch() -> None:
    """Nothing listens on the port: each of the 10 claims of the batch raises a
    connection error, and closing the store ends the releases it scheduled."""
    # redis-py's default retries back off for about 12 s in all before the error.
    client = aioredis.Redis(
        port=free_port(), socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 1)
    )
    store = RedisDedupe(client=client, prefix="down")
    try:
        answers = await asyncio.gather(
            *(store.claim(f"p{i}", 5.0) for i in range(10)), return_exceptions=True
        )
        assert all(isinstance(answer, RedisConnectionError) for answer in answers), answers
        assert len(store._cleanups) == 10  # each lost claim is freed when Redis is back
    finally:
        await store.aclose()
        await client.aclose()
    assert not store._cleanups


async def test_closing_a_store_fails_the_runs_not_sent_yet(redis_server: RedisServer) -> None:
    """Claims queued just before ``aclose`` (behind one already on its way) raise
    ``ConnectionError``; none leaves a task behind, and a claim after closing raises too."""
    store = RedisDedupe(redis_server.url, prefix="closing")
    tasks = [asyncio.create_task(store.claim(f"p{i}", 5.0)) for i in range(5)]
    await asyncio.sleep(0)  # asked for: the first sent, the others queued
    await store.aclose()
    first = await asyncio.gather(tasks[0], return_exceptions=True)
    assert first[0] == "claimed" or isinstance(first[0], ConnectionError), first
    for task in tasks[1:]:
        with pytest.raises(ConnectionError):
            await task
    assert not store._cleanups
    with pytest.raises(ConnectionError):
        await store.claim("late", 5.0)


async def test_the_batchers_exchange_answers_as_redis_pys_pipeline_does(
    redis_server: RedisServer, admin: aioredis.Redis
) -> None:
    """The batcher's own pipeline (one write, one read loop) answers a mix of commands
    (scripts run, a script Redis does not know, error replies from a script and from
    Redis, plain commands without a response callback, as EVALSHA has none) exactly as
    redis-py's ``Pipeline.execute(raise_on_error=False)`` does."""
    client = aioredis.Redis.from_url(redis_server.url)
    script = LuaScript("return redis.call('GET', KEYS[1])", keys=1)
    unknown = LuaScript("return 'never loaded'", keys=0)
    try:
        await admin.set("pin:str", "value")
        await admin.rpush("pin:list", "item")
        await admin.script_load(script.text)
        commands: list[tuple[object, ...]] = [
            ("EVALSHA", script.sha, 1, "pin:str"),
            ("EVALSHA", script.sha, 1, "pin:list"),
            ("EVALSHA", unknown.sha, 0),
            ("EVALSHA", script.sha, 1, "pin:missing"),
            ("GET", "pin:str"),
            ("INCR", "pin:str"),
            ("EVALSHA", script.sha, 0),
        ]
        ours = await ScriptBatcher(client).pipeline(commands)
        async with client.pipeline(transaction=False) as pipe:
            for command in commands:
                pipe.execute_command(*command)
            theirs = await pipe.execute(raise_on_error=False)

        def comparable(answers: list[object]) -> list[object]:
            # redis-py's pipeline rewrites an error's message to name the command.
            return [type(a) if isinstance(a, Exception) else a for a in answers]

        assert comparable(ours) == comparable(theirs)
        assert ours[0] == b"value" and isinstance(ours[2], NoScriptError)
        assert isinstance(ours[1], ResponseError) and "WRONGTYPE" in str(ours[1])
        assert ours[4] == b"value" and isinstance(ours[6], ResponseError)
    finally:
        await client.aclose()


async def test_a_batch_on_a_connection_redis_dropped_fails_whole_and_the_next_reconnects(
    redis_server: RedisServer, admin: aioredis.Redis
) -> None:
    """Redis closed the pooled connection between two calls (a restart, a timeout, a
    CLIENT KILL): the exchange sent on it fails with a connection error (as redis-py's own
    commands do: these clients do not retry) and leaves no claim held; the exchanges after
    it reconnect and are answered."""
    store = RedisDedupe(redis_server.url, prefix="dropped")
    try:
        assert await store.claim("warm", 5.0) == "claimed"
        assert await admin.client_kill_filter(_type="normal", skipme=True) >= 1
        first = await asyncio.gather(
            *(store.claim(f"p{i}", 5.0) for i in range(10)), return_exceptions=True
        )
        lost = [i for i, answer in enumerate(first) if isinstance(answer, RedisConnectionError)]
        assert [a for i, a in enumerate(first) if i not in lost] == ["claimed"] * (10 - len(lost))
        assert lost, "the dropped connection was not noticed: nothing under test"
        second = await asyncio.gather(*(store.claim(f"q{i}", 5.0) for i in range(10)))
        assert second == ["claimed"] * 10
        held = await admin.exists(*(f"dropped:dedupe:p{i}" for i in range(10)))
        assert held == 10 - len(lost)
        assert await store.claim("warm", 5.0) == "busy"  # the first claim survived
    finally:
        await store.aclose()


async def test_a_borrowed_clients_batcher_goes_with_the_client(redis_server: RedisServer) -> None:
    """The shared batcher of a borrowed client does not keep the client alive: once the
    client and the stores using it are gone, so is the batcher's entry."""
    client = aioredis.Redis.from_url(redis_server.url)
    store = RedisDedupe(client=client, prefix="gone")
    assert await store.claim("p", 5.0) == "claimed"
    await store.aclose()
    await client.aclose()
    assert _SHARED.get(client) is store._scripts
    gone = weakref.ref(client)
    del store, client
    gc.collect()
    assert gone() is None


async def test_a_silent_connection_fails_its_exchange_at_the_deadline_not_every_later_run(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One exchange is in flight at a time: a connection that stops answering (half-open
    after a failover or an idle drop) must not hold every later claim for ever."""
    monkeypatch.setattr(_scripts, "EXCHANGE_TIMEOUT", 0.5)
    async with SilencingProxy(redis_server.port) as proxy:
        # No socket timeout (redis-py 5's default; 8's is 5 s): only the exchange's deadline
        # can end the wait.
        client = aioredis.Redis(host="127.0.0.1", port=proxy.port, socket_timeout=None)
        store = RedisDedupe(client=client, prefix="silent")
        try:
            assert await store.claim("warm", 30.0) == "claimed"
            proxy.freeze(set(proxy.sent))  # the one pooled connection goes silent
            loop = asyncio.get_running_loop()
            started = loop.time()
            stuck = asyncio.create_task(store.claim("a", 30.0))
            await asyncio.sleep(0.05)
            others = [asyncio.create_task(store.claim(key, 30.0)) for key in "bcdef"]
            with pytest.raises(RedisTimeoutError):
                await asyncio.wait_for(asyncio.shield(stuck), 0.5 + PATIENCE)
            # The next exchange goes on a fresh connection and is answered.
            answered = await asyncio.wait_for(asyncio.gather(*others), PATIENCE)
            assert answered == ["claimed"] * 5
            assert loop.time() - started < 0.5 + PATIENCE
            # The stuck claim is freed in the background (its answer was lost): let that end,
            # so that no connection is still being opened when everything is closed below.
            give_up = loop.time() + PATIENCE
            while store._cleanups:
                assert loop.time() < give_up, "the lost claim was never freed"
                await asyncio.sleep(0.01)
            assert await store.claim("a", 30.0) == "claimed"  # freed, so claimable again
        finally:
            await store.aclose()
            await client.aclose()
