"""A billed job's POST is sent once: when it fails in a way that may have created the job,
``JobMayExistError`` says how to find it, instead of a resend that could bill it twice.

Used by ``create`` and ``create_and_wait`` of every job kind (flow generations, flow runs,
vacancy analyses). The client's retries already resend a POST only when it provably did
not reach the server (``_retry.py``); this decides what the caller is told after that.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime, timezone
from typing import TypeVar

import aiohttp

from .errors import (
    APIConnectionError,
    APIStatusError,
    DecodeError,
    JobMayExistError,
    ResponseTooLargeError,
)

_T = TypeVar("_T")

#: Statuses after which the API provably did not create anything.
_NOT_CREATED_STATUSES = frozenset(range(400, 500)) - {408}


def _never_reached(exc: APIConnectionError | APIStatusError | DecodeError) -> bool:
    """Whether a failed create provably created nothing, so sending it again is safe.

    A 4xx (but 408) or 503 answer, or no connection at all. Anything else (a timeout or a
    reset after sending, another 5xx, an unreadable or oversized 2xx) may hide a job.
    """
    if isinstance(exc, (APIStatusError, ResponseTooLargeError)):
        return exc.status in _NOT_CREATED_STATUSES or exc.status == 503
    if isinstance(exc, APIConnectionError):
        return isinstance(
            exc.__cause__, (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)
        )
    return False  # a DecodeError: the API answered 2xx, so the job exists


def _may_exist(
    type_name: str, started: datetime, exc: APIConnectionError | APIStatusError | DecodeError
) -> JobMayExistError:
    since = started.isoformat()
    return JobMayExistError(
        f"creating {type_name} failed ({exc}); the API may have created it anyway, so it "
        "was NOT sent again (it could be billed twice). Look for it with "
        f"list(filter={{'created_at': {{'gte': '{since}'}}}}, sort='-created_at') and "
        "resume with .wait(id) before creating it again",
        resource_type=type_name,
        created_after=started,
    )


async def create_once(post: Awaitable[_T], type_name: str) -> _T:
    """Await the POST of a ``type_name`` job, which is never sent again from here.

    Raises:
        JobMayExistError: it failed in a way that may have created the job anyway.
    """
    started = datetime.now(timezone.utc)
    try:
        return await post
    except (APIConnectionError, APIStatusError, DecodeError) as exc:
        if _never_reached(exc):
            raise
        raise _may_exist(type_name, started, exc) from exc
