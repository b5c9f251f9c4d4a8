"""A TCP proxy in front of redis-server whose connections can go silent: requests still
reach Redis, its answers are dropped (a half-open connection after a failover or a NAT's
idle drop, where nothing fails and nothing comes back); or slow: their requests are held
back a while (one connection's network slower than another's); or lossy: a chosen request
never reaches Redis."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable


class SilencingProxy:
    """``async with SilencingProxy(redis_port) as proxy``: connect to ``proxy.port``.

    Connections are numbered from 0 in the order they were opened.
    """

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = 0
        #: Connection number -> every request byte it carried, upper-cased.
        self.sent: dict[int, bytes] = {}
        #: Connections whose answers are dropped from now on.
        self.frozen: set[int] = set()
        #: Called with (connection, request bytes upper-cased): True freezes the connection.
        self.freeze_when: Callable[[int, bytes], bool] | None = None
        #: Called likewise: True holds that connection's requests back ``hold`` seconds
        #: each, from that request on (in order).
        self.hold_when: Callable[[int, bytes], bool] | None = None
        self.hold = 0.0
        self._held: set[int] = set()
        #: Called likewise: True drops that request (it never reaches Redis).
        self.drop_when: Callable[[int, bytes], bool] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None

    def connections_that_sent(self, word: bytes) -> set[int]:
        """The connections whose requests held ``word`` (upper-case) so far."""
        return {n for n, data in self.sent.items() if word in data}

    def freeze(self, connections: set[int]) -> None:
        """From now on, drop every answer to ``connections``."""
        self.frozen.update(connections)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        me = len(self.sent)
        self.sent[me] = b""
        up_writer: asyncio.StreamWriter | None = None
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)

            async def requests(up: asyncio.StreamWriter) -> None:
                while data := await reader.read(65536):
                    self.sent[me] += data.upper()
                    if self.freeze_when is not None and self.freeze_when(me, data.upper()):
                        self.frozen.add(me)
                    if self.hold_when is not None and self.hold_when(me, data.upper()):
                        self._held.add(me)
                    if me in self._held:
                        await asyncio.sleep(self.hold)
                    if self.drop_when is not None and self.drop_when(me, data.upper()):
                        continue
                    up.write(data)
                    await up.drain()

            async def answers() -> None:
                while data := await up_reader.read(65536):
                    if me not in self.frozen:
                        writer.write(data)
                        await writer.drain()

            pumps = [asyncio.ensure_future(requests(up_writer)), asyncio.ensure_future(answers())]
            try:
                await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for pump in pumps:
                    pump.cancel()
                await asyncio.gather(*pumps, return_exceptions=True)
        except OSError:
            pass
        finally:
            writers = [w for w in (writer, up_writer) if w is not None]
            for w in writers:
                w.close()
            for w in writers:
                with contextlib.suppress(Exception):
                    await w.wait_closed()

    async def __aenter__(self) -> SilencingProxy:
        def start(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.ensure_future(self._handle(reader, writer))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        self._server = await asyncio.start_server(start, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()
