"""The connection pool of the Redis clients the SDK makes from a URL.

``RedisBus(url)``, ``RedisDedupe(url)`` and ``RedisLedger(url)`` each make one client with
this pool: commands beyond ``POOL_SIZE`` at once wait (up to ``POOL_TIMEOUT`` seconds) for
a connection, where redis-py's default pool raises "Too many connections" though Redis is
healthy.
"""

from __future__ import annotations

import redis.asyncio as aioredis

#: Connections per client, and the longest a command waits for one.
POOL_SIZE = 64
POOL_TIMEOUT = 10.0


def pooled_client(url: str) -> aioredis.Redis:
    """A client for ``url`` whose commands queue for a connection when all are busy.

    The client owns its pool, so ``aclose()`` closes both.
    """
    pool = aioredis.BlockingConnectionPool.from_url(
        url, max_connections=POOL_SIZE, timeout=POOL_TIMEOUT
    )
    client = aioredis.Redis(connection_pool=pool)
    # Set, not passed: the argument is deprecated in redis-py 5 and later.
    client.auto_close_connection_pool = True
    return client
