"""A billed job's POST is sent once: when it fails in a way that may have created the job,
``JobMayExistError`` says how to find it, instead of a resend that could bill it twice.

Used by ``create`` and ``create_and_wait`` of every job kind (flow generations, flow runs,
vacancy analyses), through ``create_billed``. The client's retries already resend a POST
only when it provably did not reach the server (``_retry.py``); this decides what the
caller is told after that. A create with an ``idempotency_key`` goes through the ledger's
flow (``idempotency/_flow.py``), which sends its POST through ``create_once`` too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TypeVar

import aiohttp
import orjson

from ._retry import NOT_ACTED_STATUSES, SEE_OTHER
from .errors import (
    APIConnectionError,
    APIStatusError,
    DecodeError,
    JobMayExistError,
    ResponseTooLargeError,
)
from .idempotency._fingerprint import match_fingerprint, request_fingerprint, scope_of
from .idempotency._flow import IdempotentCreate, check_key, run
from .idempotency._reconcile import matching_jobs

if TYPE_CHECKING:
    from ._jsonapi import RelationshipValue
    from ._pagination import QueryList
    from ._types import NotGiven, TimeoutLike
    from .idempotency._protocol import JobLedger
    from .models._base import Resource
    from .waiters._waitable import Waitable

    _M = TypeVar("_M", bound=Resource)

_T = TypeVar("_T")

#: Statuses after which the API provably did not create anything: a redirect but 303
#: (not followed: the POST was not taken here; a 303 says it was), a 4xx but 408, and a
#: 503 (``_retry``).
_NOT_CREATED_STATUSES = (frozenset(range(300, 500)) - {SEE_OTHER, 408}) | NOT_ACTED_STATUSES


def _never_reached(exc: APIConnectionError | APIStatusError | DecodeError) -> bool:
    """Whether a failed create provably created nothing, so sending it again is safe.

    A 3xx (but 303), a 4xx (but 408) or a 503 answer, or no connection at all. Anything else (a
    timeout or a reset after sending, another 5xx, an unreadable or oversized 2xx) may
    hide a job.
    """
    if isinstance(exc, (APIStatusError, ResponseTooLargeError)):
        return exc.status in _NOT_CREATED_STATUSES
    if isinstance(exc, APIConnectionError):
        return isinstance(
            exc.__cause__, (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)
        )
    return False  # a DecodeError: the API answered 2xx, so the job exists


def _may_exist(
    type_name: str,
    started: datetime,
    exc: APIConnectionError | APIStatusError | DecodeError,
    fingerprint: str | None,
) -> JobMayExistError:
    since = started.isoformat()
    return JobMayExistError(
        f"creating {type_name} failed ({exc}); the API may have created it anyway, so it "
        "was NOT sent again (it could be billed twice). Look for it with "
        "recrubo_async.idempotency.find_possible_jobs(resource, err), or "
        f"list(filter={{'created_at': {{'gte': '{since}'}}}}, sort='-created_at'), and "
        "resume with .wait(id) before creating it again",
        resource_type=type_name,
        created_after=started,
        fingerprint=fingerprint,
    )


async def create_once(
    post: Awaitable[_T], type_name: str, fingerprint: Callable[[], str] | None = None
) -> _T:
    """Await the POST of a ``type_name`` job, which is never sent again from here.

    ``fingerprint`` gives the request's match fingerprint for the error (computed only on
    failure).

    Raises:
        JobMayExistError: it failed in a way that may have created the job anyway.
    """
    started = datetime.now(timezone.utc)
    try:
        return await post
    except (APIConnectionError, APIStatusError, DecodeError) as exc:
        if _never_reached(exc):
            raise
        found = fingerprint() if fingerprint is not None else None
        raise _may_exist(type_name, started, exc, found) from exc


def _attributes_of(body: bytes) -> Mapping[str, Any]:
    data = orjson.loads(body).get("data", {})
    attributes: Mapping[str, Any] = data.get("attributes", {})
    return attributes


async def create_billed(
    resource: Waitable[_M],
    attributes: Mapping[str, Any],
    *,
    relationships: Mapping[str, RelationshipValue] | None,
    params: QueryList | None,
    timeout: TimeoutLike | NotGiven,
    idempotency_key: str | None,
    ledger: JobLedger | None,
) -> _M:
    """Create a job of ``resource``'s kind once; with a key, at most once per key.

    Raises:
        ValueError, TypeError: a malformed key, or a key without a ledger (nothing sent).
        JobMayExistError: the POST failed in a way that may have created the job anyway.
        IdempotencyKeyReusedError, IdempotencyConflictError: see ``idempotency._flow.run``.
    """
    type_name = resource._job.type
    body = resource._create_body(attributes, relationships)
    core = resource._core

    def fingerprint() -> str:
        return match_fingerprint(scope_of(core.scope), type_name, _attributes_of(body))

    if idempotency_key is None:
        if ledger is not None:
            raise ValueError("ledger= is used only with idempotency_key=; pass both")
        post = resource._post(body, params=params, timeout=timeout)
        return await create_once(post, type_name, fingerprint)
    key = check_key(idempotency_key)
    chosen = ledger if ledger is not None else core.ledger
    if chosen is None:
        raise ValueError(
            "idempotency_key needs a ledger: Client(ledger=RedisLedger(...)) or ledger=... "
            "on this call (see docs/idempotency.md); nothing was sent"
        )
    scope = scope_of(core.scope)
    match = fingerprint()

    def reconcile(since: datetime) -> Awaitable[list[dict[str, Any]]]:
        return matching_jobs(
            core, resource._path, type_name, scope=scope, fingerprint=match, since=since
        )

    return await run(
        IdempotentCreate(
            key=key,
            ledger=chosen,
            scope=scope,
            type_name=type_name,
            fingerprint=request_fingerprint(scope, type_name, orjson.loads(body)),
            post=lambda: create_once(
                resource._post(body, params=params, timeout=timeout), type_name, fingerprint
            ),
            fetch=resource.retrieve,
            reconcile=reconcile,
        )
    )
