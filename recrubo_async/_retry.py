"""When to retry a request, and how long to wait before the next attempt.

The rules, as data and small functions (``HTTPCore.send`` applies them):

* an attempt that never reached the server (no connection made) may always be resent;
* one that may have (a timeout or a dropped connection after sending, a 5xx but 503) only
  if its method is idempotent: resending a POST may create, bill or send twice;
* a 503 says the server did not act (``NOT_ACTED_STATUSES``): a POST may be resent, and a
  DELETE answered 404 after it is a plain 404;
* an answer's status is retryable per method (``RETRY_STATUSES``, ``POST_RETRY_STATUSES``);
* a DELETE answered 404 after an earlier attempt may have acted was deleted by that
  attempt, whose answer was lost (``is_lost_delete``);
* retries are bounded by attempts and by time, paced by ``Retry-After`` or backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import math
import random
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import timezone

import aiohttp
import attrs

from ._constants import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_RETRY_TIME,
    INITIAL_RETRY_DELAY,
    MAX_RETRY_AFTER,
    MAX_RETRY_DELAY,
)
from ._validate import check_duration

#: Methods that change nothing, or change the same thing however often they are sent.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"})
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
#: A POST may be retried on these: the server says it did not act on the request.
POST_RETRY_STATUSES = frozenset({429, 503})
#: The 5xx answers that say the request was not carried out (the rest may hide an effect).
NOT_ACTED_STATUSES = frozenset({503})
#: 303 See Other: the server carried the request out and points to its result elsewhere
#: (RFC 9110 15.4.4); the only redirect after which the request may have acted.
SEE_OTHER = 303

#: aiohttp's errors for an attempt that made no connection: it never reached the server.
UNSENT_ERRORS: tuple[type[BaseException], ...] = (
    aiohttp.ClientConnectorError,
    aiohttp.ConnectionTimeoutError,
)
#: Every other way an attempt gets no answer: the server may have read it, and acted.
UNANSWERED_ERRORS: tuple[type[BaseException], ...] = (asyncio.TimeoutError, aiohttp.ClientError)


@attrs.frozen
class Verdict:
    """What one failed attempt means: may it be resent, may the server have acted on it."""

    retryable: bool
    may_have_acted: bool


def unanswered(method: str, *, sent: bool) -> Verdict:
    """The verdict on an attempt that got no answer; ``sent``: a connection was made."""
    if not sent:
        return Verdict(retryable=True, may_have_acted=False)
    return Verdict(retryable=method in IDEMPOTENT_METHODS, may_have_acted=True)


def status_is_retryable(method: str, status: int) -> bool:
    """Whether an answer with this status may be retried for this method."""
    if method in IDEMPOTENT_METHODS:
        return status in RETRY_STATUSES
    return status in POST_RETRY_STATUSES


def answered(method: str, status: int) -> Verdict:
    """The verdict on an error answer (status 300 or more: redirects are not followed)."""
    return Verdict(
        retryable=status_is_retryable(method, status),
        may_have_acted=(status >= 500 and status not in NOT_ACTED_STATUSES) or status == SEE_OTHER,
    )


def is_lost_delete(method: str, status: int, earlier_may_have_acted: bool) -> bool:
    """A 404 to a resent DELETE whose earlier attempt may have acted: that attempt deleted
    it and only its answer was lost, so the delete succeeded."""
    return status == 404 and method == "DELETE" and earlier_may_have_acted


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """Bounds and pacing of automatic retries.

    Args:
        max_retries: retries after the first attempt (0 disables retrying).
        max_time: no retry starts once this many seconds passed since the first attempt.
        initial_delay: the backoff ceiling of the first retry; doubled on every retry.
        max_delay: the largest backoff ceiling.
        max_retry_after: the longest ``Retry-After`` the client will honour.
    """

    max_retries: int = DEFAULT_MAX_RETRIES
    max_time: float = DEFAULT_MAX_RETRY_TIME
    initial_delay: float = INITIAL_RETRY_DELAY
    max_delay: float = MAX_RETRY_DELAY
    max_retry_after: float = MAX_RETRY_AFTER

    def __attrs_post_init__(self) -> None:
        retries = self.max_retries
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise ValueError(f"max_retries must be a whole number, 0 or more; got {retries!r}")
        # inf is "no time limit" (the attempts still bound it); stored as inf to compare.
        max_time = check_duration("max_retry_time", self.max_time, allow_zero=True, allow_inf=True)
        object.__setattr__(self, "max_time", math.inf if max_time is None else max_time)
        for field in ("initial_delay", "max_delay", "max_retry_after"):
            seconds = check_duration(
                f"RetryPolicy({field}=...)", getattr(self, field), allow_zero=True
            )
            object.__setattr__(self, field, seconds)

    def backoff(self, retry_number: int, rng: random.Random | None = None) -> float:
        """Full jitter: uniform in [0, min(max_delay, initial_delay * 2**(n-1))]."""
        # The exponent is capped: 2**1100 is past what a float holds (max_retries is unbounded).
        doublings = min(max(retry_number - 1, 0), 64)
        ceiling = min(self.max_delay, self.initial_delay * (2**doublings))
        return (rng or random).uniform(0, ceiling)

    def delay(self, retry_number: int, retry_after: float | None) -> float:
        """The wait before retry ``retry_number``: the server's word, capped, or backoff."""
        # parse_retry_after never gives NaN or inf, which would park the call for ever.
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after)
        return self.backoff(retry_number)

    def next_delay(self, attempt: int, retry_after: float | None, elapsed: float) -> float | None:
        """The wait before retrying after attempt ``attempt`` failed, or None when the
        budget is spent (no retries left, or the retry would start after ``max_time``)."""
        if attempt > self.max_retries:
            return None
        delay = self.delay(attempt, retry_after)
        if elapsed + delay > self.max_time:
            return None
        return delay


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        # "nan" and "inf" parse as floats but are no delay anyone meant.
        return max(seconds, 0.0) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        # HTTP dates are always UTC (RFC 9110 5.6.7); the asctime form and "-0000" carry
        # no zone, so the standard library leaves them naive.
        when = when.replace(tzinfo=timezone.utc)
    current = time.time() if now is None else now
    return max(when.timestamp() - current, 0.0)


_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep


async def sleep(seconds: float) -> None:
    """Wait between attempts; a no-op inside ``retry_sleeps_disabled()``."""
    await _sleep(seconds)


async def _no_sleep(seconds: float) -> None:
    # Still yield to the loop so retry loops stay cooperative in tests.
    await asyncio.sleep(0)


@contextlib.contextmanager
def retry_sleeps_disabled() -> Iterator[None]:
    """Testing switch: retries happen at once instead of sleeping their delay."""
    global _sleep
    previous, _sleep = _sleep, _no_sleep
    try:
        yield
    finally:
        _sleep = previous
