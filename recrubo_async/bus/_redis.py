"""``RedisBus``: carries resource state changes between processes through Redis.

A webhook received by any web replica is published once; every worker process holding a
wait for that resource receives it over its one shared pub/sub connection (see
``_redis_channels``). The latest state of each resource is also kept under a key with a
TTL, so a waiter that subscribes after the event still finds it.

``latest()`` reads are batched: every read asked for in one loop tick is one MGET, so
thousands of waits starting together cost a few round trips and connections. Publishes are
batched the same way (``_scripts``): those of one tick go out as one pipeline, shared
with a ``RedisDedupe`` that uses the same ``client=``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import secrets

from .._tasks import stop
from .._validate import Duration, check_duration
from ..errors import BusCheckError, BusClosedError
from ._event import ResourceEvent

try:
    import redis.asyncio as aioredis
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import RedisError
    from redis.exceptions import TimeoutError as RedisTimeoutError
except ImportError as exc:  # pragma: no cover - only without the extra
    raise ImportError("RedisBus needs the redis extra: pip install 'recrubo-async[redis]'") from exc

from ._pool import pooled_client
from ._redis_channels import _MGET_CHUNK, RedisChannels
from ._scripts import LuaScript, ScriptBatcher, batcher_for

__all__ = ["RedisBus", "pooled_client"]

logger = logging.getLogger("recrubo_async.bus.redis")

_REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, OSError)

# Store the state and publish it, unless the stored state is newer (or a delete): the
# check and the write are one atomic step, so replicas racing on one resource stay ordered.
# Answers 1 when the state was accepted as the newest, 0 when it was refused. It is
# ``_ordering.is_stale`` in Lua (a missing ``ts`` is a missing updatedAt), held to
# ``_ordering.CASES`` by tests/bus/test_redis_bus_ordering.py.
#
# The stored state's event and ``ts`` lead its JSON (``ResourceEvent.to_json``), so the
# script reads its first bytes (GETRANGE) and matches them, instead of copying and decoding
# the whole document on every publish. A state stored in another layout (by an older
# version of the SDK) is decoded whole, as before.
_PUBLISH = LuaScript(
    """
local held, old
local head = redis.call('GETRANGE', KEYS[1], 0, 95)
if head ~= '' then
  local kind, ts_text = string.match(head, '^{"event":"([^"]*)","ts":([^,}]*)')
  if kind then
    held, old = kind, tonumber(ts_text)
  else
    local ok, stored = pcall(cjson.decode, redis.call('GET', KEYS[1]))
    if ok and type(stored) == 'table' then
      held = stored['event']
      if type(stored['ts']) == 'number' then old = stored['ts'] end
    end
  end
