"""Large batches of SUBSCRIBEs on a busy worker: confirming them takes longer than the
bus's silence bound, and that must not count as silence.

A worker parking 100,000 waits sends them in one batch; Redis answers each channel with a
confirmation, which redis-py reads one by one (tens of seconds on a busy 2-core machine).
The bus used to give the batch's PONG a fixed 10 s: past it the batch counted as failed,
the connection was replaced and every channel resubscribed, which took as long again and
failed the same way. The bound is now on silence: each confirmation read extends it.

``_CONFIRM_WAIT`` is shortened to ``SHORT``; the batches are large enough that reading
their confirmations takes several times that (asserted, so the test cannot pass without
exercising it).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
import redis.asyncio as aioredis
from redis.asyncio.client import PubSub

from recrubo_async.bus import RedisBus, ResourceEvent, _redis_channels

from ..support.deliveries import generation as generation_document
from ..support.redis_server import RedisServer
from ..support.servers import PATIENCE
from ..support.silent_proxy import SilencingProxy
from ..support.timing import eventually

#: Silence this long fails a batch here. Long enough that a busy machine's scheduling
#: gaps between two confirmations read stay under it.
SHORT = 0.5
#: Reading a confirmation costs tens of microseconds in redis-py (about 100 on a busy
#: 2-core box): this many take over ``2 * SHORT`` on any machine.
MANY = 40_000


def finished(gid: str) -> ResourceEvent:
    return ResourceEvent.from_resource(
        generation_document(gid, "finished", seconds=5), event="update"
    )


def gid(n: int) -> str:
    return f"{n:08d}-0000-4000-8000-000000000000"


def bus_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("recrubo_async.bus") and r.levelno >= logging.WARNING
    ]


async def test_batches_confirmed_for_longer_than_the_silence_bound_are_not_failed(
    redis_server: RedisServer,
    admin: aioredis.Redis,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The first batch of many waits, then (the pub/sub connection killed) the one resync
    that resubscribes them all: each takes longer than the bound to confirm, and each
    succeeds at its first attempt."""
    monkeypatch.setattr(_redis_channels, "_CONFIRM_WAIT", SHORT)
    bus = RedisBus(redis_server.url, prefix="large", reconnect_delay=0.05)
    web = RedisBus(redis_server.url, prefix="large")
    loop = asyncio.get_running_loop()
    try:
        started = loop.time()
        subs = await asyncio.wait_for(
            asyncio.gather(*(bus.subscribe("flowGenerations", gid(n)) for n in range(MANY))),
            PATIENCE,
        )
        assert loop.time() - started > 2 * SHORT, "the batch was confirmed too fast to test"
        assert bus_warnings(caplog) == []
        assert bus.reconnects == 0

        killed = loop.time()
        assert await admin.client_kill_filter(_type="pubsub") == 1
        await eventually(
            lambda: bus.reconnects == 1 and bus._resync is None and not bus._lock.locked(),
            PATIENCE,
            "the resync done",
        )
        assert loop.time() - killed > 2 * SHORT, "the resync was confirmed too fast to test"
        warnings = bus_warnings(caplog)
        assert len(warnings) == 2, warnings  # the loss, then the one restoration
        assert "restored" in warnings[-1]

        for n in (0, MANY - 1):
            assert await web.publish(finished(gid(n)))
        assert (await asyncio.wait_for(subs[0].get(), PATIENCE)).id == gid(0)
        assert (await asyncio.wait_for(subs[-1].get(), PATIENCE)).id == gid(MANY - 1)
        for sub in subs:
            await sub.close()
    finally:
        await web.aclose()
        await bus.aclose()


@pytest.mark.parametrize("prefix", ["large", "größer:äöü:" * 8], ids=["ascii", "non-ascii"])
async def test_a_large_batch_goes_out_in_commands_of_bounded_size(
    redis_server: RedisServer, prefix: str
) -> None:
    """Each command is bounded in time on its own, so each is bounded in size too: a slow
    link then sends a large batch command by command instead of failing it whole. The
    bound is in bytes as sent, for a prefix of any characters too."""
    count = 5_000
    async with SilencingProxy(redis_server.port) as proxy:
        client = aioredis.Redis(host="127.0.0.1", port=proxy.port)
        bus = RedisBus(client=client, prefix=prefix)
        try:
            subs = await asyncio.wait_for(
                asyncio.gather(*(bus.subscribe("flowGenerations", gid(n)) for n in range(count))),
                PATIENCE,
            )
            names = sum(
                len(bus._channel(("flowGenerations", gid(n))).encode()) for n in range(count)
            )
            [sent] = [proxy.sent[c] for c in proxy.connections_that_sent(b"SUBSCRIBE")]
            commands = sent.count(b"\r\nSUBSCRIBE\r\n")
            assert commands == -(-names // _redis_channels._COMMAND_BYTES)
            for sub in subs:
                await sub.close()
        finally:
            await bus.aclose()
            await client.aclose()


async def test_a_connection_dropped_in_the_middle_of_a_batch_is_resynced_in_chunks(
    redis_server: RedisServer, admin: aioredis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pub/sub connection drops after a new connection's first chunks went out. redis-py
    reconnects inside the next command; it must not resubscribe those chunks on its own (in
    one command, unbounded): the bus watches the connection from its first command and
    resyncs, chunk by chunk."""
    monkeypatch.setattr(_redis_channels, "_COMMAND_BYTES", 20_000)
    sizes: list[int] = []
    subscribe = PubSub.subscribe

    async def counted(self: PubSub, *channels: Any, **kwargs: Any) -> Any:
        sizes.append(sum(map(len, channels)))
        return await subscribe(self, *channels, **kwargs)

    monkeypatch.setattr(PubSub, "subscribe", counted)
    command = _redis_channels.RedisChannels._command

    async def dropping(
        self: _redis_channels.RedisChannels, pubsub: Any, method: str, *args: str
    ) -> Any:
        if method == "subscribe" and len(sizes) == 2:
            assert await admin.client_kill_filter(_type="pubsub") == 1
        return await command(self, pubsub, method, *args)

    monkeypatch.setattr(_redis_channels.RedisChannels, "_command", dropping)
    bus = RedisBus(redis_server.url, prefix="large", reconnect_delay=0.05)
    web = RedisBus(redis_server.url, prefix="large")
    try:
        subs = await asyncio.wait_for(
            asyncio.gather(*(bus.subscribe("flowGenerations", gid(n)) for n in range(3_000))),
            PATIENCE,
        )
        await eventually(
            lambda: bus.reconnects == 1 and bus._resync is None and not bus._lock.locked(),
            PATIENCE,
            "the resync done",
        )
        assert len(sizes) > 4
        assert max(sizes) < 20_000 + 100  # one channel over the limit at most
        for n in (0, 2_999):
            assert await web.publish(finished(gid(n)))
        assert (await asyncio.wait_for(subs[0].get(), PATIENCE)).id == gid(0)
        assert (await asyncio.wait_for(subs[-1].get(), PATIENCE)).id == gid(2_999)
        for sub in subs:
            await sub.close()
    finally:
        await web.aclose()
        await bus.aclose()
