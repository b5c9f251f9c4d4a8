"""``RedisDedupe``: one dedupe store shared by every web replica (the ``redis`` extra).

Its three scripts (claim, done, release) run through the client's ``ScriptBatcher``: the
calls of the deliveries in flight that are asked for in one loop tick go out as one
pipeline (with the ``RedisBus``'s publishes too, when both use the same ``client=``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from typing import Any

from .._tasks import stop
from .._validate import Duration, check_duration
from ._dedupe import DEFAULT_TTL, DONE, Claim, ClaimTokens

try:
    import redis.asyncio as aioredis
    from redis.exceptions import RedisError

    from ..bus._pool import pooled_client
    from ..bus._scripts import CLOSE_WAIT, LuaScript, ScriptBatcher, batcher_for
except ImportError as exc:  # pragma: no cover - only without the extra
    raise ImportError(
        "RedisDedupe needs the redis extra: pip install 'recrubo-async[redis]'"
    ) from exc

logger = logging.getLogger("recrubo_async.webhooks.redis_dedupe")

#: Pauses between the attempts of a write finished in the background (seconds).
_BACKGROUND_RETRIES = (0.0, 0.2, 0.5, 1.0, 2.0, 4.0)

# Claim when free; otherwise say whether it is done or held. One atomic step, so two
# replicas claiming the same delivery at once cannot both get it. Held under our own
# token is ours: redis-py resends a command whose answer timed out, and the first
# attempt may have run.
_CLAIM = LuaScript(
    """
local current = redis.call('GET', KEYS[1])
if not current or current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 'claimed'
end
if current == 'done' then return 'done' end
return 'busy'
""",
    keys=1,
)

# Mark done unless another holder has claimed it since our lease ran out: that holder's
# outcome decides (it runs the handlers again, or not, by itself).
_MARK_DONE = LuaScript(
    """
local current = redis.call('GET', KEYS[1])
if current and current ~= ARGV[1] and current ~= 'done' then return 0 end
redis.call('SET', KEYS[1], 'done', 'PX', ARGV[2])
return 1
""",
    keys=1,
)

# Delete only our own claim: a replica whose lease expired must not free another's.
_RELEASE = LuaScript(
    """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
