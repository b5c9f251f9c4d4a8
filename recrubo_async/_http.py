"""Sending: a retry loop (``HTTPCore.send``) whose attempts run inline.

* The policy: attempts until one succeeds or the budget is spent (``RetryPolicy``),
  applies the lost-DELETE rule, announces retries and sleeps.
* An attempt: the aiohttp call (with only the arguments ``SessionDefaults`` says it
  needs), the body read within ``max_response_size``; a failure comes out classified
  (``_retry``) and mapped (``_error_mapping``), not raised, so that the loop alone
  decides. What observes it (hooks, debug logging, an OpenTelemetry span) is looked at
  only when one is there (``_sending``, ``_answered``, ``Telemetry.start_attempt``).

This runs on every API call: the common GET goes through one coroutine of the SDK's
below the resource's own (``send``) and none of the four that aiohttp's context managers
would add (benchmarks/findings.md, Requests and session 14).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from time import monotonic
from typing import TYPE_CHECKING

import aiohttp
from aiohttp import hdrs

from . import _retry
from ._constants import REQUEST_ID_HEADER
from ._error_mapping import make_connection_error, make_status_error
from ._hooks import Hooks, RequestEvent, ResponseEvent, RetryEvent, emit
from ._retry import RetryPolicy, Verdict, parse_retry_after
from ._session import QueryParams, SessionDefaults, SessionHolder, closed_error
from .errors import APIConnectionError, APIStatusError, ResponseTooLargeError

if TYPE_CHECKING:
    from ._otel import Telemetry

logger = logging.getLogger("recrubo_async")


class _Failure:
    """An attempt that failed: the error to raise if no retry follows, and what the retry
    rules decide by. Made only on failure; a success is the body itself."""

    __slots__ = ("error", "retry_after", "verdict")

    def __init__(
        self,
        error: APIConnectionError | APIStatusError,
        verdict: Verdict,
        retry_after: float | None = None,
    ) -> None:
        self.error = error
        self.verdict = verdict
        self.retry_after = retry_after


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
        telemetry: Telemetry | None = None,
    ) -> None:
        self._holder = holder
        self._defaults = SessionDefaults(holder, headers, timeout)
        self._max_response_size = max_response_size
        # A declared length with fewer digits than the limit is within it (see _fits).
        self._limit_digits = 0 if max_response_size is None else len(str(max_response_size))
        self.retry = retry
        self.hooks = hooks
        #: OpenTelemetry (``_otel.py``), decided at construction: None without the extra.
        self.telemetry = telemetry
        #: Whether hooks watch every attempt (``Hooks`` is frozen, and set only here).
        self._hooked = bool(hooks.on_request or hooks.on_response)

    @property
    def max_response_size(self) -> int | None:
        """Bytes of (decompressed) body read before giving up; None reads any size."""
        return self._max_response_size

    async def send(
        self,
        method: str,
        url: str,
        params: QueryParams | None,
        body: bytes | None,
        timeout: aiohttp.ClientTimeout,
    ) -> bytes:
        """Send one request, retrying per the policy; the body of the 2xx answer, or the
        mapped error raised.

        Each attempt runs in this coroutine, not in one of its own: one coroutine fewer
        made, resumed and freed per request (benchmarks/findings.md, session 14). What
        observes an attempt (hooks, debug logging, an OpenTelemetry span) is looked at
        only when it is there.
        """
        loop = asyncio.get_running_loop()
        session = self._holder.get(loop)
        # The clock asyncio's own loop reads, without loop.time()'s Python frame.
        started = monotonic()
        attempt = 1
        #: An earlier attempt may have been carried out by the server (no answer, or 5xx).
        maybe_done = False
        telemetry = self.telemetry
        limit = self._max_response_size
        while True:
            debug = logger.isEnabledFor(logging.DEBUG)
            watched = debug or self._hooked
            note = (
                None if telemetry is None else telemetry.start_attempt(method, url, params, attempt)
            )
            try:
                if watched:
                    sent_at = await self._sending(method, url, attempt, debug)
                try:
                    try:
                        resp = await self._defaults.request(
                            session,
                            method,
                            url,
                            params,
                            body,
                            timeout,
                            None if note is None else note.headers,
                        )
                    except RuntimeError:
                        # aiohttp's "Session is closed": the client was closed while this
                        # call was on its way (an on_request hook, a retry's sleep).
                        # Nothing was sent.
                        if session.closed:
                            raise closed_error() from None
                        raise
                    # Released only when not read to the end: reading to the end released
                    # the connection, and release() would still build an error to park on
                    # the stream.
                    try:
                        if limit is None or _fits(resp.headers, limit, self._limit_digits):
                            raw = await resp.read()
                        else:
                            raw = await _read_capped(resp, limit, method, url)
                    finally:
                        if not resp.closed:
                            resp.release()
                except _retry.UNSENT_ERRORS as exc:
                    outcome: bytes | _Failure = _unanswered(method, url, exc, sent=False)
                except _retry.UNANSWERED_ERRORS as exc:
                    outcome = _unanswered(method, url, exc, sent=True)
                else:
                    status = resp.status
                    if note is not None:
                        note.answered(status, resp.headers)
                    if watched:
                        await self._answered(method, url, attempt, resp, sent_at, debug)
                    # A redirect is not followed (the Authorization header must not go
                    # elsewhere): it is an error that says so, never a success with
                    # whatever body it carried.
                    outcome = raw if status < 300 else _status_failure(method, url, resp, raw)
            except BaseException as exc:
                if note is not None:
                    note.failed(exc)
                raise
            if note is not None:
                note.ended(outcome)
            if isinstance(outcome, bytes):
                return outcome
            # What the attempt read dies with it, as it would with a frame of its own: not
            # kept through a retry's sleep, nor by the traceback of the error raised.
            resp = raw = None  # type: ignore[assignment]
            error = outcome.error
            if isinstance(error, APIStatusError) and _retry.is_lost_delete(
                method, error.status, maybe_done
            ):
                logger.info("%s %s: gone on retry after a lost answer: deleted", method, url)
                return b""
            maybe_done = maybe_done or outcome.verdict.may_have_acted
            delay = None
            if outcome.verdict.retryable:
                delay = self.retry.next_delay(attempt, outcome.retry_after, monotonic() - started)
            if delay is None:
                raise error
            await self._announce_retry(method, url, attempt, delay, error)
            await _retry.sleep(delay)
            attempt += 1
            session = self._holder.get(loop)  # the client may have been closed meanwhile

    async def _sending(self, method: str, url: str, attempt: int, debug: bool) -> float:
        """Before a watched attempt: the ``on_request`` hooks, the debug line; the time."""
        hooks = self.hooks
        if hooks.on_request:
            await emit(hooks.on_request, RequestEvent(method=method, url=url, attempt=attempt))
        if debug:
            logger.debug("%s %s attempt %d", method, url, attempt)
        return asyncio.get_running_loop().time()

    async def _answered(
        self,
        method: str,
        url: str,
        attempt: int,
        resp: aiohttp.ClientResponse,
        sent_at: float,
        debug: bool,
    ) -> None:
        """After a watched attempt's answer: the ``on_response`` hooks, the debug line."""
        elapsed = asyncio.get_running_loop().time() - sent_at
        request_id = resp.headers.get(REQUEST_ID_HEADER)
        on_response = self.hooks.on_response
        if on_response:
            await emit(
                on_response,
                ResponseEvent(
                    method=method,
                    url=url,
                    attempt=attempt,
                    status=resp.status,
                    elapsed=elapsed,
                    request_id=request_id,
                ),
            )
        if debug:
            logger.debug(
                "%s %s -> %d in %.3fs (request id %s)",
                method,
                url,
                resp.status,
                elapsed,
                request_id,
            )

    async def _announce_retry(
        self,
        method: str,
        url: str,
        attempt: int,
        delay: float,
        error: APIConnectionError | APIStatusError,
    ) -> None:
        """The ``on_retry`` hooks and the log line, before the sleep."""
        status = error.status if isinstance(error, APIStatusError) else None
        reason = str(error) if status is None else f"status {status}"
        await emit(
            self.hooks.on_retry,
            RetryEvent(
                method=method,
                url=url,
                attempt=attempt,
                delay=delay,
                reason=reason,
                status=status,
                error=error,
            ),
        )
        logger.info(
            "retrying %s %s in %.2fs after attempt %d: %s", method, url, delay, attempt, reason
        )


