"""A TCP proxy in front of redis-server whose connections can go silent: requests still
reach Redis, its answers are dropped (a half-open connection after a failover or a NAT's
idle drop, where nothing fails and nothing comes back); or stalled: its requests are no longer
read either (a peer that is gone: its sender's writes block once the buffers are full); or
slow: their requests are held back a while (one connection's network slower than another's);
or lossy: a chosen request never reaches Redis."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable


class SilencingProxy:
    """``async with SilencingProxy(redis_port) as proxy``: connect to ``proxy.port``.

    Connections are numbered from 0 in the order they were opened.
    """

    def __init__(self, upstream_port: int, *, receive_buffer: int | None = None) -> None:
        self.upstream_port = upstream_port
        #: The proxy's socket receive buffer (SO_RCVBUF; None: the kernel's, which grows
        #: to megabytes). Small, a stalled connection's sender blocks after kilobytes.
        self.receive_buffer = receive_buffer
        self.port = 0
        #: Connection number -> every request byte it carried, upper-cased (a bytearray:
        #: appending megabytes chunk by chunk to bytes would copy them all each time).
        self.sent: dict[int, bytearray] = {}
        #: Connections whose answers are dropped from now on.
        self.frozen: set[int] = set()
        #: Connections whose requests are no longer read (nor answered).
        self.stalled: set[int] = set()
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

    def stall(self, connections: set[int]) -> None:
        """From now on, read nothing more from ``connections`` and answer nothing: their
        writes block once the buffers between them and the proxy are full."""
        self.frozen.update(connections)
        self.stalled.update(connections)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        me = len(self.sent)
        self.sent[me] = bytearray()
        up_writer: asyncio.StreamWriter | None = None
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)

            async def requests(up: asyncio.StreamWriter) -> None:
                while data := await reader.read(65536):
                    if me in self.stalled:
                        # Never read again: the reader's buffer (128 KiB at most) and the
                        # socket's fill, then the sender's writes block.
                        await asyncio.Event().wait()
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

        # proto=IPPROTO_TCP, which accepted sockets inherit: asyncio sets TCP_NODELAY only
        # on such sockets. With proto 0, Nagle held an answer written right after another
        # until the client's delayed ACK (about 40 ms), on every round trip (2,500
        # sequential subscribes took 80 s instead of 2).
        listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        if self.receive_buffer is not None:
            # Set before listening: accepted sockets inherit it, and the window never grows.
            listening.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.receive_buffer)
        listening.bind(("127.0.0.1", 0))
        self._server = await asyncio.start_server(start, sock=listening)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()
