"""``RedisBus``: carries resource state changes between processes through Redis.

A webhook received by any web replica is published once; every worker process holding a
wait for that resource receives it over its one shared pub/sub connection. The latest state
of each resource is also kept under a key with a TTL, so a waiter that subscribes after
the event still finds it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from ._event import ResourceEvent
from ._local import Fanout, Key, LocalSubscription

try:
    import redis.asyncio as aioredis
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError
except ImportError as exc:  # pragma: no cover - only without the extra
    raise ImportError("RedisBus needs the redis extra: pip install 'recrubo-async[redis]'") from exc

logger = logging.getLogger("recrubo_async.bus.redis")

_REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, OSError)

# Store the state and publish it, unless the stored state is newer (or a delete): the
# check and the write are one atomic step, so replicas racing on one resource stay ordered.
_PUBLISH_LUA = """
local current = redis.call('GET', KEYS[1])
if current then
  local ok, stored = pcall(cjson.decode, current)
  if ok then
    if stored['event'] == 'delete' and ARGV[3] ~= 'delete' then return 0 end
    local ts = tonumber(ARGV[2])
    local old = stored['ts']
    if ts and type(old) == 'number' and ts < old then return 0 end
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[4])
redis.call('PUBLISH', KEYS[2], ARGV[1])
return 1
"""


class RedisBus:
    """A ``CompletionBus`` over Redis pub/sub (the ``redis`` extra).

    Create one per process and share it: all its subscriptions use one pub/sub connection.

    Args:
        url: a Redis URL such as ``redis://localhost:6379/0``.
        client: an existing ``redis.asyncio.Redis`` to use instead (never closed by the bus).
        prefix: namespace for keys and channels.
        latest_ttl: seconds the latest state of a resource is kept.
        reconnect_delay: first pause before reconnecting (doubles up to ``max_reconnect_delay``).
        max_reconnect_delay: the longest pause between reconnection attempts.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        client: aioredis.Redis | None = None,
        prefix: str = "recrubo",
        latest_ttl: int = 3600,
        reconnect_delay: float = 0.1,
        max_reconnect_delay: float = 5.0,
    ) -> None:
        if (url is None) == (client is None):
            raise ValueError("RedisBus needs exactly one of url= or client=")
        self._owns_client = client is None
        self._redis: aioredis.Redis = client or aioredis.Redis.from_url(url)  # type: ignore[arg-type]
        self.prefix = prefix
        self.latest_ttl = latest_ttl
        self.reconnect_delay = reconnect_delay
        self.max_reconnect_delay = max_reconnect_delay
        self._fanout = Fanout()
        self._pubsub: Any = None
        self._listener: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._has_channels = asyncio.Event()
        self._closed = False
        self._watched_connection: Any = None
        #: Why the listener must resubscribe every resource and re-check its latest state
        #: before listening on (None: nothing to do).
        self._resync: str | None = None
        self._script = self._redis.register_script(_PUBLISH_LUA)
        #: How many times the pub/sub connection was re-established (for tests and logs).
        self.reconnects = 0

    def __repr__(self) -> str:
        return f"RedisBus(prefix={self.prefix!r}, subscriptions={self.subscription_count})"

    @property
    def subscription_count(self) -> int:
        return self._fanout.count

    def _latest_key(self, key: Key) -> str:
        return f"{self.prefix}:latest:{key[0]}:{key[1]}"

    def _channel(self, key: Key) -> str:
        return f"{self.prefix}:events:{key[0]}:{key[1]}"

    def _key_of(self, channel: str) -> Key | None:
        parts = channel.split(":", 3)
        if len(parts) != 4 or f"{parts[0]}" != self.prefix or parts[1] != "events":
            return None
        return (parts[2], parts[3])

    # -- publishing ------------------------------------------------------------------------

    async def publish(self, event: ResourceEvent) -> None:
        """Store and broadcast ``event`` (raises when Redis is unreachable)."""
        message = event.to_json()
        ts = "" if event.updated_at is None else repr(event.updated_at.timestamp())
        await self._script(
            keys=[self._latest_key(event.key), self._channel(event.key)],
            args=[message, ts, event.event, self.latest_ttl],
        )

    async def latest(self, type: str, id: str) -> ResourceEvent | None:
        """The stored latest state, or None (also when Redis is unreachable: the caller's
        GET and safety-net poll cover that)."""
        try:
            raw = await self._redis.get(self._latest_key((type, id)))
        except _REDIS_DOWN as exc:
            logger.warning("Redis unreachable reading the latest %s %s: %s", type, id, exc)
            return None
        return self._parse(raw) if raw is not None else None

    def _parse(self, raw: bytes | str) -> ResourceEvent | None:
        try:
            return ResourceEvent.from_json(raw)
        except ValueError as exc:
            logger.warning("ignoring a malformed message on the completion bus: %s", exc)
            return None

    # -- subscribing -----------------------------------------------------------------------

    async def subscribe(self, type: str, id: str) -> LocalSubscription:
        """Receive events for one resource. Works while Redis is down: the subscription is
        made on Redis when the connection comes back."""
        if self._closed:
            raise RuntimeError("this RedisBus is closed")
        sub = LocalSubscription((type, id), self._unsubscribe)
        if self._fanout.add(sub):
            try:
                await self._subscribe_on_redis(sub)
            except BaseException:
                # Cancelled (or timed out) before the subscription was handed out: nobody
                # will close it, so forget it here, and let the listener resubscribe any
                # other wait that joined this resource meanwhile.
                self._fanout.remove(sub)
                self._resync = self._resync or "subscribe interrupted"
                if self._fanout:
                    self._has_channels.set()
                    self._ensure_listener()
                raise
            self._has_channels.set()
            self._ensure_listener()
        return sub

    async def _subscribe_on_redis(self, sub: LocalSubscription) -> None:
        async with self._lock:
            # While a resync is pending the listener subscribes this resource with all
            # the others; trying now would hold the lock through redis-py's connection
            # retries, one resource after another.
            if self._resync is None:
                try:
                    await self._ensure_pubsub().subscribe(self._channel(sub.key))
                    self._watch_connection()
                except Exception as exc:
                    # Redis down, or the pub/sub connection torn down under this call by
                    # the listener's reconnect (redis-py then raises AttributeError and
                    # the like): the listener resubscribes everything and re-checks.
                    logger.warning("Redis unreachable; will subscribe on reconnect: %s", exc)
                    self._resync = self._resync or "subscribe failed"

    async def _unsubscribe(self, sub: LocalSubscription) -> None:
        if not self._fanout.remove(sub) or self._pubsub is None:
            return
        async with self._lock:
            if self._pubsub is None:
                return
            try:
                await self._pubsub.unsubscribe(self._channel(sub.key))
            except Exception as exc:
                # Harmless: at worst Redis keeps sending events nobody here waits for, until
                # the connection is replaced. Never fail the waiter's clean-up for it.
                logger.debug("could not unsubscribe from %s %s: %s", *sub.key, exc)

    def _ensure_pubsub(self) -> Any:
        if self._pubsub is None:
            self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        return self._pubsub

    def _watch_connection(self) -> None:
        # redis-py may reconnect (and resubscribe) the pub/sub connection by itself; be told,
        # so that states published while it was down are re-checked.
        connection = self._pubsub.connection if self._pubsub is not None else None
        if connection is not None and connection is not self._watched_connection:
            self._unwatch_connection()
            connection.register_connect_callback(self._on_connect)
            self._watched_connection = connection

    def _unwatch_connection(self) -> None:
        # A released connection goes back to the pool and may serve plain commands later;
        # its reconnects are then no news about pub/sub.
        if self._watched_connection is not None:
            self._watched_connection.deregister_connect_callback(self._on_connect)
            self._watched_connection = None

    def _on_connect(self, connection: Any) -> None:
        # redis-py resubscribes only the channels it knows; one whose SUBSCRIBE failed
        # meanwhile is not among them, so resubscribe everything and re-check.
        self._resync = self._resync or "reconnected by the client"

    def _ensure_listener(self) -> None:
        if self._listener is None or self._listener.done():
            self._listener = asyncio.get_running_loop().create_task(self._listen())

    async def _listen(self) -> None:
        delay = self.reconnect_delay
        while not self._closed:
            if not self._fanout:
                self._has_channels.clear()
                await self._has_channels.wait()
                continue
            try:
                pubsub = self._ensure_pubsub()
                if self._resync is not None or not pubsub.subscribed:
                    await self._resync_all()
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            except Exception as exc:
                # Anything the connection raises (redis-py raises AttributeError when a
                # concurrent call tore the connection down) means: reconnect. A listener
                # that died here would leave every wait in this process deaf.
                logger.warning(
                    "Redis pub/sub connection lost (%s); reconnecting in %.1fs", exc, delay
                )
                self._resync = "connection lost"
                await self._drop_pubsub()
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_reconnect_delay)
                continue
            delay = self.reconnect_delay
            if message is not None and message.get("type") == "message":
                self._dispatch(message)

    def _dispatch(self, message: dict[str, Any]) -> None:
        channel = message.get("channel")
        data = message.get("data")
        if isinstance(channel, bytes):
            channel = channel.decode("utf-8", errors="replace")
        event = self._parse(data) if isinstance(data, (bytes, str)) else None
        if event is None or not isinstance(channel, str) or self._key_of(channel) != event.key:
            if event is not None:
                logger.warning("ignoring an event whose channel does not match its resource")
            return
        self._fanout.deliver(event)

    async def _drop_pubsub(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        self._unwatch_connection()
        if pubsub is not None:
            with contextlib.suppress(Exception):
                await pubsub.aclose()

    async def _resubscribe(self) -> None:
        channels = [self._channel(key) for key in self._fanout.resources()]
        if channels:
            async with self._lock:
                await self._ensure_pubsub().subscribe(*channels)
                self._watch_connection()

    async def _resync_all(self) -> None:
        """Resubscribe every pending resource and re-check its latest state, so a change
        published while the connection was down (or before a failed SUBSCRIBE) is not lost.
        Raises when Redis is still unreachable; the listener then tries again."""
        reason, self._resync = self._resync, None
        await self._resubscribe()
        await self._recheck_latest()
        if reason is not None and reason != "subscribe failed":
            self.reconnects += 1
            logger.warning(
                "Redis pub/sub connection restored (%s); %d resources resubscribed and re-checked",
                reason,
                len(self._fanout.resources()),
            )

    async def _recheck_latest(self) -> None:
        keys = self._fanout.resources()
        if keys:
            values = await self._redis.mget([self._latest_key(k) for k in keys])
            for raw in values:
                event = self._parse(raw) if raw is not None else None
                if event is not None:
                    self._fanout.deliver(event)

    async def aclose(self) -> None:
        """Stop listening, end open subscriptions, close the connection the bus made."""
        self._closed = True
        self._has_channels.set()
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        await self._drop_pubsub()
        self._fanout.end_all()
        if self._owns_client:
            await self._redis.aclose()
