"""A RedisDedupe claim whose answer was lost does not block redeliveries for its lease.

Redis stalled (by a script that spins for a second, like ``DEBUG SLEEP``) past the
client's socket timeout runs the claim script after the client gave up: the claim is in
Redis but the receiver answered 500. The store frees it in the background (``release``
deletes only its own token), so the sender's redelivery runs the handlers, once; and a
claim resent by redis-py after a timeout finds its own token: claimed, not "busy".
"""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from recrubo_async.webhooks import RedisDedupe, WebhookPayload, WebhookReceiver
from recrubo_async.webhooks._redis_dedupe import _CLAIM

from ..support.deliveries import SECRET, delivery, generation, headers
from ..support.redis_server import RedisServer

# Spins for ARGV[1] microseconds: Redis answers nobody meanwhile (DEBUG SLEEP would too,
# but the test server does not enable DEBUG).
STALL_LUA = """
local function now() local t = redis.call('TIME'); return t[1] * 1000000 + t[2] end
local start = now()
while now() - start < tonumber(ARGV[1]) do end
return 1
"""


async def stall_redis(client: aioredis.Redis) -> None:
    await client.eval(STALL_LUA, 0, "1000000")


async def test_a_claim_lost_in_a_redis_stall_is_freed_for_the_redelivery(
    redis_server: RedisServer, admin: aioredis.Redis
) -> None:
    """The claim runs in Redis after the client timed out (the delivery got 500); once
    Redis is back the orphan claim is gone and the redelivery is handled, once."""
    # No retries: the one claim whose answer is lost is the case under test.
    client = aioredis.Redis.from_url(
        redis_server.url, socket_timeout=0.3, retry=Retry(NoBackoff(), 0)
    )
    store = RedisDedupe(client=client, prefix="orphan")
    receiver = WebhookReceiver(secret=SECRET, dedupe=store, busy_wait=0.2)
    runs: list[str] = []

    @receiver.on()
    async def handler(payload: WebhookPayload) -> None:
        runs.append(payload.id)

    staller = aioredis.Redis.from_url(redis_server.url)
    try:
        # Load the claim script, so the stalled call is the script itself (not NOSCRIPT).
        assert await store.claim("warm-up", 1.0) == "claimed"
        await staller.ping()
        lost = 0
        for attempt in range(3):
            body = delivery(generation("g1", "finished"), payload_id=f"p{attempt}")
            stall = asyncio.create_task(stall_redis(staller))
            await asyncio.sleep(0.1)  # lets Redis start sleeping before the claim arrives
            first = await receiver.handle(headers(), body)
            await stall
            if first.status == 200:
                continue  # the claim beat the stall: not the case under test; again
            assert first.status == 500
            lost += 1
            key = f"orphan:dedupe:p{attempt}"
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 15
            while (held := await admin.get(key)) is not None:
                assert loop.time() < deadline, f"the lost claim is still held: {held!r}"
                await asyncio.sleep(0.05)
            again = await receiver.handle(headers(), body)
            assert (again.status, again.reason) == (200, "ok"), again
            assert runs.count(f"p{attempt}") == 1
            break
        assert lost == 1, "Redis never stalled before the claim arrived"
    finally:
        await store.aclose()
        await staller.aclose()
        await client.aclose()


async def test_a_resent_claim_with_its_own_token_is_claimed(
    redis_server: RedisServer,
) -> None:
    """redis-py resends a command whose answer timed out: the resent claim script finds
    the key held under its own token and answers "claimed", not "busy"."""
    store = RedisDedupe(redis_server.url, prefix="resend")
    try:
        args = ["resend:dedupe:p1", "claim:same-token", "10000"]
        first = await store._scripts.run(_CLAIM, *args)
        second = await store._scripts.run(_CLAIM, *args)
        assert (first, second) == (b"claimed", b"claimed")
        other = await store._scripts.run(_CLAIM, "resend:dedupe:p1", "claim:other", "10000")
        assert other == b"busy"
    finally:
        await store.aclose()
