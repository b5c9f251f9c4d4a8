"""Lua scripts run in batches: the runs asked for while Redis is busy go out as one pipeline.

A web replica under load has several deliveries in flight, and each makes Redis calls
(``RedisDedupe``'s claim and done, ``RedisBus``'s publish). On a busy replica most of a
call's cost is redis-py's machinery around it (the pool checkout, the command objects, the
system calls), not Redis. So every script run asked for in the same tick is sent together:
one pooled connection, one write and one read loop for the batch. Each caller still gets
its own answer, or its own error.

One :class:`ScriptBatcher` serves every store using one borrowed client
(:func:`batcher_for`): a ``RedisBus`` and a ``RedisDedupe`` given the same ``client=``
share their pipelines.
"""

from __future__ import annotations

import asyncio
import hashlib
import weakref
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .._compat import connection_transport, pool_connection
from .._within import within

#: Script runs sent in one pipeline at most.
MAX_BATCH = 256
#: The longest ``aclose`` waits for a run a caller is sending.
CLOSE_WAIT = 5.0
#: The longest one exchange (a pipeline's write and its answers) may take; past it, its
#: runs fail with ``redis.exceptions.TimeoutError`` and the connection is dropped.
EXCHANGE_TIMEOUT = 10.0


class LuaScript:
    """A Lua script's text and its SHA-1, as ``EVALSHA`` names it.

    Args:
        text: the script.
        keys: how many of a run's arguments are keys (the rest are ``ARGV``).
    """

    __slots__ = ("keys", "sha", "text")

    def __init__(self, text: str, *, keys: int) -> None:
        self.text = text
        self.keys = keys
        self.sha = hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()

    def __repr__(self) -> str:
        return f"LuaScript(sha={self.sha[:12]}..., keys={self.keys})"


#: One run asked for: the script, its keys then arguments, and where its answer goes.
_Run = tuple[LuaScript, tuple[Any, ...], "asyncio.Future[Any]"]


