"""Every use of another library's private or undocumented API, in one place.

Each shim says which version it was checked against and what breaks if that API changes;
``tests/client/test_compat.py`` runs each one on the installed versions, so an upgrade
that changes one fails there first. Only one is on a per-delivery path
(``pool_connection``: a dict lookup once its pool class is known); the others run once per
session, per refused webhook, per pub/sub batch or message, or at import.

Checked against aiohttp 3.14.5, redis-py 8.1.0 and CPython 3.11.7 (3.12 and later take the
public ``inspect.markcoroutinefunction``).
"""

from __future__ import annotations

import asyncio
import enum
import inspect
import sys
from collections.abc import Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import aiohttp

if TYPE_CHECKING:
    # Not at run time: a client alone never loads aiohttp's server side.
    from aiohttp import web

_F = TypeVar("_F", bound=Callable[..., Any])

# -- aiohttp client ------------------------------------------------------------------------


def session_loop(session: aiohttp.ClientSession) -> asyncio.AbstractEventLoop | None:
    """The event loop a borrowed session was made in, if aiohttp says.

    ``ClientSession._loop`` (aiohttp 3.14). If it goes: ``None``, and the running loop
    of the session's first use counts as its own, so a session borrowed from another loop
    is reported (``EventLoopError``) only from its second loop on.
    """
    loop: asyncio.AbstractEventLoop | None = getattr(session, "_loop", None)
    return loop


def disable_silent_resend(session: aiohttp.ClientSession) -> None:
    """Stop aiohttp from resending an idempotent request once when a connection drops.

    The SDK's retry policy must see every attempt (the lost-DELETE rule, the retry budget,
    the hooks). ``ClientSession._retry_connection`` (aiohttp 3.14). If it goes: nothing
    is set, and aiohttp may again send a GET or DELETE twice where the SDK counts one.
    """
    if hasattr(session, "_retry_connection"):
        session._retry_connection = False


# -- aiohttp server (the webhook adapter) --------------------------------------------------


def reset_output_size(request: web.BaseRequest) -> None:
    """Leave an interim ``100 Continue`` out of the response's size, as aiohttp's own
    expect handler does.

    ``request.writer.output_size`` (aiohttp 3.14, undocumented). If it goes: the access
    log counts 25 bytes too many for a delivery sent with ``Expect: 100-continue``.
    """
    request.writer.output_size = 0


def drop_connection(request: web.BaseRequest) -> None:
    """Close the connection once the answer is written, without reading the rest of
    the body (aiohttp would otherwise drain it for up to ``lingering_time`` seconds).

    ``request.protocol.force_close()`` (aiohttp 3.14, undocumented). If it goes: a slow or
    oversized sender keeps its connection for up to ``lingering_time`` after a 408/413.
    """
    request.protocol.force_close()


# -- redis-py pub/sub (RedisBus) -----------------------------------------------------------


def pubsub_connection(pubsub: Any) -> Any:
    """The connection a ``redis.asyncio.client.PubSub`` holds (``None`` before its first
    command and after a reset).

    ``PubSub.connection`` (redis-py 8.1, undocumented). If it goes: ``AttributeError``, and
    every batch fails over to the listener's resync, which fails the same way.
    """
    return pubsub.connection


def pubsub_transport(pubsub: Any) -> asyncio.Transport | None:
    """The asyncio transport of a pub/sub object's connection (``None`` when it has none).

    ``PubSub.connection`` (redis-py 8.1, undocumented); see :func:`connection_transport`.
    """
    return connection_transport(getattr(pubsub, "connection", None))


def connection_transport(connection: Any) -> asyncio.Transport | None:
    """The asyncio transport of a redis-py connection (``None`` when it is not connected).

    ``Connection._writer`` (redis-py 8.1, private: a ``StreamWriter``). If it goes: ``None``,
    and a socket whose command timed out is closed gracefully instead of aborted, so toward
    a peer that is gone it stays open (holding its unsent data) until the kernel gives up.
    """
    transport = getattr(getattr(connection, "_writer", None), "transport", None)
    return transport if isinstance(transport, asyncio.Transport) else None


