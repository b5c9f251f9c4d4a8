"""Every error the SDK raises, in this tree:

    RecruboError
     +-- ConfigurationError            bad client set-up (no API key, unknown environment)
     +-- ClientClosedError             the client was used after ``aclose()``
     +-- EventLoopError                the client was used from another event loop
     +-- DecodeError                   a response or payload is not the JSON:API we expect
     +-- APIConnectionError            the request did not get an HTTP answer
     |     +-- APITimeoutError
     |     +-- ResponseTooLargeError   the answer's body is over ``max_response_size``
     +-- APIStatusError                the API answered 4xx/5xx, or a redirect (not followed)
     |     +-- BadRequestError 400, AuthenticationError 401, PermissionDeniedError 403,
     |         NotFoundError 404, ConflictError 409, ValidationError 422,
     |         RateLimitError 429, InternalServerError >= 500
     +-- WaitError
     |     +-- WaitTimeoutError        (``last_seen``: id, status, updatedAt last seen)
     |     +-- JobFailedError          (the resource ended in a failure state)
     |     +-- ResourceDeletedError
     +-- JobMayExistError              a create failed ambiguously; it was not resent
     +-- IdempotencyKeyReusedError     an idempotency key came back with another request
     +-- IdempotencyConflictError      another live owner holds the key, or several jobs
                                       match an intent whose owner died
     +-- PaginationCycleError          ``links.next`` led back to a page already read
     +-- BusClosedError                the completion bus closed under a waiting subscription
     +-- BusCheckError                 a bus health check found no working round trip

The two bus errors are also importable from ``recrubo_async.bus``. Messages name what
failed and how to fix it. They never contain an API key or a secret. Every error pickles
with its message and attributes (task queues and process pools send them across
processes); its ``__cause__`` and traceback stay behind, as for any exception.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from .models._base import Resource

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "BusCheckError",
    "BusClosedError",
    "ClientClosedError",
    "ConfigurationError",
    "ConflictError",
    "DecodeError",
    "ErrorObject",
    "EventLoopError",
    "IdempotencyConflictError",
    "IdempotencyKeyReusedError",
    "InternalServerError",
    "JobFailedError",
    "JobMayExistError",
    "NotFoundError",
    "PaginationCycleError",
    "PermissionDeniedError",
    "RateLimitError",
    "RecruboError",
    "ResourceDeletedError",
    "ResponseTooLargeError",
    "ValidationError",
    "WaitError",
    "WaitTimeoutError",
]

#: How much of a non-JSON error body is quoted in a message.
BODY_EXCERPT = 200


def _rebuild(cls: type[RecruboError], args: tuple[Any, ...]) -> RecruboError:
    """An unpickled error: made without ``__init__`` (whose keyword-only arguments
    pickle does not pass); its attributes come back as the pickled state."""
    return cls.__new__(cls, *args)


class RecruboError(Exception):
    """Base class of every error raised by recrubo-async."""

    def __reduce__(self) -> tuple[Any, ...]:
        # BaseException's would call cls(*args): a TypeError for the keyword-only
        # constructors below. The state is the instance's __dict__, as BaseException's.
        return (_rebuild, (type(self), self.args), self.__dict__ or None)


class ConfigurationError(RecruboError, ValueError):
    """The client was set up wrongly (for example, no API key)."""


class ClientClosedError(RecruboError, RuntimeError):
    """The client was used after it was closed."""


class EventLoopError(RecruboError, RuntimeError):
    """The client was used from an event loop other than the one it first ran in.

    Its connections belong to that loop (each ``asyncio.run()`` makes a new one): make one
    ``Client`` per loop, e.g. inside the coroutine given to ``asyncio.run()``.
    """


class DecodeError(RecruboError, ValueError):
    """A response or webhook body is not the JSON:API document the SDK expects.

    ``path`` points at the offending member (``$.data.attributes.createdAt``).
    """

    def __init__(self, message: str, *, path: str = "$") -> None:
        super().__init__(f"{message} (at {path})")
        self.path = path


class APIConnectionError(RecruboError):
    """The request got no HTTP answer: DNS, connect, reset or a broken response."""

    def __init__(self, message: str, *, method: str, url: str) -> None:
        super().__init__(message)
        self.method = method
        self.url = url


class APITimeoutError(APIConnectionError):
    """The request took longer than its timeout."""


class ResponseTooLargeError(APIConnectionError):
    """The answer's body is larger than the client's ``max_response_size``.

    It was not read to the end (so it never filled memory) and is not retried: the same
    request would get the same answer. ``status`` is the answer's HTTP status and ``limit``
    the size in bytes it went over.
    """

    def __init__(self, message: str, *, method: str, url: str, status: int, limit: int) -> None:
        super().__init__(message, method=method, url=url)
        self.status = status
        self.limit = limit


@attrs.frozen(kw_only=True)
class ErrorObject:
    """One JSON:API error object from an error response."""

    status: int | None = None
    code: str | None = None
    title: str | None = None
    #: Usually a sentence; some endpoints send an object instead.
    detail: str | Mapping[str, Any] | None = None
    #: ``source.pointer``, e.g. ``/data/attributes/flowType``.
    pointer: str | None = None
    parameter: str | None = None
    meta: Mapping[str, Any] | None = None

    def describe(self) -> str:
        """One human line: the detail (or title), and where it points."""
        detail = self.detail
        if isinstance(detail, str) or detail is None:
            text = detail
        else:
            text = ", ".join(f"{k}: {v}" for k, v in detail.items())
        text = text or self.title or self.code or "error"
        where = self.pointer or (f"parameter {self.parameter}" if self.parameter else None)
        return f"{text} (at {where})" if where else text


class APIStatusError(RecruboError):
    """The API answered with an error status (or a redirect, which is not followed).

    Attributes:
        status: the HTTP status code.
        request_id: the ``X-Request-Id`` response header, when the API sent one.
        errors: the JSON:API error objects (empty when the body was not JSON:API).
        body: the decoded JSON body, or the raw text when it was not JSON.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        request_id: str | None,
        errors: Sequence[ErrorObject],
        body: object,
        method: str,
        url: str,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.request_id = request_id
        self.errors = list(errors)
        self.body = body
        self.method = method
        self.url = url


