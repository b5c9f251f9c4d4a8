"""recrubo-async: an asyncio-first SDK for the Recrubo API v2.

Long-running jobs (flow generations, flow runs, vacancy analyses) become plain awaitables;
see the README for a tour.
"""

from __future__ import annotations

from . import errors, idempotency, models
from ._client import Client
from ._hooks import Hooks, RequestEvent, ResponseEvent, RetryEvent, WaitEvent
from ._pagination import Page, Paginator
from ._types import NOT_GIVEN, NotGiven
from ._version import __version__
from .errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    ConfigurationError,
    ConflictError,
    DecodeError,
    EventLoopError,
    IdempotencyConflictError,
    IdempotencyKeyReusedError,
    InternalServerError,
    JobFailedError,
    JobMayExistError,
    NotFoundError,
    PaginationCycleError,
    PermissionDeniedError,
    RateLimitError,
    RecruboError,
    ResourceDeletedError,
    ResponseTooLargeError,
    ValidationError,
    WaitError,
    WaitTimeoutError,
)

__all__ = [
    "NOT_GIVEN",
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "Client",
    "ClientClosedError",
    "ConfigurationError",
    "ConflictError",
    "DecodeError",
    "EventLoopError",
    "Hooks",
    "IdempotencyConflictError",
    "IdempotencyKeyReusedError",
    "InternalServerError",
    "JobFailedError",
    "JobMayExistError",
    "NotFoundError",
    "NotGiven",
    "Page",
    "PaginationCycleError",
    "Paginator",
    "PermissionDeniedError",
    "RateLimitError",
    "RecruboError",
    "RequestEvent",
    "ResourceDeletedError",
    "ResponseEvent",
    "ResponseTooLargeError",
    "RetryEvent",
    "ValidationError",
    "WaitError",
    "WaitEvent",
    "WaitTimeoutError",
    "__version__",
    "errors",
    "idempotency",
    "models",
]