class ScriptBatcher:
    """Runs Lua scripts for a client, every run asked for in one tick in one pipeline.

    Args:
        redis: the client whose pool serves the pipelines.
    """

    def __init__(self, redis: aioredis.Redis) -> None:
        # Weakly: the shared batchers are kept by client (``batcher_for``), and a strong
        # reference back would keep every client ever borrowed alive.
        self._client = weakref.ref(redis)
        self._pending: list[_Run] = []
        self._sender: asyncio.Task[None] | None = None
        #: Set while a caller sends its run itself (the batcher was idle); done when it ends.
        self._inline: asyncio.Future[None] | None = None
        self._closed = False
        #: Runs sent so far, and the pipelines they went in (for tests).
        self.runs = 0
        self.batches = 0

    async def run(self, script: LuaScript, *keys_and_args: Any) -> Any:
        """Run ``script`` with its keys then its arguments; its answer.

        A run asked for while the batcher is idle is sent at once by its caller (nothing
        to wait for: a task and a loop tick per run would cost more than a lone command).
        Runs asked for while that one, or a batch, is on its way go out together next,
        sent by a task of the batcher's, and are sent even when their caller stops waiting
        (a run cannot be taken back once asked for; a caller that cares, like
        ``RedisDedupe.claim``, undoes it).
        """
        if self._closed:
            raise ConnectionError("the Redis store is closed")
        if self._inline is None and not self._pending and not self._sending():
            self._inline = asyncio.get_running_loop().create_future()
            self.runs += 1
            self.batches += 1
            try:
                (result,) = await self._run_all([(script, keys_and_args)])
            finally:
                self._inline.set_result(None)
                self._inline = None
                if self._pending and not self._closed:
                    # Asked for meanwhile: they are the next batch.
                    self._start_sender()
            if isinstance(result, BaseException):
                raise result
            return result
        answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.append((script, keys_and_args, answer))
        if self._inline is None and not self._sending():
            self._start_sender()
        return await answer

    def _sending(self) -> bool:
        return self._sender is not None and not self._sender.done()

    def _start_sender(self) -> None:
        self._sender = asyncio.get_running_loop().create_task(self._send())

    async def _send(self) -> None:
        # One tick, so that the runs asked for by tasks woken together share a pipeline.
        await asyncio.sleep(0)
        while self._pending:
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            self.runs += len(batch)
            self.batches += 1
            try:
                results = await self._run_all(
                    [(script, arguments) for script, arguments, _ in batch]
                )
            except asyncio.CancelledError:
                # The owner is closing: whether these ran is unknown.
                _fail(batch, ConnectionError("the Redis store was closed while running"))
                raise
            except Exception as exc:
                _fail(batch, exc)
                continue
            for (_, _, answer), result in zip(batch, results, strict=True):
                if answer.done():
                    continue
                if isinstance(result, BaseException):
                    answer.set_exception(result)
                else:
                    answer.set_result(result)

    async def _run_all(self, batch: list[tuple[LuaScript, tuple[Any, ...]]]) -> list[Any]:
        """Each run's answer, or the error reply it got, in order; raises when the
        connection failed (then nothing is known about any of them)."""
        results = await self.pipeline([_evalsha(script, arguments) for script, arguments in batch])
        missing = [i for i, result in enumerate(results) if isinstance(result, NoScriptError)]
        if missing:
            # Not loaded yet, or flushed by a restart or failover: those runs did nothing.
            # Load their scripts and run them again, in one more pipeline.
            loads = [("SCRIPT LOAD", text) for text in {batch[i][0].text for i in missing}]
            again = await self.pipeline(loads + [_evalsha(*batch[i]) for i in missing])
            for loaded in again[: len(loads)]:
                if isinstance(loaded, BaseException):
                    raise loaded
            for index, result in zip(missing, again[len(loads) :], strict=True):
                results[index] = result
        return results

    async def pipeline(self, commands: list[tuple[Any, ...]]) -> list[Any]:
        """Send ``commands`` in one write on one pooled connection; their answers, an
        error reply (``ResponseError``) in its command's place.

        What redis-py's ``Pipeline.execute(raise_on_error=False)`` does, retry on a lost
        connection included, through the connection's public methods but without the
        pipeline object and its bookkeeping, which cost more than a small batch's commands
        (benchmarks/findings.md). Held to redis-py's pipeline by
        tests/bus/test_redis_scripts_batch.py.
        """
        redis = self._client()
        if redis is None:
            raise ConnectionError("the Redis client was garbage-collected")
        pool = redis.connection_pool
        conn = await pool_connection(pool)
        try:
            exchange = conn.retry.call_with_retry(
                lambda: _exchange(conn, commands), lambda error: conn.disconnect()
            )
            try:
                results: list[Any] = await within(EXCHANGE_TIMEOUT, exchange)
            except TimeoutError:
                # A silent connection (half-open after a failover or an idle drop): one
                # exchange is in flight at a time, so without a deadline every later run
                # would queue behind it for ever. Its answers are unread: never reused.
                await conn.disconnect()
                raise RedisTimeoutError(
                    f"no answer from Redis within {EXCHANGE_TIMEOUT:g} s"
                ) from None
        finally:
            await pool.release(conn)
        return results

    async def aclose(self) -> None:
        """Stop sending: runs not sent yet, and any asked for later, fail with
        ``ConnectionError``. A run its caller is sending ends first (within
        ``CLOSE_WAIT``), so that it cannot open a connection after the client is closed."""
        self._closed = True
        sender, self._sender = self._sender, None
        if sender is not None and not sender.done():
            sender.cancel()
            await asyncio.wait((sender,))
        pending, self._pending = self._pending, []
        _fail(pending, ConnectionError("the Redis store was closed"))
        if self._inline is not None:
            await asyncio.wait((self._inline,), timeout=CLOSE_WAIT)


def _evalsha(script: LuaScript, arguments: tuple[Any, ...]) -> tuple[Any, ...]:
    return ("EVALSHA", script.sha, script.keys, *arguments)


async def _exchange(conn: Any, commands: list[tuple[Any, ...]]) -> list[Any]:
    # A send or read that fails (or is cancelled) disconnects the connection, so it never
    # goes back to the pool with answers left unread.
    if not conn.is_connected:
        await conn.connect()
    transport = connection_transport(conn)
    try:
        await conn.send_packed_command(conn.pack_commands(commands))
        results: list[Any] = []
        for _ in commands:
            try:
                results.append(await conn.read_response())
            except ResponseError as exc:
                results.append(exc)
    except asyncio.CancelledError:
        # The deadline (or the caller) gave up on it: redis-py closes the socket gracefully,
        # and toward a peer that reads nothing that close would hold the socket, and the
        # pipeline it could not send, until the kernel gave up. Aborted instead.
        if transport is not None:
            transport.abort()
        raise
    return results


def _fail(batch: list[_Run], exc: BaseException) -> None:
    for _, _, answer in batch:
        if not answer.done():
            answer.set_exception(exc)


#: The batcher of each borrowed client, shared by every store given that client.
_SHARED: weakref.WeakKeyDictionary[aioredis.Redis, ScriptBatcher] = weakref.WeakKeyDictionary()


def batcher_for(redis: aioredis.Redis) -> ScriptBatcher:
    """The one batcher of a client that the caller borrowed (``client=``), made on first use.

    Shared, so it is never closed by one of its users: their runs still in flight finish
    on the borrowed client, which outlives them. A client a store made for itself gets a
    ``ScriptBatcher`` of its own, closed with the store.
    """
    batcher = _SHARED.get(redis)
    if batcher is None:
        batcher = _SHARED[redis] = ScriptBatcher(redis)
    return batcher
