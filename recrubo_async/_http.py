"""The HTTP boundary: one session, one send loop with retries, errors mapped once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import aiohttp
from multidict import CIMultiDict

from . import _retry
from ._constants import REQUEST_ID_HEADER
from ._error_mapping import make_status_error
from ._hooks import Hooks, RequestEvent, ResponseEvent, RetryEvent, emit
from ._retry import RetryPolicy, parse_retry_after, status_is_retryable
from .errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    ClientClosedError,
    EventLoopError,
    ResponseTooLargeError,
)

logger = logging.getLogger("recrubo_async")

QueryParams = Sequence[tuple[str, str]]


class SessionHolder:
    """Owns or borrows the ``aiohttp.ClientSession`` shared by a client and its copies.

    A borrowed session is never closed; an owned one is made lazily (inside the running
    loop, as aiohttp requires) and closed by ``aclose()``.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession | None,
        trace_configs: Sequence[aiohttp.TraceConfig] | None,
    ) -> None:
        self._session = session
        self._owned = session is None
        self._trace_configs = list(trace_configs or ())
        self._closed = False
        #: The loop the session belongs to: aiohttp's connections cannot move to another.
        self._loop: asyncio.AbstractEventLoop | None = None
        #: What an owned session sends by default (see ``adopt``).
        self._headers: CIMultiDict[str] | None = None
        self._timeout: aiohttp.ClientTimeout | None = None

    def adopt(
        self, headers: CIMultiDict[str], timeout: aiohttp.ClientTimeout
    ) -> tuple[CIMultiDict[str] | None, bool]:
        """What a client with these defaults passes per request, which aiohttp would
        otherwise merge (headers) and re-read (every keyword) on every call.

        The first client to ask makes its headers and timeout its owned session's
        defaults. Returns the headers to pass (None: the session's are these) and whether
        the session's timeout is this one too. A copy with other headers (another key)
        passes its own, which replace the defaults; a borrowed session's defaults are the
        user's, so everything is passed.
        """
        if not self._owned:
            return headers, False
        if self._headers is None and self._session is None:
            self._headers, self._timeout = headers, timeout
        same = headers == self._headers
        return (None if same else headers), same and timeout == self._timeout

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
        if session is not None and not self._closed and (self._owned or not session.closed):
            running = loop or asyncio.get_running_loop()
            if running is self._loop:
                return session
            if self._loop is None:  # a borrowed session's first use: it has its own loop
                self._loop = getattr(session, "_loop", None) or running
                if running is self._loop:
                    return session
            raise _wrong_loop()
        if self.closed:
            raise ClientClosedError(
                "this recrubo_async.Client is closed; create a new Client, or keep it open "
                "with `async with Client(...) as client:` around all calls"
            )
        defaults: dict[str, Any] = {}
        if self._headers is not None and self._timeout is not None:
            defaults = {"headers": self._headers, "timeout": self._timeout}
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
        if hasattr(self._session, "_retry_connection"):
            self._session._retry_connection = False
        return self._session

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._owned and self._session is not None:
            await self._session.close()


class HTTPCore:
    """Sends requests with the client's headers, retry policy and hooks."""

    def __init__(
        self,
        *,
        holder: SessionHolder,
        headers: Mapping[str, str],
        timeout: aiohttp.ClientTimeout,
        retry: RetryPolicy,
        hooks: Hooks,
        max_response_size: int | None = None,
    ) -> None:
        self._holder = holder
        #: Bytes of (decompressed) body read before giving up; None reads any size.
        self.max_response_size = max_response_size
        # Built once: aiohttp turns a plain dict into one on every request.
        self._headers, same_timeout = holder.adopt(CIMultiDict(headers), timeout)
        #: A call with this timeout, no query and no body, whose headers are the session's,
        #: passes aiohttp nothing it would not assume: the most frequent call, a GET.
        self._plain_timeout = timeout if same_timeout and self._headers is None else None
        self.retry = retry
        self.hooks = hooks

    async def send(
        self,
        method: str,
        url: str,
        params: QueryParams | None,
        body: bytes | None,
        timeout: aiohttp.ClientTimeout,
    ) -> bytes:
        """Send one request, retrying per the policy; the body of the (2xx/3xx) answer,
        or the mapped error raised.

        This runs on every API call: what only hooks or debug logging need (events,
        timings, the request id) is computed only when one is there to use it.
        """
        loop = asyncio.get_running_loop()
        session = self._holder.get(loop)
        limit = self.max_response_size
        started = loop.time()
        hooks = self.hooks
        debug = logger.isEnabledFor(logging.DEBUG)
        attempt = 0
        #: An earlier attempt may have been carried out by the server (no answer, or 5xx).
        maybe_done = False
        while True:
            attempt += 1
            if hooks.on_request:
                await emit(hooks.on_request, RequestEvent(method=method, url=url, attempt=attempt))
            timed = debug or hooks.on_response
            if timed:
                sent_at = loop.time()
            if debug:
                logger.debug("%s %s attempt %d", method, url, attempt)
            error: APIConnectionError | APIStatusError
            retry_after: float | None = None
            try:
                # Awaited rather than ``async with`` (aiohttp's documented form without the
                # four coroutines its context managers add per call), and released only when
                # not read to the end (benchmarks/findings.md, Requests).
                if timeout is self._plain_timeout and not params and body is None:
                    resp = await session.request(method, url, allow_redirects=False)
                else:
                    resp = await session.request(
                        method,
                        url,
                        params=params or None,
                        data=body,
                        headers=self._headers,
                        timeout=timeout,
                        allow_redirects=False,
                    )
                try:
                    if limit is None or _fits(resp.headers, limit):
                        raw = await resp.read()
                    else:
                        raw = await _read_capped(resp, limit, method, url)
                finally:
                    if not resp.closed:  # reading to the end released the connection
                        resp.release()
                status, headers, reason = resp.status, resp.headers, resp.reason
            except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
                # No connection was made: the request provably never reached the server.
                error = _connection_error(method, url, exc, sent=False)
                retryable = True
            except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
                error = _connection_error(method, url, exc, sent=True)
                # The server may have acted on it: only safe to resend idempotent methods.
                retryable = method in _retry.IDEMPOTENT_METHODS
                maybe_done = True
            else:
                if timed:
                    elapsed = loop.time() - sent_at
                    request_id = headers.get(REQUEST_ID_HEADER)
                    if hooks.on_response:
                        await emit(
                            hooks.on_response,
                            ResponseEvent(
                                method=method,
                                url=url,
                                attempt=attempt,
                                status=status,
                                elapsed=elapsed,
                                request_id=request_id,
                            ),
                        )
                    if debug:
                        logger.debug(
                            "%s %s -> %d in %.3fs (request id %s)",
                            method,
                            url,
                            status,
                            elapsed,
                            request_id,
                        )
                if status < 400:
                    return raw
                if status == 404 and method == "DELETE" and maybe_done:
                    # The earlier attempt deleted it; only its answer was lost.
                    logger.info("%s %s: gone on retry after a lost answer: deleted", method, url)
                    return b""
                maybe_done = maybe_done or status >= 500
                error = make_status_error(
                    method=method,
                    url=url,
                    status=status,
                    reason=reason,
                    headers=headers,
                    raw_body=raw,
                )
                retryable = status_is_retryable(method, status)
                retry_after = parse_retry_after(headers.get("Retry-After"))

            if not retryable or attempt > self.retry.max_retries:
                raise error
            delay = self.retry.delay(attempt, retry_after)
            if loop.time() - started + delay > self.retry.max_time:
                raise error
            reason_text = (
                f"status {error.status}" if isinstance(error, APIStatusError) else str(error)
            )
            await emit(
                hooks.on_retry,
                RetryEvent(
                    method=method,
                    url=url,
                    attempt=attempt,
                    delay=delay,
                    reason=reason_text,
                    status=error.status if isinstance(error, APIStatusError) else None,
                    error=error,
                ),
            )
            logger.info(
                "retrying %s %s in %.2fs after attempt %d: %s",
                method,
                url,
                delay,
                attempt,
                reason_text,
            )
            await _retry.sleep(delay)