def _fits(headers: Mapping[str, str], limit: int, limit_digits: int) -> bool:
    """Whether the answer declares a plain body within ``limit``: read it in one go.

    The common case (the API sends Content-Length, uncompressed), so it costs two header
    look-ups, by aiohttp's ``istr`` names (a third of the cost of plain strings, which
    multidict folds to lower case on each look-up); a compressed body's length says
    nothing about what it inflates to. ``limit_digits``: ``len(str(limit))``; a length of
    fewer digits is below the limit without ``int()`` (a third of this function's cost).
    """
    length = headers.get(hdrs.CONTENT_LENGTH)
    return (
        length is not None
        and hdrs.CONTENT_ENCODING not in headers
        and length.isdigit()
        and (len(length) < limit_digits or int(length) <= limit)
    )


def _unanswered(method: str, url: str, exc: BaseException, *, sent: bool) -> _Failure:
    """An attempt that got no answer: ``sent`` whether the request may have left."""
    error = make_connection_error(method, url, exc, sent=sent)
    return _Failure(error, _retry.unanswered(method, sent=sent))


def _status_failure(method: str, url: str, resp: aiohttp.ClientResponse, raw: bytes) -> _Failure:
    """An attempt answered with a status of 300 or more."""
    headers = resp.headers
    return _Failure(
        make_status_error(
            method=method,
            url=url,
            status=resp.status,
            reason=resp.reason,
            headers=headers,
            raw_body=raw,
        ),
        _retry.answered(method, resp.status),
        parse_retry_after(headers.get("Retry-After")),
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
