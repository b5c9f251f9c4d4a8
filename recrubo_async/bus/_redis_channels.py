"""The pub/sub side of ``RedisBus``: one connection whose channels follow the local
subscriptions.

Two background tasks own the pub/sub connection; a waiter's task never touches it:

* the *syncer* sends SUBSCRIBE and UNSUBSCRIBE in batches (one command for every resource
  whose first wait started or last wait ended since the previous batch), then a PING whose
  PONG, read by the listener, proves Redis has applied them;
* the *listener* reads messages, and after a lost connection resubscribes what the local
  subscriptions need (and unsubscribes what they no longer need) and re-reads latest
  states. A connection that stops answering (half-open after a failover or an idle drop:
  no error, just silence) counts as lost: the PONG of a batch that does not come, or of
  the PING the listener sends after ``_KEEPALIVE_IDLE`` seconds of silence.

So the local subscriptions are the one source of truth, and Redis's and redis-py's lists
of channels follow them, whatever mix of subscribe, cancel, close and reconnection happens.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Coroutine, Iterable
from typing import Any, TypeVar, cast

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .. import _compat
from .._otel import global_telemetry
from .._within import within
from . import _scripts
from ._event import ResourceEvent
from ._local import Fanout, Key, LocalSubscription

logger = logging.getLogger("recrubo_async.bus.redis")

#: How long the UNSUBSCRIBEs of waits that ended are gathered before they are sent: one
#: command (and one syncer run) for every wait that ended meanwhile, instead of one per
#: wait. A SUBSCRIBE is never held: it sends what was gathered with it at once.
_UNSUBSCRIBE_GATHER = 0.05
#: Latest states read per MGET (``latest()`` batches and re-reads after a reconnection).
_MGET_CHUNK = 1000
#: The most bytes of channel names per SUBSCRIBE or UNSUBSCRIBE command (about 900 usual
#: channels). Each command is bounded on its own (``_bounded``): a resync of 100,000
#: channels (7 MB) over a slow link makes progress command by command, where one command
#: for all of them could not be sent within the bound, and every attempt would start over.
_COMMAND_BYTES = 64 * 1024
#: The longest the pub/sub connection may stay silent while a batch's PONG is awaited.
#: Past it the batch counts as failed: the listener resubscribes and re-reads the latest
#: states. Silent, not slow: a batch of 100,000 SUBSCRIBEs takes longer than this to
#: confirm on a busy worker, and each confirmation read extends the wait.
_CONFIRM_WAIT = 10.0
#: The PING message that marks the end of a batch (redis-py's health checks use another).
_CONFIRM_PING = "recrubo-batch"
#: Every this many seconds, when it has nothing to read, the listener PINGs the pub/sub
#: connection; a PONG not back ``_CONFIRM_WAIT`` seconds later means it went silent.
_KEEPALIVE_IDLE = 30.0
#: The PING message of those checks.
_KEEPALIVE_PING = "recrubo-keepalive"
#: The PING message that marks the end of a resubscription (read by the listener itself).
_RESYNC_PING = "recrubo-resync"


class RedisChannels:
    """Subscriptions to resources over one Redis pub/sub connection (``RedisBus``'s base).

    Args:
        redis: the client whose pool serves the pub/sub connection and the re-reads.
        prefix: namespace for keys and channels.
        reconnect_delay: first pause before reconnecting (doubles up to the next one).
        max_reconnect_delay: the longest pause between reconnection attempts.
    """

    def __init__(
        self,
        redis: aioredis.Redis,
        prefix: str,
        reconnect_delay: float,
        max_reconnect_delay: float,
    ) -> None:
        self._redis = redis
        self.reconnect_delay = reconnect_delay
        self.max_reconnect_delay = max_reconnect_delay
        self.prefix = prefix
        self._events_prefix = f"{prefix}:events:"
        self._fanout = Fanout()
        self._pubsub: Any = None
        #: Held by whichever background task sends commands on the pub/sub connection.
        self._lock = asyncio.Lock()
        #: Set when the listener may have something to read or to resync.
        self._wake = asyncio.Event()
        #: Resources whose first wait started or last wait ended since the last batch.
        self._dirty: set[Key] = set()
        #: Settled once the batch holding the current dirty resources has been sent.
        self._batch: asyncio.Future[None] | None = None
        #: The resources of the batch being sent, and its future (one batch at a time).
        self._sending: set[Key] = set()
        self._sending_batch: asyncio.Future[None] | None = None
        #: One future per PING sent after a batch, settled by the listener's PONGs in order.
        self._pongs: deque[asyncio.Future[None]] = deque()
        self._syncer: asyncio.Task[None] | None = None
        #: The timer that sends the gathered UNSUBSCRIBEs (None: none pending).
        self._gathering: asyncio.TimerHandle | None = None
        self._listener: asyncio.Task[None] | None = None
        self._closed = False
        self._watched_connection: Any = None
        #: Why the listener must resubscribe every resource and re-check its latest state
        #: before listening on (None: nothing to do).
        self._resync: str | None = None
        #: Whether the pub/sub connection was lost (or replaced) since the last resync (what
        #: counts as a reconnection: a failed SUBSCRIBE alone does not).
        self._lost = False
        #: The pub/sub object whose batch failed: the resync replaces it rather than
        #: resubscribing on a connection that may have gone silent.
        self._failed: Any = None
        #: When the listener's next keepalive PING is due, and when the one still
        #: unanswered was sent (loop time).
        self._keepalive_due = 0.0
        self._keepalive_sent: float | None = None
        #: When the listener last read anything on the pub/sub connection (loop time).
        self._heard = 0.0
        #: How many times the pub/sub connection was re-established (for tests and logs).
        self.reconnects = 0

    @property
    def subscription_count(self) -> int:
        return self._fanout.count

    def _latest_key(self, key: Key) -> str:
        return f"{self.prefix}:latest:{key[0]}:{key[1]}"

    def _channel(self, key: Key) -> str:
        return f"{self._events_prefix}{key[0]}:{key[1]}"

    def _key_of(self, channel: str) -> Key | None:
        # Strip the known prefix rather than split the whole channel: the prefix may hold
        # ":" (or any character). JSON:API types never contain ":", ids might.
        if not channel.startswith(self._events_prefix):
            return None
        type, sep, id = channel[len(self._events_prefix) :].partition(":")
        if not sep or not type or not id:
            return None
        return (type, id)

    def _parse(self, raw: bytes | str) -> ResourceEvent | None:
        try:
            return ResourceEvent.from_json(raw)
        except ValueError as exc:
            logger.warning("ignoring a malformed message on the completion bus: %s", exc)
            return None

    # -- subscribing -----------------------------------------------------------------------

    async def subscribe(self, type: str, id: str) -> LocalSubscription:
        """Receive events for one resource.

        Returns once Redis has confirmed the SUBSCRIBE (so a ``latest()`` read afterwards
        covers everything published before it), or once Redis proved unreachable: the
        listener then subscribes the resource and re-reads its latest state when Redis is
        back.
        """
        if self._closed:
            raise RuntimeError("this RedisBus is closed")
        sub = LocalSubscription((type, id), self._forget)
        if self._fanout.add(sub):
            self._dirty.add((type, id))
            batch = self._next_batch()
        elif self._batch is not None and (type, id) in self._dirty:
            # Another wait's SUBSCRIBE for this resource is not sent yet: looking now
            # could miss an event published before it is.
            batch = self._batch
        elif self._sending_batch is not None and (type, id) in self._sending:
            # Another wait's SUBSCRIBE for this resource is on its way, not confirmed yet.
            batch = self._sending_batch
        else:
            return sub
        try:
            # Shielded: the batch is shared, and one waiter's cancellation must not
            # cancel it for the others.
            await asyncio.shield(batch)
        except BaseException:
            # Cancelled before the subscription was handed out: nobody will close it.
            # Forget it without waiting on Redis; the syncer unsubscribes in the background.
            self._forget(sub)
            raise
        return sub

    def _next_batch(self) -> asyncio.Future[None]:
        batch = self._batch
        if batch is None:
            batch = self._batch = asyncio.get_running_loop().create_future()
        if not self._syncing():
            # With an eager task factory (3.12+) the syncer runs its first step inside
            # create_task and takes this batch (``self._batch`` is then None already).
            self._syncer = asyncio.get_running_loop().create_task(self._sync())
        return batch

    def _syncing(self) -> bool:
        """Whether the syncer is running (it takes every dirty resource before it ends)."""
        return self._syncer is not None and not self._syncer.done()

    def _forget(self, sub: LocalSubscription) -> None:
        """A subscription closed (or its ``subscribe()`` was cancelled): forgotten here at
        once, so no event reaches it any more; when it was the last on its resource, its
        UNSUBSCRIBE is gathered and left to the syncer.

        Never awaited: a wait closes its subscription before it returns its result, and
        waiting for the syncer's task to write the UNSUBSCRIBE put three loop iterations
        (a quarter of a millisecond under load) between the event and every wait's result
        (benchmarks/findings.md, session 8). The UNSUBSCRIBEs of waits that end within
        ``_UNSUBSCRIBE_GATHER`` go out together; the bus's ``aclose`` ends them all
        (closing the connection unsubscribes everything).
        """
        if not self._fanout.remove(sub) or self._closed:
            return
        self._dirty.add(sub.key)
        if self._gathering is None and not self._syncing():
            self._gathering = asyncio.get_running_loop().call_later(
                _UNSUBSCRIBE_GATHER, self._send_gathered
            )
        # Else a batch is on its way: the syncer takes this key with the next one.

    def _send_gathered(self) -> None:
        self._gathering = None
        if self._dirty and not self._closed:
            self._next_batch()

    async def _sync(self) -> None:
        """Send the pending SUBSCRIBE and UNSUBSCRIBE batches until none is left."""
        while self._dirty and not self._closed:
            async with self._lock:
                keys, self._dirty = self._dirty, set()
                batch, self._batch = self._batch, None
                # A wait that joins one of these resources now waits for this batch.
                self._sending, self._sending_batch = keys, batch
                try:
                    if self._resync is None:
                        await self._send(keys)
                    # Else the listener's resync subscribes every wanted resource and
                    # unsubscribes the rest: these keys included.
                except Exception as exc:
                    # Redis down, the connection silent (no PONG), or torn down under this
                    # call (redis-py then raises AttributeError and the like): the listener
                    # replaces the connection and resyncs.
                    logger.warning("Redis unreachable; will subscribe on reconnect: %s", exc)
                    self._resync = self._resync or "subscribe failed"
                    self._failed = self._pubsub
                finally:
                    self._sending, self._sending_batch = set(), None
                    if batch is not None and not batch.done():
                        batch.set_result(None)
            self._wake.set()
            self._ensure_listener()

    async def _send(self, keys: Iterable[Key]) -> None:
        subscribe: list[str] = []
        unsubscribe: list[str] = []
        for key in keys:
            # The state now, not the change that made the key dirty: a wait that started
            # and was cancelled within one batch needs nothing from Redis.
            (subscribe if self._fanout.has(*key) else unsubscribe).append(self._channel(key))
        pubsub = self._ensure_pubsub()
        if subscribe:
            await self._commands(pubsub, "subscribe", subscribe)
            self._watch_connection()
        # Never an UNSUBSCRIBE with no channel: Redis reads it as "all channels".
        if unsubscribe and _compat.pubsub_connection(pubsub) is not None:
            await self._commands(pubsub, "unsubscribe", unsubscribe)
        if subscribe:
            await self._confirm(pubsub)

    async def _confirm(self, pubsub: Any) -> None:
        """Wait until Redis has applied the commands sent so far on the pub/sub connection.

        redis-py's ``subscribe()`` returns once the command is written, and a ``latest()``
        read on another connection may reach Redis first. Redis answers a connection's
        commands in order, so the PONG of a PING sent now comes after every confirmation.
        The listener reads it (it owns the reading); raises when it does not come.
        """
        if self._resync is not None:
            # Reconnected while sending: the listener's resync (which needs the lock this
            # batch holds) resubscribes everything and re-reads the latest states.
            return
        loop = asyncio.get_running_loop()
        pong: asyncio.Future[None] = loop.create_future()
        self._pongs.append(pong)
        try:
            sent = loop.time()
            await self._command(pubsub, "ping", _CONFIRM_PING)
            self._wake.set()
            self._ensure_listener()
            while not pong.done():
                # Silence, not the PONG's lateness, is what fails: the listener stamps
                # ``_heard`` at each confirmation it reads ahead of the PONG.
                remaining = max(self._heard, sent) + _CONFIRM_WAIT - loop.time()
                if remaining <= 0:
                    raise RedisTimeoutError(
                        f"nothing heard on the pub/sub connection for {_CONFIRM_WAIT:g} s"
                    )
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(asyncio.shield(pong), remaining)
            pong.result()
        finally:
            with contextlib.suppress(ValueError):
                self._pongs.remove(pong)
            if pong.done() and not pong.cancelled():
                # Failed by ``_fail_pongs`` while the PING was being sent: this call has
                # raised already, so asyncio must not log the future's error as lost.
                pong.exception()

    def _pong(self, message: dict[str, Any]) -> None:
        data = _text(message.get("data") or b"")
        if data == _KEEPALIVE_PING:
            self._keepalive_sent = None
            self._keepalive_due = asyncio.get_running_loop().time() + _KEEPALIVE_IDLE
        elif data == _CONFIRM_PING and self._pongs:
            pong = self._pongs.popleft()
            if not pong.done():
                pong.set_result(None)

    def _fail_pongs(self, why: str) -> None:
        # A PING sent before the connection was lost or replaced will not be answered.
        self._keepalive_sent = None
        while self._pongs:
            pong = self._pongs.popleft()
            if not pong.done():
                pong.set_exception(RedisConnectionError(why))

    def _ensure_pubsub(self) -> Any:
        if self._pubsub is None:
            # Subscribe confirmations are read as messages (and ignored by ``_handle``):
            # each one is a sign of life while a large batch is confirmed.
            self._pubsub = self._redis.pubsub()
            self._keepalive_due = asyncio.get_running_loop().time() + _KEEPALIVE_IDLE
        return self._pubsub

    def _watch_connection(self) -> None:
        # redis-py may reconnect (and resubscribe) the pub/sub connection by itself; be told,
        # so that states published while it was down are re-checked.
        connection = _compat.pubsub_connection(self._pubsub) if self._pubsub is not None else None
        if connection is not None and connection is not self._watched_connection:
            self._unwatch_connection()
            _compat.on_reconnect(connection, self._on_connect)
            # redis-py would also resubscribe every channel it knows, inside the listener's
            # read and in one unbounded command (a stalled path would hold the listener for
            # good); the resync that ``_on_connect`` asks for does it, bounded and chunked.
            _compat.off_reconnect(connection, self._pubsub.on_connect)
            self._watched_connection = connection

    def _unwatch_connection(self) -> None:
        # A released connection goes back to the pool and may serve plain commands later;
        # its reconnects are then no news about pub/sub.
        if self._watched_connection is not None:
            _compat.off_reconnect(self._watched_connection, self._on_connect)
            self._watched_connection = None

    def _on_connect(self, connection: Any) -> None:
        # redis-py resubscribes only the channels it knows, including those whose
        # UNSUBSCRIBE was not yet confirmed: resync, so Redis ends up with exactly the
        # wanted channels, and re-check what was published while the connection was down.
        self._resync = self._resync or "reconnected by the client"
        self._lost = True
        self._fail_pongs("the pub/sub connection was re-established")
        self._wake.set()

    # -- listening -------------------------------------------------------------------------

    def _ensure_listener(self) -> None:
        if not self._closed and (self._listener is None or self._listener.done()):
            self._listener = asyncio.get_running_loop().create_task(self._listen())

    def _reading(self) -> bool:
        """Whether the pub/sub connection has channels, or confirmations still to read."""
        return self._pubsub is not None and _compat.pubsub_is_reading(self._pubsub)

    async def _listen(self) -> None:
        delay = self.reconnect_delay
        while not self._closed:
            if self._resync is None and not self._reading():
                self._wake.clear()
                if self._resync is None and not self._reading():
                    await self._wake.wait()
                continue
            try:
                if self._resync is not None:
                    await self._resync_all()
                    continue
                message = await self._read(self._pubsub, 1.0)
                if message is None:
                    await self._keep_alive()
            except Exception as exc:
                # Anything the connection raises (redis-py raises AttributeError when a
                # concurrent call tore the connection down) means: reconnect. A listener
                # that died here would leave every wait in this process deaf.
                logger.warning(
                    "Redis pub/sub connection lost (%s); reconnecting in %.1fs", exc, delay
                )
                self._resync = self._resync or "connection lost"
                self._lost = True
                # Before taking the lock: the syncer may hold it, waiting for a PONG.
                self._fail_pongs("the pub/sub connection was lost")
                async with self._lock:
                    await self._drop_pubsub()
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_reconnect_delay)
                continue
            delay = self.reconnect_delay
            if message is not None:
                self._heard = asyncio.get_running_loop().time()
                self._handle(message)

    def _handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "message":
            self._dispatch(message)
        elif kind == "pong":
            self._pong(message)

    async def _keep_alive(self) -> None:
        """With nothing to read, PING the pub/sub connection every ``_KEEPALIVE_IDLE``
        seconds; raise when a PONG has not come ``_CONFIRM_WAIT`` seconds later (the
        listener then replaces the connection). Without it, a connection gone silent with
        no new subscription to confirm would leave every wait in the process deaf. Called
        only when a read found nothing, so busy connections pay nothing for it."""
        now = asyncio.get_running_loop().time()
        if self._keepalive_sent is not None:
            if now - self._keepalive_sent > _CONFIRM_WAIT:
                raise RedisTimeoutError(
                    f"no answer to a PING on the pub/sub connection within {_CONFIRM_WAIT:g} s"
                )
        elif now >= self._keepalive_due and not self._lock.locked() and not self._syncing():
            # Never waits for the lock: a syncer holding it or about to take it sends a
            # PING of its own (for SUBSCRIBEs) whose PONG this task must read. Resources
            # merely gathered for an UNSUBSCRIBE do not count: with waits ending every few
            # milliseconds there always are some, and the keepalive would never run.
            async with self._lock:
                self._keepalive_sent = now
                await self._command(self._pubsub, "ping", _KEEPALIVE_PING)

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
        self._failed = None
        self._fail_pongs("the pub/sub connection was closed")
        self._unwatch_connection()
        if pubsub is not None:
            # Aborted, not only closed: a connection dropped here failed or went silent, and
            # a graceful close would hold its socket while unsent commands wait for a peer
            # that may be gone (closing it unsubscribes everything either way).
            transport = _compat.pubsub_transport(pubsub)
            with contextlib.suppress(Exception):
                await _bounded(pubsub.aclose())
            if transport is not None:
                transport.abort()

    async def _resync_all(self) -> None:
        """Make Redis's channels match the local subscriptions and re-check each one's
        latest state, so a change published while the connection was down (or before a
        failed SUBSCRIBE) is not lost. Raises when Redis is still unreachable; the listener
        then tries again."""
        async with self._lock:
            if self._failed is not None and self._failed is self._pubsub:
                # A batch failed on this connection: if it went silent, resubscribing on
                # it would leave every wait deaf. A new one costs a reconnection at most.
                self._lost = True
                await self._drop_pubsub()
            reason, lost = self._resync, self._lost
            # Cleared first: a failure reported while this runs asks for another pass.
            self._resync, self._lost = None, False
            try:
                count = await self._resubscribe()
                if count:
                    # The re-read only after Redis has applied the SUBSCRIBEs: a state
                    # published in between would otherwise be neither heard nor re-read.
                    await self._confirm_resubscribed()
                    await self._recheck_latest()
            except BaseException:
                self._resync = self._resync or reason
                self._lost = self._lost or lost
                raise
        if count and lost:
            self.reconnects += 1
            telemetry = global_telemetry()
            if telemetry is not None:
                telemetry.reconnects.add(1)
            logger.warning(
                "Redis pub/sub connection restored (%s); %d resources resubscribed and re-checked",
                reason,
                count,
            )
        elif count:
            logger.info("%d resources resubscribed and re-checked (%s)", count, reason)

    async def _confirm_resubscribed(self) -> None:
        """Read the pub/sub connection until Redis answers a PING sent now, so that the
        SUBSCRIBEs sent before it are applied. The listener calls it (it is the one task
        that reads the connection) and handles what arrives meanwhile as it would."""
        pubsub = self._pubsub
        await self._command(pubsub, "ping", _RESYNC_PING)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _CONFIRM_WAIT
        while (remaining := deadline - loop.time()) > 0:
            message = await self._read(pubsub, min(remaining, 1.0))
            if message is not None:
                # Silence fails the resync, not its length: each message read extends it.
                self._heard = loop.time()
                deadline = self._heard + _CONFIRM_WAIT
                pong = message.get("type") == "pong"
                if pong and _text(message.get("data") or b"") == _RESYNC_PING:
                    return
                self._handle(message)
            if self._resync is not None:
                # redis-py reconnected inside the read (``_on_connect``): the new connection
                # has none of these channels and will confirm nothing. The next pass
                # resubscribes there, now rather than after ``_CONFIRM_WAIT`` of silence.
                return
        raise RedisTimeoutError(
            f"nothing heard on the pub/sub connection for {_CONFIRM_WAIT:g} s of resubscribing"
        )

    async def _resubscribe(self) -> int:
        """SUBSCRIBE every wanted channel, UNSUBSCRIBE every other one redis-py holds."""
        wanted = [self._channel(key) for key in self._fanout.resources()]
        pubsub = self._pubsub
        unwanted: list[str] = []
        if pubsub is not None:
            keep = set(wanted)
            unwanted = [c for c in map(_text, _compat.pubsub_channels(pubsub)) if c not in keep]
        if wanted:
            pubsub = self._ensure_pubsub()
            await self._commands(pubsub, "subscribe", wanted)
            self._watch_connection()
        if unwanted and pubsub is not None and _compat.pubsub_connection(pubsub) is not None:
            await self._commands(pubsub, "unsubscribe", unwanted)
        return len(wanted)

    async def _recheck_latest(self) -> None:
        keys = self._fanout.resources()
        for start in range(0, len(keys), _MGET_CHUNK):
            chunk = keys[start : start + _MGET_CHUNK]
            values = await self._mget([self._latest_key(k) for k in chunk])
            for raw in values:
                event = self._parse(raw) if raw is not None else None
                if event is not None:
                    self._fanout.deliver(event)

    async def _mget(self, keys: list[str]) -> list[bytes | str | None]:
        return await _bounded(self._redis.mget(keys))

    async def _command(self, pubsub: Any, method: str, *args: str) -> Any:
        """``pubsub.<method>(*args)`` on the pub/sub connection, bounded like every
        exchange (:func:`_bounded`). When it times out, the socket is aborted: redis-py's
        disconnect closes it gracefully, and toward a peer that reads nothing a graceful
        close waits to send what is buffered, holding the socket until the kernel gives up."""
        transport = _compat.pubsub_transport(pubsub)
        if transport is None:
            # A new pub/sub object connects within its first command: connected first (as
            # bounded), so that a command that then times out has its socket to abort.
            await _bounded(_compat.pubsub_connect(pubsub))
            transport = _compat.pubsub_transport(pubsub)
            if transport is not None and pubsub is self._pubsub:
                # Watched before its first command: a reconnection in the middle of a batch
                # must resync (bounded), not let redis-py resubscribe on its own.
                self._watch_connection()
        return await _bounded(getattr(pubsub, method)(*args), abort=transport)

    @staticmethod
    async def _read(pubsub: Any, timeout: float) -> dict[str, Any] | None:
        """``pubsub.get_message(timeout=timeout)``, bounded like the commands.

        redis-py reconnects a dropped connection inside it and resubscribes every channel
        it knows, with no bound of its own: toward a stalled path the listener would block
        there for good, and every wait in the process would stay deaf.
        """
        reading = cast(
            "Coroutine[Any, Any, dict[str, Any] | None]", pubsub.get_message(timeout=timeout)
        )
        return await _bounded(reading, abort=_compat.pubsub_transport(pubsub), longer=timeout)

    async def _commands(self, pubsub: Any, method: str, channels: list[str]) -> None:
        """``pubsub.<method>`` for ``channels``, ``_COMMAND_BYTES`` of names at a time
        (UTF-8 bytes, as sent: a prefix may have any characters)."""
        start = size = 0
        for end, channel in enumerate(channels, 1):
            size += len(channel.encode())
            if size >= _COMMAND_BYTES or end == len(channels):
                await self._command(pubsub, method, *channels[start:end])
                start, size = end, 0


_T = TypeVar("_T")


async def _bounded(
    command: Awaitable[_T], *, abort: asyncio.Transport | None = None, longer: float = 0.0
) -> _T:
    """Await one Redis command, or raise ``redis.exceptions.TimeoutError`` after
    ``EXCHANGE_TIMEOUT`` (plus ``longer``: a read's own wait), like the publish path's
    exchanges. ``abort``: the connection's transport, aborted when the command times out
    (redis-py's own timeout included), since a graceful close toward a peer that reads
    nothing holds the socket and what is buffered until the kernel gives up.

    These connections have no socket timeout (the pub/sub one waits for messages). Toward
    a connection gone silent a read never ends; toward a peer that is gone, a write blocks
    once the buffers are full. Either would hold the lock (the syncer, the resync) or the
    one reader task (``latest()``) for ever, and every wait in the process behind it.
    redis-py disconnects a connection whose command is cancelled, so it is not reused.
    """
    # A coroutine (redis-py's commands are ``async def``); redis-py types some as awaitables.
    running = cast("Coroutine[Any, Any, _T]", command)
    try:
        try:
            return await within(_scripts.EXCHANGE_TIMEOUT + longer, running)
        except TimeoutError:
            raise RedisTimeoutError(
                f"no answer from Redis within {_scripts.EXCHANGE_TIMEOUT:g} s"
            ) from None
    except RedisTimeoutError:
        if abort is not None:
            abort.abort()
        raise


def _text(channel: bytes | str) -> str:
    return channel.decode("utf-8", errors="replace") if isinstance(channel, bytes) else channel
