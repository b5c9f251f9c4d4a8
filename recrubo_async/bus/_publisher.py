"""``RedisBus``'s publishing: the ordering script, one pipeline per batch of publishes.

A web replica under load has several deliveries in flight; each publish is one run of the
publish script. Publishes asked for in the same loop tick go out together, as one pipeline:
one pooled connection and one write for the batch, instead of one each (on a busy
replica most of a command's cost is the pool checkout and the system call, not Redis).
Each publish still gets its own answer, or its own error.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import NoScriptError

#: Publishes sent in one pipeline at most.
_MAX_BATCH = 256

#: The script's keys and arguments for one publish: latest key, channel, message, ts,
#: event, TTL in milliseconds.
PublishArgs = tuple[str, str, bytes, str, str, str]


class Publisher:
    """Runs the publish script for each state, batching those asked for together.

    Args:
        redis: the client whose pool serves the pipelines.
        script: the registered publish script (``redis.register_script``).
    """

    def __init__(self, redis: aioredis.Redis, script: Any) -> None:
        self._redis = redis
        self._script = script
        self._pending: list[tuple[PublishArgs, asyncio.Future[int]]] = []
        self._sender: asyncio.Task[None] | None = None

    async def publish(self, args: PublishArgs) -> bool:
        """Run the script for one state; whether Redis accepted it as the newest."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[int] = loop.create_future()
        self._pending.append((args, answer))
        if self._sender is None or self._sender.done():
            self._sender = loop.create_task(self._send())
        return bool(await answer)

    async def _send(self) -> None:
        # One tick, so that the publishes of deliveries answered together share a pipeline.
        await asyncio.sleep(0)
        while self._pending:
            batch, self._pending = self._pending[:_MAX_BATCH], self._pending[_MAX_BATCH:]
            try:
                if len(batch) == 1:
                    # Alone: a pipeline would only add its own machinery.
                    results: list[Any] = [await self._run(batch[0][0])]
                else:
                    results = await self._run_all([args for args, _ in batch])
            except asyncio.CancelledError:
                # The bus is closing: whether these were applied is unknown.
                _fail(batch, ConnectionError("the RedisBus was closed while publishing"))
                raise
            except Exception as exc:
                _fail(batch, exc)
                continue
            for (_, answer), result in zip(batch, results, strict=True):
                if answer.done():
                    continue
                if isinstance(result, BaseException):
                    answer.set_exception(result)
                else:
                    answer.set_result(int(result))

    async def _run(self, args: PublishArgs) -> Any:
        try:
            # EVALSHA itself: redis-py's Script object adds a call layer per publish.
            return await self._redis.evalsha(self._script.sha, 2, *args)
        except NoScriptError:
            # Not loaded yet (or flushed): the Script object loads it and runs it.
            return await self._script(keys=args[:2], args=args[2:])

    async def _run_all(self, batch: list[PublishArgs]) -> list[Any]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for args in batch:
                pipe.evalsha(self._script.sha, 2, *args)
            results: list[Any] = await pipe.execute(raise_on_error=False)
        if any(isinstance(result, NoScriptError) for result in results):
            # The script was not loaded: those publishes did nothing. Load it (through
            # one Script call) and run them again, each on its own.
            for index, result in enumerate(results):
                if isinstance(result, NoScriptError):
                    try:
                        results[index] = await self._run(batch[index])
                    except Exception as exc:
                        results[index] = exc
        return results

    async def aclose(self) -> None:
        """Stop sending; publishes not sent yet fail with ``ConnectionError``."""
        sender, self._sender = self._sender, None
        if sender is not None:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
        pending, self._pending = self._pending, []
        _fail(pending, ConnectionError("the RedisBus was closed"))


def _fail(batch: list[tuple[PublishArgs, asyncio.Future[int]]], exc: BaseException) -> None:
    for _, answer in batch:
        if not answer.done():
            answer.set_exception(exc)