""",
    keys=1,
)


class RedisDedupe:
    """A ``DedupeStore`` in Redis, for receivers on several replicas (the ``redis`` extra).

    A claim is ``SET key <token> NX PX <lease>`` (in one script with the "is it done?"
    read); ``done`` and ``release`` act only on the caller's own claim token, so a replica
    (or a receiver sharing this store) whose lease expired while its handler ran cannot
    free a claim another one took. A write whose caller stops waiting (cancelled) or
    fails is finished in the background: a claim whose answer was lost is freed, a
    ``done`` is still marked, a ``release`` still frees; ``aclose`` gives those a last try.

    Args:
        url: a Redis URL such as ``redis://localhost:6379/0``.
        client: an existing ``redis.asyncio.Redis`` to use instead (never closed here).
        prefix: namespace for keys (``<prefix>:dedupe:<delivery id>``).
        ttl: how long a handled delivery id is kept (seconds or a ``timedelta``; 48 hours
            by default, Recrubo retries for about 24).

    Raises:
        ValueError: neither or both of ``url`` and ``client``; a nonsensical ``ttl``.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        client: aioredis.Redis | None = None,
        prefix: str = "recrubo",
        ttl: Duration = DEFAULT_TTL,
    ) -> None:
        if (url is None) == (client is None):
            raise ValueError("RedisDedupe needs exactly one of url= or client=")
        if not isinstance(prefix, str) or not prefix:
            raise ValueError(f"RedisDedupe(prefix=...) must be a non-empty string; got {prefix!r}")
        self.ttl = check_duration("RedisDedupe(ttl=...)", ttl)
        self._ttl_ms = str(math.ceil(self.ttl * 1000))
        self.prefix = prefix
        self._owns_client = client is None
        # Nothing connects until the first command.
        self._redis: aioredis.Redis = client or pooled_client(url)  # type: ignore[arg-type]
        # A client of its own gets a batcher of its own (closed with the store); a
        # borrowed one shares the client's (with a RedisBus on the same client, say).
        self._scripts = (
            ScriptBatcher(self._redis) if self._owns_client else batcher_for(self._redis)
        )
        #: The claims this store holds, and which is whose.
        self._tokens = ClaimTokens()
        #: Writes finished in the background (see ``_finish``), ended by ``aclose``.
        self._cleanups: set[asyncio.Task[None]] = set()
        #: Set by ``aclose``: those writes skip their pauses and make a last attempt.
        self._closing: asyncio.Event | None = None
        self._closed = False

    def __repr__(self) -> str:
        # Never the URL: it may carry a password.
        return f"RedisDedupe(prefix={self.prefix!r}, claims={len(self._tokens)})"

    def _key(self, key: str) -> str:
        return f"{self.prefix}:dedupe:{key}"

    async def claim(self, key: str, lease: float) -> Claim:
        token = self._tokens.new()
        lease_ms = str(max(1, math.ceil(lease * 1000)))
        try:
            answer = await self._scripts.run(_CLAIM, self._key(key), token, lease_ms)
        except BaseException:
            # The script may have run with its answer lost (a timeout while Redis
            # stalled): the claim would then block every redelivery for its whole lease
            # with nobody handling it. Free it; the release only deletes this token.
            self._in_background("free the lost claim on", _RELEASE, key, token)
            raise
        state = answer.decode() if isinstance(answer, bytes) else str(answer)
        if state == "claimed":
            self._tokens.add(key, token)
            return "claimed"
        return "done" if state == DONE else "busy"

    async def done(self, key: str) -> None:
        token = self._tokens.take(key) or ""
        await self._finish("mark done", _MARK_DONE, key, token, self._ttl_ms)

    async def release(self, key: str) -> None:
        token = self._tokens.take(key)
        if token is not None:
            await self._finish("free the claim on", _RELEASE, key, token)

    async def _finish(self, what: str, script: LuaScript, key: str, *args: Any) -> None:
        """Run ``script``; if it fails or its caller stops waiting, in the background.

        Its token is already forgotten here: a done left undone would make the retry
        after the lease run the handlers again, a release left undone would hold every
        redelivery off for the whole lease. Both scripts are safe to run twice.
        """
        try:
            await self._scripts.run(script, self._key(key), *args)
        except BaseException:
            self._in_background(what, script, key, *args)
            raise

    def _in_background(self, what: str, script: LuaScript, key: str, *args: Any) -> None:
        if self._closed:
            # No task outlives the store: the claim's lease ends it.
            return
        task = asyncio.get_running_loop().create_task(self._retry(what, script, key, *args))
        self._cleanups.add(task)
        task.add_done_callback(self._cleanups.discard)

    async def _retry(self, what: str, script: LuaScript, key: str, *args: Any) -> None:
        last: BaseException | None = None
        for pause in _BACKGROUND_RETRIES:
            if pause and not self._closed:
                if self._closing is None:
                    self._closing = asyncio.Event()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._closing.wait(), pause)
            else:
                await asyncio.sleep(0)
            try:
                await self._scripts.run(script, self._key(key), *args)
            except (RedisError, OSError) as exc:
                last = exc
                if self._closed:
                    break
            else:
                return
        # A claim's lease still expires by itself.
        logger.warning("could not %s webhook %s: %s", what, key, last)

    async def aclose(self) -> None:
        """Give the writes being finished in the background one last attempt (for up to
        ``CLOSE_WAIT`` seconds), then close the connection the store made (a borrowed
        ``client`` is left open)."""
        self._closed = True
        if self._closing is not None:
            self._closing.set()
        if self._cleanups:
            await asyncio.wait(list(self._cleanups), timeout=CLOSE_WAIT)
        await stop(*self._cleanups)
        if self._owns_client:
            await self._scripts.aclose()
            await self._redis.aclose()