class BadRequestError(APIStatusError):
    """400: the request was malformed (a query parameter or body the API rejects)."""


class AuthenticationError(APIStatusError):
    """401: the API key is missing, wrong or revoked."""


class PermissionDeniedError(APIStatusError):
    """403: the key is valid but may not do this."""


class NotFoundError(APIStatusError):
    """404: no such route, or no such resource for this organization."""


class ConflictError(APIStatusError):
    """409: the request conflicts with the resource's current state."""


class ValidationError(APIStatusError):
    """422: the API rejected the attributes; ``errors`` say which and why."""


class RateLimitError(APIStatusError):
    """429: too many requests; retried automatically within the retry budget."""


class InternalServerError(APIStatusError):
    """5xx: the API (or a proxy in front of it) failed."""


class WaitError(RecruboError):
    """A wait for a job did not end in success."""


class WaitTimeoutError(WaitError):
    """The overall wait timeout passed.

    ``last_seen`` summarizes the newest state seen, if any: a model of the resource's class
    with its ``id``, ``status`` and ``updated_at`` only (a pending wait keeps no more, to
    stay small); call ``retrieve()`` for the rest.
    """

    def __init__(self, message: str, *, last_seen: Resource | None) -> None:
        super().__init__(message)
        self.last_seen = last_seen


class JobFailedError(WaitError):
    """The job ended in a failure state; ``resource`` is its final state."""

    def __init__(self, message: str, *, resource: Resource) -> None:
        super().__init__(message)
        self.resource = resource


class ResourceDeletedError(WaitError):
    """The resource being waited for was deleted."""


class PaginationCycleError(RecruboError):
    """A list's ``links.next`` led back to a page already read: the loop would never end.

    ``query`` is the repeated page's query. The API (or a proxy rewriting its links) is at
    fault; the items read so far were all distinct pages.
    """

    def __init__(self, message: str, *, query: Sequence[tuple[str, str]]) -> None:
        super().__init__(message)
        self.query = list(query)


class JobMayExistError(RecruboError):
    """Creating a job failed in a way that leaves open whether the API created it.

    The SDK never resends such a POST on its own (the job may be billed). ``created_after``
    bounds when it would have been created; the message says how to look for it; the
    failure itself (a timeout, a lost connection, a 5xx, an unreadable answer) is
    ``__cause__``.
    """

    def __init__(
        self,
        message: str,
        *,
        resource_type: str,
        created_after: datetime,
        fingerprint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.resource_type = resource_type
        self.created_after = created_after
        #: What ``recrubo_async.idempotency.find_possible_jobs`` compares listed jobs with:
        #: a hash of the request's attributes the API echoes (never the key or the body).
        self.fingerprint = fingerprint


class IdempotencyKeyReusedError(RecruboError, ValueError):
    """An ``idempotency_key`` was used before with a different request.

    Nothing was sent. ``key`` is the key; pick a new one for a new request, as with
    Stripe's keys.
    """

    def __init__(self, message: str, *, key: str) -> None:
        super().__init__(message)
        self.key = key


class IdempotencyConflictError(RecruboError):
    """The key's create cannot go ahead now, and nothing was sent.

    ``reason`` is ``"in_progress"`` (another caller holds the key's lease and did not record
    a job within ``owner_wait``: try again later) or ``"ambiguous"`` (the owner died and
    several jobs match its request: ``job_ids`` lists them; pick one yourself).
    """

    def __init__(self, message: str, *, key: str, reason: str, job_ids: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.key = key
        self.reason = reason
        self.job_ids = list(job_ids)


class BusClosedError(RecruboError):
    """The completion bus was closed while a subscription was waiting on it."""


class BusCheckError(RecruboError):
    """A bus health check found no working round trip (the message says what failed)."""
