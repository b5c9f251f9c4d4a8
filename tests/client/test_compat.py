"""``recrubo_async._compat``: each shim over another library's private API works on the
installed versions, so an upgrade that changes one fails here, by name, first."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import sys
from collections.abc import Coroutine
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis
from aiohttp import web
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from recrubo_async import _compat
from recrubo_async.models.flow_run import FlowRunStatus

from ..support.raw_http import closed_by_server, read_response, request_head
from ..support.redis_server import RedisServer
from ..support.servers import PATIENCE, serve


async def test_session_loop_is_the_loop_the_session_was_made_in() -> None:
    async with aiohttp.ClientSession() as session:
        assert _compat.session_loop(session) is asyncio.get_running_loop()


async def test_the_silent_resend_switch_exists_and_is_turned_off() -> None:
    async with aiohttp.ClientSession() as session:
        # Checked by name: the shim skips a missing attribute, which must not go unnoticed.
        assert session._retry_connection is True
        _compat.disable_silent_resend(session)
        assert session._retry_connection is False


async def test_the_server_shims_reset_the_size_and_drop_the_unread_body() -> None:
    sizes: list[int] = []

    async def handle(request: web.Request) -> web.StreamResponse:
        response = web.json_response({"early": True})
        await response.prepare(request)
        await response.write_eof()
        sizes.append(request.writer.output_size)
        _compat.reset_output_size(request)
        sizes.append(request.writer.output_size)
        _compat.drop_connection(request)
        return response

    app = web.Application()
    app.router.add_post("/", handle)
    async with serve(app) as served:
        reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
        try:
            # Only part of the announced body: the rest is never read, the connection closed.
            writer.write(request_head("/", secret=None, content_length=1_000_000) + b"x" * 10)
            await writer.drain()
            status, _, _ = await asyncio.wait_for(read_response(reader), PATIENCE)
            assert status == 200
            assert await closed_by_server(reader)
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
    assert sizes[0] > 0
    assert sizes[1] == 0


async def test_pubsub_shims_read_a_fresh_pubsub() -> None:
    client = aioredis.Redis()
    pubsub: Any = client.pubsub()
    try:
        assert _compat.pubsub_connection(pubsub) is None
        assert _compat.pubsub_channels(pubsub) == []
        assert _compat.pubsub_is_reading(pubsub) is False
    finally:
        await pubsub.aclose()
        await client.aclose()


class _Reconnects:
    def __init__(self) -> None:
        self.seen: list[Any] = []

    def __call__(self, connection: Any) -> None:
        self.seen.append(connection)


async def test_pubsub_shims_follow_a_subscription_and_its_reconnection(
    redis_server: RedisServer,
) -> None:
    client = aioredis.Redis.from_url(redis_server.url)
    pubsub: Any = client.pubsub()
    reconnects = _Reconnects()
    try:
        await pubsub.subscribe("compat-check")
        connection = _compat.pubsub_connection(pubsub)
        assert connection is not None
        assert _compat.pubsub_channels(pubsub) == [b"compat-check"]
        assert _compat.pubsub_is_reading(pubsub) is True
        # redis-py holds the callback weakly (a WeakMethod): a bound method it must be.
        _compat.on_reconnect(connection, reconnects.__call__)
        await connection.disconnect()
        await connection.connect()
        assert reconnects.seen == [connection]
        _compat.off_reconnect(connection, reconnects.__call__)
        await connection.disconnect()
        await connection.connect()
        assert reconnects.seen == [connection]
    finally:
        await pubsub.aclose()
        await client.aclose()


def test_mark_coroutine_function_is_seen_as_one() -> None:
    async def work() -> int:
        return 1

    def call() -> Coroutine[Any, Any, int]:
        return work()

    marked = _compat.mark_coroutine_function(call)
    if sys.version_info >= (3, 12):
        assert inspect.iscoroutinefunction(marked)
    else:
        assert asyncio.iscoroutinefunction(marked)
    asyncio.run(marked())


def test_enum_members_by_value_maps_each_value_to_its_member() -> None:
    members = _compat.enum_members_by_value(FlowRunStatus)
    assert members["running"] is FlowRunStatus.RUNNING
    assert set(members) == {status.value for status in FlowRunStatus}


async def test_a_pooled_connection_is_asked_for_as_the_installed_redis_py_wants() -> None:
    """redis-py 5.0-5.2 require a command name; later versions warn when one is given
    (the suite runs with -W error, so the installed pool's call must not warn)."""
    asked: list[tuple[Any, ...]] = []

    class Before53:
        async def get_connection(self, command_name: str, *keys: Any, **options: Any) -> str:
            asked.append((command_name, *keys))
            return "old"

    class Later:
        async def get_connection(self, command_name: Any = None, *keys: Any) -> str:
            asked.append((command_name, *keys))
            return "new"

    assert await _compat.pool_connection(Before53()) == "old"
    assert await _compat.pool_connection(Later()) == "new"
    assert asked == [("EVALSHA",), (None,)]
    # Never connects; no retries (redis-py's default ones back off for seconds).
    client = aioredis.Redis(host="127.0.0.1", port=1, retry=Retry(NoBackoff(), 0))
    pool = client.connection_pool
    awaitable = _compat.pool_connection(pool)
    assert inspect.isawaitable(awaitable)
    # Nothing listens on port 1: the connect fails (a deprecation warning would fail first).
    with pytest.raises(RedisConnectionError):
        await awaitable
    await client.aclose()