def _fits(headers: Mapping[str, str], limit: int) -> bool:
    """Whether the answer declares a plain body within ``limit``: read it in one go.

    The common case (the API sends Content-Length, uncompressed), so it costs two header
    look-ups; a compressed body's length says nothing about what it inflates to.
    """
    length = headers.get("Content-Length")
    return (
        length is not None
        and "Content-Encoding" not in headers
        and length.isdigit()
        and int(length) <= limit
    )


async def _read_capped(resp: aiohttp.ClientResponse, limit: int, method: str, url: str) -> bytes:
    """The body, counted as it streams in (decompressed), or ``ResponseTooLargeError``
    as soon as it passes ``limit``: memory never holds much more than the limit."""
    declared = resp.content_length
    if declared is not None and declared > limit and "Content-Encoding" not in resp.headers:
        resp.close()  # nothing of it will be read: do not drain it to reuse the connection
        raise _too_large(method, url, resp.status, limit, f"declares {declared} bytes")
    chunks: list[bytes] = []
    size = 0
    content = resp.content
    while chunk := await content.readany():
        size += len(chunk)
        if size > limit:
            resp.close()
            raise _too_large(method, url, resp.status, limit, f"went past {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(method: str, url: str, status: int, limit: int, what: str) -> ResponseTooLargeError:
    return ResponseTooLargeError(
        f"{method} {url} answered {status} with a body that {what}, over the client's "
        f"max_response_size={limit}; ask for less (page_size=, fields=) or raise "
        "Client(max_response_size=...) (None: no limit)",
        method=method,
        url=url,
        status=status,
        limit=limit,
    )


def _wrong_loop() -> EventLoopError:
    return EventLoopError(
        "this recrubo_async.Client is used from another event loop than the one it first "
        "ran in (each asyncio.run() makes a new loop), and its connections cannot move: "
        "make one Client per event loop, e.g. `async with Client(...) as client:` inside "
        "the coroutine you give asyncio.run()"
    )


def _connection_error(
    method: str, url: str, exc: BaseException, *, sent: bool
) -> APIConnectionError:
    if isinstance(exc, asyncio.TimeoutError):
        if not sent:
            hint = "the API could not be reached in time; check the base URL and the network"
        elif method in _retry.IDEMPOTENT_METHODS:
            hint = "raise timeout= (per call or on the Client) if the API is just slow"
        else:
            # Resending a POST that timed out may do it twice (a billed job, a message).
            hint = (
                "the API may have carried it out anyway, so it was not resent: check "
                "whether it took effect before sending it again (a larger timeout= helps "
                "only the next call)"
            )
        err: APIConnectionError = APITimeoutError(
            f"{method} {url} timed out; {hint}", method=method, url=url
        )
    else:
        detail = str(exc) or type(exc).__name__
        err = APIConnectionError(
            f"{method} {url} got no answer ({type(exc).__name__}: {detail}); check the "
            "base URL and the network",
            method=method,
            url=url,
        )
    if isinstance(exc, aiohttp.ClientResponseError):
        # Its request_info holds the request's headers, Authorization among them: chained,
        # the key would show in repr(err.__cause__) and in any tool that walks the chain.
        # The message already carries what it said.
        err.__suppress_context__ = True
        return err
    err.__cause__ = exc
    return err
