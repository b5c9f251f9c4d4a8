"""``RedisLedger``: records in Redis, shared by every worker on every host (the ``redis``
extra). Each step is one Lua script: one round trip, atomic on the server."""

from __future__ import annotations

import math

from ._protocol import LedgerPolicy, LedgerRecord

try:
    import redis.asyncio as aioredis

    from ..bus._redis import pooled_client
except ImportError as exc:  # pragma: no cover - only without the extra
    raise ImportError(
        "RedisLedger needs the redis extra: pip install 'recrubo-async[redis]'"
    ) from exc

# A hash per key (fp, owner, at, lease, job), expiring after the ttl. Claim stores the
# intent unless a record exists; a record held under our own owner token is ours (redis-py
# resends a command whose answer was lost, and the first attempt may have run).
_CLAIM_LUA = """
local fields = redis.call('HGETALL', KEYS[1])
if #fields > 0 then
  for i = 1, #fields, 2 do
    if fields[i] == 'owner' and fields[i + 1] == ARGV[2] then return false end
  end
  return fields
end
redis.call('HSET', KEYS[1], 'fp', ARGV[1], 'owner', ARGV[2], 'at', ARGV[3], 'lease', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return false
"""

_TAKE_OVER_LUA = """
local owner = redis.call('HGET', KEYS[1], 'owner')
if owner == ARGV[1] and redis.call('HEXISTS', KEYS[1], 'job') == 0 then
  redis.call('HSET', KEYS[1], 'owner', ARGV[2], 'lease', ARGV[3])
  return 1
end
if owner == ARGV[2] and redis.call('HEXISTS', KEYS[1], 'job') == 0 then return 1 end
return 0
"""

_COMPLETE_LUA = """
if redis.call('EXISTS', KEYS[1]) == 0 then return ARGV[1] end
local job = redis.call('HGET', KEYS[1], 'job')
if job then return job end
redis.call('HSET', KEYS[1], 'job', ARGV[1])
return ARGV[1]
"""

_RELEASE_LUA = """
local owner = redis.call('HGET', KEYS[1], 'owner')
if owner == ARGV[1] and redis.call('HEXISTS', KEYS[1], 'job') == 0 then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _record(fields: list[bytes | str]) -> LedgerRecord:
    values = {_text(fields[i]): _text(fields[i + 1]) for i in range(0, len(fields), 2)}
    return LedgerRecord(
        fingerprint=values.get("fp", ""),
        owner=values.get("owner", ""),
        intent_at=float(values.get("at", "0")),
        lease_until=float(values.get("lease", "0")),
        job_id=values.get("job"),
    )


class RedisLedger:
    """A ``JobLedger`` in Redis, for workers on several hosts (the ``redis`` extra).

    Keys are ``<prefix>:idempotency:<scope digest>:<idempotency key>``; each record expires
    with the policy's ttl. Every step is one script call (``EVALSHA``): a create adds one
    round trip before its POST and one after.

    Args:
        url: a Redis URL such as ``redis://localhost:6379/0``.
        client: an existing ``redis.asyncio.Redis`` to use instead (never closed here).
        prefix: namespace for keys.
        policy: the ledger's times; ``LedgerPolicy()`` by default.

    Raises:
        ValueError: neither or both of ``url`` and ``client``; an empty prefix.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        client: aioredis.Redis | None = None,
        prefix: str = "recrubo",
        policy: LedgerPolicy | None = None,
    ) -> None:
        if (url is None) == (client is None):
            raise ValueError("RedisLedger needs exactly one of url= or client=")
        if not isinstance(prefix, str) or not prefix:
            raise ValueError(f"RedisLedger(prefix=...) must be a non-empty string; got {prefix!r}")
        self.policy = policy or LedgerPolicy()
        self.prefix = prefix
        self._ttl_ms = str(math.ceil(self.policy.ttl * 1000))
        self._owns_client = client is None
        # Nothing connects until the first command.
        self._redis: aioredis.Redis = client or pooled_client(url)  # type: ignore[arg-type]
        self._claim = self._redis.register_script(_CLAIM_LUA)
        self._take_over = self._redis.register_script(_TAKE_OVER_LUA)
        self._complete = self._redis.register_script(_COMPLETE_LUA)
        self._release = self._redis.register_script(_RELEASE_LUA)

    def __repr__(self) -> str:
        # Never the URL: it may carry a password.
        return f"RedisLedger(prefix={self.prefix!r})"

    def _key(self, scope: str, key: str) -> str:
        return f"{self.prefix}:idempotency:{scope}:{key}"

    async def claim(self, scope: str, key: str, intent: LedgerRecord) -> LedgerRecord | None:
        """Store ``intent`` unless the key has a live record; else return that record."""
        answer = await self._claim(
            keys=[self._key(scope, key)],
            args=[
                intent.fingerprint,
                intent.owner,
                repr(intent.intent_at),
                repr(intent.lease_until),
                self._ttl_ms,
            ],
        )
        return _record(answer) if answer else None

    async def take_over(
        self, scope: str, key: str, *, previous_owner: str, owner: str, lease_until: float
    ) -> bool:
        """Become the owner of a job-less record still held by ``previous_owner``."""
        answer = await self._take_over(
            keys=[self._key(scope, key)], args=[previous_owner, owner, repr(lease_until)]
        )
        return bool(answer)

    async def complete(self, scope: str, key: str, job_id: str) -> str:
        """Record ``job_id`` unless one is there; the job id the record holds."""
        answer = await self._complete(keys=[self._key(scope, key)], args=[job_id])
        return _text(answer)

    async def release(self, scope: str, key: str, owner: str) -> None:
        """Forget a job-less record ``owner`` still holds."""
        await self._release(keys=[self._key(scope, key)], args=[owner])

    async def aclose(self) -> None:
        """Close the connection pool this ledger made (a passed-in client stays open)."""
        if self._owns_client:
            await self._redis.aclose()
