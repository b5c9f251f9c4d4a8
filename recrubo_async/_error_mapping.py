"""Turn a failed attempt into the most specific error, once, at the boundary.

An error answer becomes an ``APIStatusError`` subclass by status (``make_status_error``);
no answer becomes an ``APIConnectionError`` or ``APITimeoutError`` whose message says
whether the request may have been carried out (``make_connection_error``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import aiohttp
import orjson

from ._constants import API_KEY_ENV, REQUEST_ID_HEADER
from ._retry import IDEMPOTENT_METHODS, SEE_OTHER
from .errors import (
    BODY_EXCERPT,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    ErrorObject,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ValidationError,
)

_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: ValidationError,
    429: RateLimitError,
}

_HINTS: dict[int, str] = {
    401: (
        f"check the API key (argument api_key= or {API_KEY_ENV}); management routes need "
        "the partner key, all others an organization key"
    ),
    403: "this key may not do that; management routes need the partner key",
    404: "check the id, and that it belongs to this key's organization",
    422: "fix the attributes named above and send again",
    429: "slow down, or raise max_retries so the client waits for Retry-After",
}


def _redirect_hint(status: int, headers: Mapping[str, str]) -> str:
    # Following it would send the key to wherever it points; the API itself never
    # redirects, so a redirect means a wrong base_url or a proxy in front of it.
    location = headers.get("Location")
    where = f" (to {location})" if location else ""
    done = (
        "the server says it carried the request out (303 See Other)"
        if status == SEE_OTHER
        else "the request was not carried out"
    )
    return (
        f"the answer is a redirect{where}, which the client does not follow, and {done}: "
        "check base_url (its scheme, host and path prefix)"
    )


def error_class(status: int) -> type[APIStatusError]:
    """The error class for an HTTP status."""
    if status >= 500:
        return InternalServerError
    return _BY_STATUS.get(status, APIStatusError)


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _as_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def parse_error_objects(body: object) -> list[ErrorObject]:
    """Read JSON:API ``errors[]``, tolerating ints or strings and object details."""
    if not isinstance(body, Mapping):
        return []
    raw = body.get("errors")
    if not isinstance(raw, list):
        return []
    out: list[ErrorObject] = []
    for item in raw:
        if not isinstance(item, Mapping):
            continue
        source = item.get("source")
        source = source if isinstance(source, Mapping) else {}
        detail = item.get("detail")
        if not isinstance(detail, (str, Mapping)):
            detail = None if detail is None else str(detail)
        meta = item.get("meta")
        out.append(
            ErrorObject(
                status=_as_int(item.get("status")),
                code=_as_str(item.get("code")),
                title=_as_str(item.get("title")),
                detail=detail,
                pointer=_as_str(source.get("pointer")),
                parameter=_as_str(source.get("parameter")),
                meta=meta if isinstance(meta, Mapping) else None,
            )
        )
    return out


def _decode_body(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw.decode("utf-8", errors="replace")


def make_status_error(
    *,
    method: str,
    url: str,
    status: int,
    reason: str | None,
    headers: Mapping[str, str],
    raw_body: bytes,
) -> APIStatusError:
    """Build the error for one failed response."""
    body = _decode_body(raw_body)
    errors = parse_error_objects(body)
    request_id = headers.get(REQUEST_ID_HEADER)
    parts = [f"{method} {url} failed with {status}" + (f" {reason}" if reason else "")]
    if errors:
        parts.append("; ".join(e.describe() for e in errors))
    elif isinstance(body, str) and body.strip():
        excerpt = " ".join(body.split())
        if len(excerpt) > BODY_EXCERPT:
            excerpt = excerpt[:BODY_EXCERPT] + "…"
        parts.append(f"body: {excerpt}")
    hint = _HINTS.get(status) or (_redirect_hint(status, headers) if status < 400 else None)
    if hint:
        parts.append(hint)
    message = ": ".join(parts[:2]) + "".join(f". {p[:1].upper()}{p[1:]}" for p in parts[2:])
    if request_id:
        message += f" (request id {request_id})"
    return error_class(status)(
        message,
        status=status,
        request_id=request_id,
        errors=errors,
        body=body,
        method=method,
        url=url,
    )


def make_connection_error(
    method: str, url: str, exc: BaseException, *, sent: bool
) -> APIConnectionError:
    """Build the error for an attempt that got no answer; ``sent``: a connection was made."""
    if isinstance(exc, asyncio.TimeoutError):
        if not sent:
            hint = "the API could not be reached in time; check the base URL and the network"
        elif method in IDEMPOTENT_METHODS:
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