def pubsub_connect(pubsub: Any) -> Coroutine[Any, Any, None]:
    """Connect a pub/sub object that has no connection yet (``PubSub.connect()``, redis-py
    8.1, undocumented). Where it is missing, a no-op: the first command connects."""
    connect = getattr(pubsub, "connect", None)
    return connect() if connect is not None else _nothing()


async def _nothing() -> None:
    return None


def pubsub_channels(pubsub: Any) -> list[bytes | str]:
    """The channels redis-py will resubscribe on its own after a reconnection.

    ``PubSub.channels`` (redis-py 8.1, undocumented). If it goes: ``AttributeError`` in the
    resync, so channels no wait wants any more would stay subscribed.
    """
    return list(pubsub.channels)


def pubsub_is_reading(pubsub: Any) -> bool:
    """Whether the pub/sub connection has channels or confirmations still to read.

    ``PubSub.connection``, ``.channels``, ``.pending_unsubscribe_channels`` (redis-py 8.1,
    undocumented). If they go: ``AttributeError``, and the listener would spin on resyncs.
    """
    return pubsub.connection is not None and bool(
        pubsub.channels or pubsub.pending_unsubscribe_channels
    )


def on_reconnect(connection: Any, callback: Callable[[Any], None]) -> None:
    """Have ``callback(connection)`` called each time redis-py re-establishes
    ``connection`` by itself (it then resubscribes what it knows, unseen).

    ``Connection.register_connect_callback`` (redis-py 8.1, undocumented; it holds a
    ``WeakMethod``, so ``callback`` must be a bound method). If it goes: states published
    while the connection was down are not re-read until the next failure is seen.
    """
    connection.register_connect_callback(callback)


def off_reconnect(connection: Any, callback: Callable[[Any], None]) -> None:
    """Undo :func:`on_reconnect` (``Connection.deregister_connect_callback``, redis-py 8.1)."""
    connection.deregister_connect_callback(callback)


# -- redis-py connection pools (bus/_scripts.py) -------------------------------------------

#: Per pool class: whether its ``get_connection`` requires a command name.
_NAMES_COMMAND: dict[type[Any], bool] = {}


def pool_connection(pool: Any) -> Any:
    """``pool.get_connection()``: an awaitable of a pooled connection, for the lean
    pipeline exchange of ``bus/_scripts.py``.

    redis-py 5.0 to 5.2 require a command name (``get_connection(command_name, *keys)``);
    later versions make it optional and warn when it is given (deprecated). Which one is
    read from the signature, once per pool class.
    """
    cls = type(pool)
    names = _NAMES_COMMAND.get(cls)
    if names is None:
        parameter = inspect.signature(cls.get_connection).parameters.get("command_name")
        names = _NAMES_COMMAND[cls] = (
            parameter is not None and parameter.default is inspect.Parameter.empty
        )
    return pool.get_connection("EVALSHA") if names else pool.get_connection()


# -- the standard library --------------------------------------------------------------------

if sys.version_info >= (3, 12):
    mark_coroutine_function = inspect.markcoroutinefunction
else:

    def mark_coroutine_function(func: _F) -> _F:
        """Make ``asyncio.iscoroutinefunction`` (and so ``unittest.mock``) see a coroutine
        function in a plain function that returns a coroutine.

        ``asyncio.coroutines._is_coroutine`` (CPython 3.10 and 3.11; 3.12 added the public
        ``inspect.markcoroutinefunction``, used there instead). If it goes:
        ``AttributeError`` at import.
        """
        func._is_coroutine = asyncio.coroutines._is_coroutine  # type: ignore[attr-defined]
        return func


def enum_members_by_value(cls: type[enum.Enum]) -> Mapping[Any, enum.Enum]:
    """Value -> member of an enum class: one dict lookup where ``cls(value)`` costs a call.

    ``Enum._value2member_map_`` (CPython 3.11, undocumented; present since 3.4). If it goes: the
    generated decoders fail to build, and the pinned-to-cattrs tests fail.
    """
    members: Mapping[Any, enum.Enum] = cls._value2member_map_
    return members
