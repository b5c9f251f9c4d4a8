"""The ``aiohttp.ClientSession`` a client and its copies share, and what each passes it.

``SessionHolder`` owns or borrows the session (made lazily, in the loop it belongs to);
``SessionDefaults`` decides, once per client, how little that client can pass aiohttp on
each request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping, Sequence
from typing import Any

import aiohttp
from multidict import CIMultiDict

from ._compat import disable_silent_resend, session_loop
from .errors import ClientClosedError, EventLoopError

QueryParams = Sequence[tuple[str, str]]


class SessionHolder:
    """Owns or borrows the ``aiohttp.ClientSession`` shared by a client and its copies.

    A borrowed session is never closed; an owned one is made lazily (inside the running
    loop, as aiohttp requires) and closed by ``aclose()``. A borrowed session keeps its
    cookie jar and aiohttp's silent resend (docs/configuration.md): both are session-wide
    in aiohttp, so changing them would change its owner's own requests too.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession | None,
        trace_configs: Sequence[aiohttp.TraceConfig] | None,
    ) -> None:
        self._session = session
        self.owned = session is None
        self._trace_configs = list(trace_configs or ())
        self._closed = False
        #: The loop the session belongs to: aiohttp's connections cannot move to another.
        self._loop: asyncio.AbstractEventLoop | None = None
        #: The headers and timeout an owned session is made with (see ``SessionDefaults``).
        self.defaults: tuple[CIMultiDict[str], aiohttp.ClientTimeout] | None = None

    @property
    def started(self) -> bool:
        """Whether the session exists (a borrowed one always does)."""
        return self._session is not None

    @property
    def closed(self) -> bool:
        return self._closed or (self._session is not None and self._session.closed)

    def get(self, loop: asyncio.AbstractEventLoop | None = None) -> aiohttp.ClientSession:
        """The session, made on first use; ``loop`` is the running loop, if the caller has it.

        Raises:
            ClientClosedError: the client was closed.
            EventLoopError: the session belongs to another event loop.
        """
        session = self._session
        # Every call but the first: an owned session is closed only by aclose() (which
        # sets _closed); a borrowed one may have been closed by its owner.
        if session is not None and not self._closed and (self.owned or not session.closed):
            running = loop or asyncio.get_running_loop()
            if running is self._loop:
                return session
            if self._loop is None:  # a borrowed session's first use: it has its own loop
                self._loop = session_loop(session) or running
                if running is self._loop:
                    return session
            raise _wrong_loop()
        if self.closed:
            raise closed_error()
        defaults: dict[str, Any] = {}
        if self.defaults is not None:
            defaults = {"headers": self.defaults[0], "timeout": self.defaults[1]}
        self._session = aiohttp.ClientSession(
            trace_configs=self._trace_configs or None,
            # Cookies are never part of this API; ignoring them keeps keys apart.
            cookie_jar=aiohttp.DummyCookieJar(),
            **defaults,
        )
        self._loop = loop or asyncio.get_running_loop()
        # aiohttp silently resends an idempotent request once when a connection drops;
        # the SDK's retry policy must be the only one, so that it knows every attempt
        # (a DELETE whose first attempt may have worked, the retry budget, the hooks).
        disable_silent_resend(self._session)
        return self._session

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.owned and self._session is not None:
            await self._session.close()


class SessionDefaults:
    """One client's headers and timeout, and how little of them it passes per request.

    aiohttp merges per-request headers into the session's (about 4.6k instructions) and
    packs and unpacks every keyword twice on its way to ``_request``. So the first client
    to ask makes its headers and timeout its owned session's defaults, and then passes
    neither: a call with that timeout, no query and no body (the most frequent call, a GET)
    passes only ``allow_redirects=False``. A copy with other headers (another key) passes
    its own, which replace the session's; a borrowed session's defaults are the user's,
    so everything is passed, ``raise_for_status=False`` too (benchmarks/findings.md,
    Requests).
    """

    __slots__ = ("headers", "plain_timeout")

    def __init__(
        self,
        holder: SessionHolder,
        headers: Mapping[str, str],
        timeout: aiohttp.ClientTimeout,
    ) -> None:
        # Built once: aiohttp turns a plain dict into one on every request.
        own = CIMultiDict(headers)
        #: The headers to pass; None: the session's defaults are these.
        self.headers: CIMultiDict[str] | None = own
        #: The timeout of a call that passes aiohttp nothing it would not assume.
        self.plain_timeout: aiohttp.ClientTimeout | None = None
        if not holder.owned:
            return
        if holder.defaults is None and not holder.started:
            holder.defaults = (own, timeout)
        if holder.defaults is not None and own == holder.defaults[0]:
            self.headers = None
            if timeout == holder.defaults[1]:
                self.plain_timeout = timeout

    def request(
        self,
        session: aiohttp.ClientSession,
        method: str,
        url: str,
        params: QueryParams | None,
        body: bytes | None,
        timeout: aiohttp.ClientTimeout,
        extra_headers: Mapping[str, str] | None = None,
    ) -> Awaitable[aiohttp.ClientResponse]:
        """aiohttp's request, with only the arguments the session does not already assume.

        Returned to be awaited rather than entered (``async with`` adds four coroutines
        per call); the caller reads or releases the response. ``extra_headers``: the
        trace context, with tracing on (aiohttp adds them to the session's defaults).
        """
        headers = self.headers
        if extra_headers:
            headers = CIMultiDict(headers or ())
            headers.update(extra_headers)
        elif timeout is self.plain_timeout and not params and body is None:
            return session.request(method, url, allow_redirects=False)
        return session.request(
            method,
            url,
            params=params or None,
            data=body,
            headers=headers,
            timeout=timeout,
            allow_redirects=False,
            # A borrowed session may raise for every 4xx/5xx (raise_for_status=True): the
            # SDK maps statuses itself (errors, retries, the billed-create rule).
            raise_for_status=False,
        )


def closed_error() -> ClientClosedError:
    """What a call on a closed client raises (also when it closed during the call)."""
    return ClientClosedError(
        "this recrubo_async.Client is closed; create a new Client, or keep it open "
        "with `async with Client(...) as client:` around all calls"
    )


def _wrong_loop() -> EventLoopError:
    return EventLoopError(
        "this recrubo_async.Client is used from another event loop than the one it first "
        "ran in (each asyncio.run() makes a new loop), and its connections cannot move: "
        "make one Client per event loop, e.g. `async with Client(...) as client:` inside "
        "the coroutine you give asyncio.run()"
    )
