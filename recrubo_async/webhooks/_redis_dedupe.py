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
import secrets

from .._validate import Duration, check_duration
from ._dedupe import DEFAULT_TTL, Claim

try:
    import redis.asyncio as aioredis
    from redis.exceptions import RedisError

    from ..bus._pool import pooled_client
    from ..bus._scripts import LuaScript, ScriptBatcher, batcher_for
except ImportError as exc:  # pragma: no cover - only without the extra
    raise ImportError(
        "RedisDedupe needs the redis extra: pip install 'recrubo-async[redis]'"
    ) from exc

logger = logging.getLogger("recrubo_async.webhooks.redis_dedupe")

_DONE = "done"
#: Pauses between the attempts to free a claim whose answer was lost (seconds).
_ORPHAN_RETRIES = (0.0, 0.2, 0.5, 1.0, 2.0, 4.0)

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
    read); ``done`` and ``release`` act only on this store's own claim token, so a replica
    whose lease expired while its handler ran cannot free a claim another replica took.

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
        #: The token of each claim this store holds, by delivery id.
        self._tokens: dict[str, str] = {}
        #: Background releases of claims whose answer was lost (closed by ``aclose``).
        self._cleanups: set[asyncio.Task[None]] = set()
        self._closed = False

    def __repr__(self) -> str:
        # Never the URL: it may carry a password.
        return f"RedisDedupe(prefix={self.prefix!r}, claims={len(self._tokens)})"

    def _key(self, key: str) -> str:
        return f"{self.prefix}:dedupe:{key}"

    async def claim(self, key: str, lease: float) -> Claim:
        token = f"claim:{secrets.token_hex(8)}"
        lease_ms = str(max(1, math.ceil(lease * 1000)))
        try:
            answer = await self._scripts.run(_CLAIM, self._key(key), token, lease_ms)
        except BaseException:
            # The script may have run with its answer lost (a timeout while Redis
            # stalled): the claim would then block every redelivery for its whole lease
            # with nobody handling it. Free it; the release only deletes this token.
            self._release_orphan(key, token)
            raise
        state = answer.decode() if isinstance(answer, bytes) else str(answer)
        if state == "claimed":
            self._tokens[key] = token
            return "claimed"
        return "done" if state == _DONE else "busy"

    def _release_orphan(self, key: str, token: str) -> None:
        if self._closed:
            # No task outlives the store: the claim's lease ends it.
            return
        task = asyncio.get_running_loop().create_task(self._free(key, token))
        self._cleanups.add(task)
        task.add_done_callback(self._cleanups.discard)

    async def _free(self, key: str, token: str) -> None:
        for pause in _ORPHAN_RETRIES:
            await asyncio.sleep(pause)
            try:
                await self._scripts.run(_RELEASE, self._key(key), token)
            except (RedisError, OSError) as exc:
                last = exc
            else:
                return
        # The lease still expires by itself.
        logger.warning("could not free the lost claim on webhook %s: %s", key, last)

    async def done(self, key: str) -> None:
        token = self._tokens.pop(key, "")
        await self._scripts.run(_MARK_DONE, self._key(key), token, self._ttl_ms)

    async def release(self, key: str) -> None:
        token = self._tokens.pop(key, None)
        if token is not None:
            await self._scripts.run(_RELEASE, self._key(key), token)

    async def aclose(self) -> None:
        """Stop freeing lost claims; close the connection the store made (a borrowed
        ``client`` is left open)."""
        self._closed = True
        for task in list(self._cleanups):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._owns_client:
            await self._scripts.aclose()
            await self._redis.aclose()