end
if held == 'delete' and ARGV[3] ~= 'delete' then return 0 end
local ts = tonumber(ARGV[2])
if ts and old and ts < old then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[4])
redis.call('PUBLISH', KEYS[2], ARGV[1])
return 1
""",
    keys=2,
)

#: The resource type of ``check()``'s private channel: no JSON:API type looks like it.
_CHECK_TYPE = "recrubo.bus-check"


class RedisBus(RedisChannels):
    """A ``CompletionBus`` over Redis pub/sub (the ``redis`` extra).

    Create one per process and share it: all its subscriptions use one pub/sub connection.

    Args:
        url: a Redis URL such as ``redis://localhost:6379/0``.
        client: an existing ``redis.asyncio.Redis`` to use instead (never closed by the bus).
        prefix: namespace for keys and channels (any characters; ``"myapp:recrubo"`` works).
        latest_ttl: how long the latest state of a resource is kept: seconds (int or
            float) or a ``timedelta``.
        reconnect_delay: first pause before reconnecting (doubles up to ``max_reconnect_delay``).
        max_reconnect_delay: the longest pause between reconnection attempts.

    Raises:
        ValueError: a duration that is NaN, infinite, zero or negative, or an empty prefix.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        client: aioredis.Redis | None = None,
        prefix: str = "recrubo",
        latest_ttl: Duration = 3600,
        reconnect_delay: Duration = 0.1,
        max_reconnect_delay: Duration = 5.0,
    ) -> None:
        if (url is None) == (client is None):
            raise ValueError("RedisBus needs exactly one of url= or client=")
        if not isinstance(prefix, str) or not prefix:
            raise ValueError(f"RedisBus(prefix=...) must be a non-empty string; got {prefix!r}")
        self.latest_ttl = check_duration("RedisBus(latest_ttl=...)", latest_ttl)
        # PX takes whole milliseconds; rounding up keeps a sub-millisecond TTL from being 0,
        # which Redis refuses.
        self._ttl_ms = str(math.ceil(self.latest_ttl * 1000))
        first = check_duration("RedisBus(reconnect_delay=...)", reconnect_delay)
        longest = check_duration("RedisBus(max_reconnect_delay=...)", max_reconnect_delay)
        if longest < first:
            raise ValueError(
                "RedisBus(max_reconnect_delay=...) must be at least reconnect_delay "
                f"({first:g} s); got {longest:g} s"
            )
        self._owns_client = client is None
        super().__init__(client or pooled_client(url), prefix, first, longest)  # type: ignore[arg-type]
        #: ``latest()`` reads waiting for the next MGET, and the task that sends it.
        self._reads: list[tuple[str, asyncio.Future[bytes | str | None]]] = []
        self._reader: asyncio.Task[None] | None = None
        # A client of its own gets a batcher of its own (closed with the bus); a borrowed
        # one shares the client's (with a RedisDedupe on the same client, say).
        self._scripts = (
            ScriptBatcher(self._redis) if self._owns_client else batcher_for(self._redis)
        )

    def __repr__(self) -> str:
        return f"RedisBus(prefix={self.prefix!r}, subscriptions={self.subscription_count})"

    # -- publishing ------------------------------------------------------------------------

    async def publish(self, event: ResourceEvent) -> bool:
        """Store and broadcast ``event``; False when Redis holds a newer state (or a delete)
        and refused it. Raises when Redis is unreachable."""
        message = event.to_json()
        ts = "" if event.updated_at is None else repr(event.updated_at.timestamp())
        key = (event.type, event.id)
        accepted = await self._scripts.run(
            _PUBLISH,
            self._latest_key(key),
            self._channel(key),
            message,
            ts,
            event.event,
            self._ttl_ms,
        )
        return bool(accepted)

    async def latest(self, type: str, id: str) -> ResourceEvent | None:
        """The stored latest state, or None (also when Redis is unreachable: the caller's
        GET and safety-net poll cover that)."""
        if self._closed:
            # Not an error: a wait may read just after the bus closed (its subscription
            # ended); a closed bus no longer touches Redis.
            return None
        read: asyncio.Future[bytes | str | None] = asyncio.get_running_loop().create_future()
        self._reads.append((self._latest_key((type, id)), read))
        if self._reader is None or self._reader.done():
            self._reader = asyncio.get_running_loop().create_task(self._read_latest())
        raw = await read
        return self._parse(raw) if raw is not None else None

    async def _read_latest(self) -> None:
        """Answer the pending ``latest()`` reads with one MGET per batch."""
        # One more tick, so the reads of waits woken together (by one SUBSCRIBE batch)
        # share the first MGET.
        await asyncio.sleep(0)
        while self._reads:
            reads, self._reads = self._reads, []
            try:
                for start in range(0, len(reads), _MGET_CHUNK):
                    chunk = reads[start : start + _MGET_CHUNK]
                    values = await self._mget([key for key, _ in chunk])
                    for (_, read), raw in zip(chunk, values, strict=True):
                        if not read.done():
                            read.set_result(raw)
            except _REDIS_DOWN as exc:
                # One warning for the batch, not one per wait (a timeout included: each
                # wait's own GET covers what this read would have found).
                logger.warning("Redis unreachable reading %d latest states: %s", len(reads), exc)
                _settle(reads, None)
            except Exception as exc:
                _settle(reads, exc)
            finally:
                # Cancelled (the bus is closing): nothing is known about these.
                _settle(reads, None)

    # -- health ----------------------------------------------------------------------------

    async def check(self, timeout: Duration = 5.0) -> float:
        """A round trip through Redis, for health endpoints: the seconds it took.

        Subscribes a private channel through this bus's own pub/sub connection and
        listener, publishes on it and waits for the message, so it proves what waits need:
        Redis reachable, the listener reading, this bus's prefix parsed. (It cannot tell
        whether the web replicas publish with the same prefix and database: compare their
        configuration.) Stores nothing.

        Raises:
            BusCheckError: Redis unreachable, or no message back within ``timeout``.
            BusClosedError: the bus is closed.
        """
        limit = check_duration("RedisBus.check(timeout=...)", timeout)
        if self._closed:
            raise BusClosedError("this RedisBus is closed")
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            await asyncio.wait_for(self._round_trip(), limit)
        except asyncio.TimeoutError:
            raise BusCheckError(
                f"RedisBus.check: no message came back through Redis within {limit:g} s; "
                "is redis-server reachable and not overloaded?"
            ) from None
        except (RedisError, OSError) as exc:
            raise BusCheckError(f"RedisBus.check: Redis is unreachable: {exc}") from exc
        return loop.time() - started

    async def _round_trip(self) -> None:
        token = secrets.token_hex(8)
        key = (_CHECK_TYPE, token)
        probe = ResourceEvent(
            type=_CHECK_TYPE, id=token, event="check", resource={"type": _CHECK_TYPE, "id": token}
        )
        async with await self.subscribe(*key) as sub:
            if self._resync is not None:
                # The SUBSCRIBE was not sent; publishing now would prove nothing.
                raise RedisConnectionError("the pub/sub connection is down; reconnecting")
            await self._redis.publish(self._channel(key), probe.to_json())
            await sub.get()

    async def aclose(self) -> None:
        """Stop listening, end open subscriptions, close the connection the bus made.

        A cancellation of the task calling it is passed on, not swallowed; the
        subscriptions are ended by then, and calling it again finishes closing.
        """
        self._closed = True
        self._wake.set()
        if self._gathering is not None:
            self._gathering.cancel()
            self._gathering = None
        tasks = [t for t in (self._syncer, self._listener, self._reader) if t is not None]
        for task in tasks:
            task.cancel()
        if self._batch is not None and not self._batch.done():
            self._batch.set_result(None)
        self._batch = None
        self._dirty.clear()
        reads, self._reads = self._reads, []
        _settle(reads, None)
        self._fanout.end_all()
        if self._owns_client:
            # A shared batcher is left running: its other users' runs, and this bus's
            # publishes still in flight, finish on the borrowed client.
            await self._scripts.aclose()
        await stop(*tasks)
        await self._drop_pubsub()
        if self._owns_client:
            await self._redis.aclose()


def _settle(
    reads: list[tuple[str, asyncio.Future[bytes | str | None]]], outcome: BaseException | None
) -> None:
    """Answer the reads not answered yet: None (nothing known) or ``outcome`` raised."""
    for _, read in reads:
        if not read.done():
            if outcome is None:
                read.set_result(None)
            else:
                read.set_exception(outcome)
